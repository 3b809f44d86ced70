import JobwatchCore
import JobwatchWebhooks

/// Makes one delivery attempt of an outbox event to a webhook sink and decides what comes next; the
/// `WebhookDeliverer` in production, a stand-in in tests.
package protocol WebhookSending: Sendable {
    func attempt(
        _ event: StoredEvent, to sink: WebhookSinkConfig, attemptsBefore: Int, nowMillis: Int64
    ) async -> AttemptRecord
}

extension WebhookDeliverer: WebhookSending {}
