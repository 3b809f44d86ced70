import AsyncHTTPClient
import NIOCore

/// The one long-lived HTTP client all accounts share. The caller owns it and shuts it down on exit.
package enum CloudHTTPClient {
    /// Upper bound of a response body; a larger one is a transient failure, never a crash.
    package static let maxBodyBytes = 4 * 1024 * 1024

    /// Connect and read timeouts of `requestTimeoutMillis`, redirects not followed, certificates fully verified.
    package static func make(requestTimeoutMillis: Int64) -> HTTPClient {
        let timeout = TimeAmount.milliseconds(max(1, requestTimeoutMillis))
        let configuration = HTTPClient.Configuration(
            certificateVerification: .fullVerification,
            redirectConfiguration: .disallow,
            timeout: .init(connect: timeout, read: timeout),
            decompression: .disabled
        )
        return HTTPClient(eventLoopGroupProvider: .singleton, configuration: configuration)
    }
}
