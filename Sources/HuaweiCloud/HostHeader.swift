import Foundation

/// The `Host` header for a URL: the host, bracketed when IPv6, with the port when it is not the scheme's default.
/// The signature covers this exact text, so the client sends it explicitly rather than leaving it to the transport.
enum HostHeader {
    static func value(for url: URL) -> String {
        var host = url.host ?? ""
        if host.contains(":"), !host.hasPrefix("[") { host = "[\(host)]" }
        let defaultPort = url.scheme?.lowercased() == "https" ? 443 : 80
        guard let port = url.port, port != defaultPort else { return host }
        return "\(host):\(port)"
    }
}
