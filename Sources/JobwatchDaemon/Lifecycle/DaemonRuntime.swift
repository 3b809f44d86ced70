import AsyncHTTPClient
import HuaweiCloud
import JobwatchConfig
import JobwatchMetrics
import JobwatchStore
import JobwatchWebhooks
import Logging

/// The real dependencies of a daemon: one HTTP client for the cloud, one for webhooks (no redirects,
/// their own timeouts), and the engine wired to them.
package final class DaemonRuntime: Sendable {
    package let engine: DaemonEngine
    private let cloudHTTP: CloudHTTPClient
    private let webhookHTTP: HTTPClient

    package init(
        store: any JobStoring, configuration: Configuration, environment: [String: String], version: String,
        printer: any EventPrinting = JSONLinesPrinter(), logger: Logger, metrics: DaemonMetrics? = nil
    ) {
        // The pools are sized at start; a reload that raises `max_in_flight` or a sink's `concurrency` gets
        // the larger pool at the next restart.
        let cloudHTTP = CloudHTTPClient(
            requestTimeoutMillis: configuration.polling.requestTimeoutMillis,
            maxConnectionsPerHost: configuration.polling.maxInFlight)
        let webhookHTTP = WebhookDeliverer.makeHTTPClient(
            maxConnectionsPerHost: max(1, configuration.webhooks.reduce(0) { $0 + $1.concurrency }))
        cloudHTTP.prepareTLS()
        self.cloudHTTP = cloudHTTP
        self.webhookHTTP = webhookHTTP
        let deliverer = WebhookDeliverer(
            httpClient: webhookHTTP, userAgent: "jobwatch/\(version)", logger: logger, now: DaemonEngine.wallClock)
        engine = DaemonEngine(
            store: store, configuration: configuration,
            makeFetchers: { configuration in
                CloudJobFetcher.forAccounts(
                    of: configuration, httpClient: cloudHTTP, environment: environment, logger: logger)
            },
            webhooks: deliverer, printer: printer, logger: logger, metrics: metrics,
            pollExecutor: CloudHTTPClient.eventLoopExecutor)
    }

    /// Closes the HTTP clients; call after the engine stopped.
    /// Bounded, like the rest of shutdown: a peer that stopped reading cannot hold the process.
    package func shutdown() async {
        let cloudHTTP = self.cloudHTTP
        let webhookHTTP = self.webhookHTTP
        await awaitAtMost(.seconds(1)) {
            async let cloud: Void = cloudHTTP.shutdown()
            async let webhooks: Void? = try? webhookHTTP.shutdown()
            _ = await (cloud, webhooks)
        }
    }
}
