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
    /// Every attempt counts, the first included. The default (8) with the standard schedule spans about 27 h.
    package var maxAttempts: Int
    /// With `retryMaxMillis`, an exponential schedule instead of the standard one; nil when not configured.
    package var retryInitialMillis: Int64?
    package var retryMaxMillis: Int64?
    /// Requests in flight to this sink at once.
    package var concurrency: Int

    /// Waits of the standard retry schedule (Svix's): 5 s, 5 min, 30 min, 2 h, 5 h, 10 h, 10 h after
    /// attempts 1 to 7; about 27.6 hours from the first attempt to the eighth.
    package static let standardRetryWaitsMillis: [Int64] = [
        5_000, 300_000, 1_800_000, 7_200_000, 18_000_000, 36_000_000, 36_000_000,
    ]
    /// The exponential schedule's bounds when only one of `retry_initial` and `retry_max` is configured.
    package static let defaultRetryInitialMillis: Int64 = 5_000
    package static let defaultRetryMaxMillis: Int64 = 3_600_000

    /// True when neither `retry_initial` nor `retry_max` is configured: the standard schedule applies.
    package var usesStandardRetrySchedule: Bool { retryInitialMillis == nil && retryMaxMillis == nil }

    package init(
        name: String, url: URL, secrets: [Secret] = [], events: EventFilter = .terminal,
        format: WebhookFormat = .cloudevents,
        timeoutMillis: Int64 = 15_000, maxAttempts: Int = 8, retryInitialMillis: Int64? = nil,
        retryMaxMillis: Int64? = nil, concurrency: Int = 4
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
