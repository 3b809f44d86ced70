import Foundation
import NIOCore
import NIOHTTP1

/// One request/response round trip where every failure to get a complete response is `CloudError.transient`.
package enum CloudExchange {
    /// `host` names the server in failure messages. `timeoutMillis` bounds the whole exchange: waiting for a
    /// connection, connecting, the TLS handshake, the head and the body (a server trickling its body cannot
    /// hold a request). The deadline runs on NIO's event loop, so a busy cooperative pool cannot make an
    /// answer that arrived in time look late.
    package static func perform(
        method: HTTPMethod, url: URL, headers: HTTPHeaders, body: [UInt8] = [], host: String,
        client: CloudHTTPClient, timeoutMillis: Int64
    ) async -> Result<CloudResponse, CloudError> {
        let limit = max(1, timeoutMillis)
        do {
            return .success(
                try await client.execute(method: method, url: url, headers: headers, body: body, timeoutMillis: limit))
        } catch {
            return .failure(.transient(text(for: error, host: host, limitMillis: limit)))
        }
    }

    /// The failure message: fixed per class, with the host and the limit, never what was sent.
    static func text(for failure: CloudHTTPFailure, host: String, limitMillis: Int64) -> String {
        switch failure {
        case .timedOut: return "request to \(host) timed out after \(limitMillis) ms"
        case .tooLarge: return "response from \(host) is larger than \(CloudHTTPClient.maxBodyBytes / 1_048_576) MiB"
        case .cancelled, .shutDown: return "request to \(host) cancelled"
        case .invalidRequest(let why): return "request to \(host) failed: \(why)"
        case .closed: return "request to \(host) failed: the server closed the connection"
        case .transport(let error): return "request to \(host) failed: \(fixedText(for: error))"
        }
    }

    /// A fixed text per class of client error. An error's own description may quote what was sent (a
    /// header value that HTTP refused, such as a token with a line break), so it never reaches a log.
    static func fixedText(for error: any Error) -> String {
        if let error = error as? ChannelError {
            switch error {
            case .connectTimeout: return "connecting timed out"
            case .eof, .ioOnClosedChannel, .alreadyClosed, .outputClosed: return "the server closed the connection"
            default: return "connection failed (ChannelError)"
            }
        }
        if error is HTTPParserError { return "the answer is not valid HTTP/1.1" }
        if let error = error as? IOError { return "I/O error (errno \(error.errnoCode))" }
        let typeName = String(describing: type(of: error))
        if typeName.contains("Connect") { return "connection failed (\(typeName))" }
        if typeName.contains("TLS") || typeName.contains("SSL") || typeName.contains("BoringSSL") {
            return "TLS failed (\(typeName))"
        }
        return "network error (\(typeName))"
    }
}
