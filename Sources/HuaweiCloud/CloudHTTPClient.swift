import AsyncHTTPClient
import NIOCore

/// The one long-lived HTTP client all accounts share. The caller owns it and shuts it down on exit.
package enum CloudHTTPClient {
    /// Upper bound of a response body; a larger one is a transient failure, never a crash.
    package static let maxBodyBytes = 4 * 1024 * 1024

    /// Connect and read timeouts of `requestTimeoutMillis`, redirects not followed, certificates fully verified,
    /// and up to `maxConnectionsPerHost` HTTP/1.1 connections to one endpoint (`polling.max_in_flight`):
    /// AsyncHTTPClient's default of 8 would queue the other requests of a full `max_in_flight` behind them.
    /// (The whole exchange, body included, is bounded by `CloudExchange`.)
    package static func make(requestTimeoutMillis: Int64, maxConnectionsPerHost: Int) -> HTTPClient {
        let timeout = TimeAmount.milliseconds(max(1, requestTimeoutMillis))
        var configuration = HTTPClient.Configuration(
            certificateVerification: .fullVerification,
            redirectConfiguration: .disallow,
            timeout: .init(connect: timeout, read: timeout),
            decompression: .disabled
        )
        configuration.connectionPool.concurrentHTTP1ConnectionsPerHostSoftLimit = max(1, maxConnectionsPerHost)
        // No distributed tracing: without a tracer every request would still open (and close) a no-op span.
        configuration.tracing.tracer = nil
        return HTTPClient(eventLoopGroupProvider: .singleton, configuration: configuration)
    }
}
