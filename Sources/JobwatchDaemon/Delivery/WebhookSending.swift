import JobwatchConfig
import JobwatchStore

/// Makes one delivery attempt of an event to a webhook sink and decides what comes next.
package protocol WebhookSending: Sendable {
    func attempt(
        _ event: StoredEvent, to sink: WebhookSinkConfig, attemptsBefore: Int, nowMillis: Int64
    ) async -> AttemptRecord
}
