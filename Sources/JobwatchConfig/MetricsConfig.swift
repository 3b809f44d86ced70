/// `metrics:`: where the daemon serves `GET /metrics` and `GET /healthz`.
package struct MetricsConfig: Sendable, Hashable {
    /// A host name or address literal, without brackets.
    package var host: String
    package var port: Int
    /// `metrics.allow_remote`: the only way to listen on a non-loopback address.
    package var allowRemote: Bool

    package init(host: String, port: Int, allowRemote: Bool = false) {
        self.host = host
        self.port = port
        self.allowRemote = allowRemote
    }

    /// `HOST:PORT` as written in the configuration (IPv6 literals in brackets).
    package var listenText: String {
        host.contains(":") ? "[\(host)]:\(port)" : "\(host):\(port)"
    }

    /// Splits `HOST:PORT` or `[IPv6]:PORT`; nil when it is not of that form or the port is not 1–65535.
    package static func parseListen(_ text: String) -> (host: String, port: Int)? {
        let hostPart: Substring
        let portPart: Substring
        if text.hasPrefix("[") {
            guard let close = text.firstIndex(of: "]"), text[text.index(after: close)...].hasPrefix(":") else {
                return nil
            }
            hostPart = text[text.index(after: text.startIndex)..<close]
            portPart = text[text.index(close, offsetBy: 2)...]
        } else {
            guard let colon = text.lastIndex(of: ":"), !text[..<colon].contains(":") else { return nil }
            hostPart = text[..<colon]
            portPart = text[text.index(after: colon)...]
        }
        guard !hostPart.isEmpty, !hostPart.contains(where: { $0.isWhitespace || $0 == "/" }),
            portPart.count <= 5, portPart.allSatisfy(\.isASCII), let port = Int(portPart), (1...65535).contains(port)
        else { return nil }
        return (String(hostPart), port)
    }
}
