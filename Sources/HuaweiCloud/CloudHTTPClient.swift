import AsyncHTTPClient
import NIOCore

/// The one long-lived HTTP client all accounts share. The caller owns it and shuts it down on exit.
package enum CloudHTTPClient {
    /// Upper bound of a response body; a larger one is a transient failure, never a crash.
    package static let maxBodyBytes = 4 * 1024 * 1024

    /// A connect timeout of `requestTimeoutMillis`, redirects not followed, certificates fully verified,
    /// and up to `maxConnectionsPerHost` HTTP/1.1 connections to one endpoint (`polling.max_in_flight`):
    /// AsyncHTTPClient's default of 8 would queue the other requests of a full `max_in_flight` behind them.
    /// No read timeout: the whole exchange, body included, is bounded by `CloudExchange`'s deadline, and a
    /// read timeout would schedule and cancel a timer on the event loop at every read of every response.
    package static func make(requestTimeoutMillis: Int64, maxConnectionsPerHost: Int) -> HTTPClient {
        let timeout = TimeAmount.milliseconds(max(1, requestTimeoutMillis))
        var configuration = HTTPClient.Configuration(
            certificateVerification: .fullVerification,
            redirectConfiguration: .disallow,
            timeout: .init(connect: timeout),
            decompression: .disabled
        )
        configuration.connectionPool.concurrentHTTP1ConnectionsPerHostSoftLimit = max(1, maxConnectionsPerHost)
        // No distributed tracing: without a tracer every request would still open (and close) a no-op span.
        configuration.tracing.tracer = nil
        return HTTPClient(eventLoopGroupProvider: .singleton, configuration: configuration)
    }
}
