import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1

/// A complete response: status, headers and the whole body (at most `CloudHTTPClient.maxBodyBytes`).
struct CloudResponse: Sendable {
    var status: Int
    var headers: HTTPHeaders
    var body: [UInt8]

    var isSuccess: Bool { (200...299).contains(status) }
    var requestID: String? { headers.first(name: "X-Request-Id").flatMap { $0.isEmpty ? nil : $0 } }
}

/// One request/response round trip where every failure to get a complete response is `CloudError.transient`.
enum CloudExchange {
    /// `host` names the server in failure messages. `timeoutMillis` bounds the whole exchange: connecting,
    /// the head and the body. (The async `execute` API's deadline ends with the head and the read timeout
    /// restarts with every byte, so a server trickling its body would hold the request for ever; the
    /// delegate API's deadline covers the body, and runs on NIO's event loop, so a busy cooperative pool
    /// cannot make an answer that arrived in time look late.)
    static func perform(
        method: HTTPMethod, url: URL, headers: HTTPHeaders, body: [UInt8] = [], host: String, client: HTTPClient,
        timeoutMillis: Int64
    ) async -> Result<CloudResponse, CloudError> {
        let limit = max(1, timeoutMillis)
        do {
            // From the URL already parsed (not its text, which would be parsed again).
            let request = try HTTPClient.Request(
                url: url, method: method, headers: headers, body: body.isEmpty ? nil : .bytes(body))
            let accumulator = ResponseAccumulator(request: request, maxBodySize: CloudHTTPClient.maxBodyBytes)
            let task = client.execute(
                request: request, delegate: accumulator, deadline: .now() + .milliseconds(limit))
            let response = try await withTaskCancellationHandler {
                try await task.futureResult.get()
            } onCancel: {
                task.cancel()
            }
            let bytes = response.body.map { Array($0.readableBytesView) } ?? []
            return .success(CloudResponse(status: Int(response.status.code), headers: response.headers, body: bytes))
        } catch let error as HTTPClientError
            where error == .deadlineExceeded || error == .readTimeout || error == .connectTimeout
        {
            return .failure(.transient("request to \(host) timed out after \(limit) ms"))
        } catch is ResponseAccumulator.ResponseTooBigError {
            let megabytes = CloudHTTPClient.maxBodyBytes / 1_048_576
            return .failure(.transient("response from \(host) is larger than \(megabytes) MiB"))
        } catch let error as HTTPClientError where error == .cancelled {
            return .failure(.transient("request to \(host) cancelled"))
        } catch is CancellationError {
            return .failure(.transient("request to \(host) cancelled"))
        } catch {
            return .failure(.transient("request to \(host) failed: \(fixedText(for: error))"))
        }
    }

    /// A fixed text per class of client error. An error's own description may quote what was sent (a
    /// header value that HTTP refused, such as a token with a line break), so it never reaches a log.
    static func fixedText(for error: any Error) -> String {
        if let error = error as? HTTPClientError {
            switch error {
            case .remoteConnectionClosed: return "the server closed the connection"
            case .connectTimeout: return "connecting timed out"
            case .invalidURL, .emptyHost, .emptyScheme: return "the URL is not valid"
            case .tlsHandshakeTimeout: return "the TLS handshake timed out"
            case .writeTimeout: return "sending the request timed out"
            default:
                // Among the rest, `invalidHeaderFieldValues` would quote the refused value: never describe.
                return "the request could not be completed (HTTP client error)"
            }
        }
        if let error = error as? IOError { return "I/O error (errno \(error.errnoCode))" }
        let typeName = String(describing: type(of: error))
        if typeName.contains("Connect") { return "connection failed (\(typeName))" }
        if typeName.contains("TLS") || typeName.contains("SSL") || typeName.contains("BoringSSL") {
            return "TLS failed (\(typeName))"
        }
        return "network error (\(typeName))"
    }
}
