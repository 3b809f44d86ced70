import AsyncHTTPClient
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
        method: HTTPMethod, url: String, headers: HTTPHeaders, body: [UInt8] = [], host: String, client: HTTPClient,
        timeoutMillis: Int64
    ) async -> Result<CloudResponse, CloudError> {
        let limit = max(1, timeoutMillis)
        do {
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
            return .failure(.transient("request to \(host) failed: \(error)"))
        }
    }
}
