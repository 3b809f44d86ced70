import AsyncHTTPClient
import HuaweiCloud
import JobwatchConfig
import JobwatchStore
import JobwatchWebhooks
import Logging

/// The real dependencies of a daemon: one HTTP client for the cloud, one for webhooks (no redirects,
/// their own timeouts), and the engine wired to them.
package final class DaemonRuntime: Sendable {
    package let engine: DaemonEngine
    private let cloudHTTP: HTTPClient
    private let webhookHTTP: HTTPClient

    package init(
        store: JobStore, configuration: Configuration, environment: [String: String], version: String,
        printer: any EventPrinting = JSONLinesPrinter(), logger: Logger
    ) {
        let cloudHTTP = CloudHTTPClient.make(requestTimeoutMillis: configuration.polling.requestTimeoutMillis)
        let webhookHTTP = WebhookDeliverer.makeHTTPClient()
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
            webhooks: deliverer, printer: printer, logger: logger)
    }

    /// Closes the HTTP clients; call after the engine stopped.
    package func shutdown() async {
        try? await cloudHTTP.shutdown()
        try? await webhookHTTP.shutdown()
    }
}
