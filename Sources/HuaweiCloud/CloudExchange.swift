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
    /// the head and the body (AsyncHTTPClient's deadline ends with the head, its read timeout restarts with
    /// every byte, so a server trickling its body would hold the request for ever).
    static func perform(
        _ request: HTTPClientRequest, host: String, client: HTTPClient, timeoutMillis: Int64
    ) async -> Result<CloudResponse, CloudError> {
        let limit = max(1, timeoutMillis)
        return await withTaskGroup(of: Result<CloudResponse, CloudError>?.self) { group in
            group.addTask { await exchange(request, host: host, client: client, timeoutMillis: limit) }
            group.addTask {
                try? await Task.sleep(for: .milliseconds(limit))
                return Task.isCancelled ? nil : .failure(.transient("request to \(host) timed out after \(limit) ms"))
            }
            defer { group.cancelAll() }
            while let outcome = await group.next() {
                if let outcome { return outcome }
            }
            return .failure(.transient("request to \(host) cancelled"))
        }
    }

    private static func exchange(
        _ request: HTTPClientRequest, host: String, client: HTTPClient, timeoutMillis: Int64
    ) async -> Result<CloudResponse, CloudError> {
        do {
            let response = try await client.execute(request, timeout: .milliseconds(max(1, timeoutMillis)))
            let buffer = try await response.body.collect(upTo: CloudHTTPClient.maxBodyBytes)
            let body = Array(buffer.readableBytesView)
            return .success(CloudResponse(status: Int(response.status.code), headers: response.headers, body: body))
        } catch let error as HTTPClientError
            where error == .deadlineExceeded || error == .readTimeout || error == .connectTimeout
        {
            return .failure(.transient("request to \(host) timed out after \(timeoutMillis) ms"))
        } catch is NIOTooManyBytesError {
            let limit = CloudHTTPClient.maxBodyBytes / 1_048_576
            return .failure(.transient("response from \(host) is larger than \(limit) MiB"))
        } catch let error as HTTPClientError where error == .cancelled {
            return .failure(.transient("request to \(host) cancelled"))
        } catch is CancellationError {
            return .failure(.transient("request to \(host) cancelled"))
        } catch {
            return .failure(.transient("request to \(host) failed: \(error)"))
        }
    }
}
