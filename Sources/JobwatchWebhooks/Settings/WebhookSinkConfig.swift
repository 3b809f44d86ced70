import Foundation
import JobwatchCore

/// One webhook sink (`sinks.webhooks[]` in the configuration) as the webhook layer uses it: where to POST,
/// how to sign, which events, and the retry settings. The webhook layer owns it; JobwatchConfig builds it
/// from the YAML, as it builds HuaweiCloud's `CloudAccount`.
package struct WebhookSinkConfig: Sendable {
    package var name: String
    package var url: URL
    /// Two during a rotation: every secret signs, and all signatures are sent.
    package var secrets: [Secret]
    package var events: EventFilter
    package var format: WebhookFormat
    package var timeoutMillis: Int64
    package var maxAttempts: Int
    package var retryInitialMillis: Int64
    package var retryMaxMillis: Int64
    /// Requests in flight to this sink at once.
    package var concurrency: Int

    package init(
        name: String, url: URL, secrets: [Secret] = [], events: EventFilter = .terminal,
        format: WebhookFormat = .cloudevents,
        timeoutMillis: Int64 = 15_000, maxAttempts: Int = 10, retryInitialMillis: Int64 = 5000,
        retryMaxMillis: Int64 = 3_600_000, concurrency: Int = 4
    ) {
        self.name = name
        self.url = url
        self.secrets = secrets
        self.events = events
        self.format = format
        self.timeoutMillis = timeoutMillis
        self.maxAttempts = maxAttempts
        self.retryInitialMillis = retryInitialMillis
        self.retryMaxMillis = retryMaxMillis
        self.concurrency = concurrency
    }
}
