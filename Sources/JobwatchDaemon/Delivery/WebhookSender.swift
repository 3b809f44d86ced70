import AsyncHTTPClient
import JobwatchConfig
import JobwatchStore
import JobwatchWebhooks
import Logging

/// Sends one attempt with the webhook deliverer and turns its outcome into the delivery's next state.
struct WebhookSender: WebhookSending {
    let deliverer: WebhookDeliverer

    func attempt(
        _ event: StoredEvent, to sink: WebhookSinkConfig, attemptsBefore: Int, nowMillis: Int64
    ) async -> AttemptRecord {
        let outcome = await deliverer.attempt(WebhookEvent(id: event.id, type: event.type, body: event.body), to: sink)
        var random = SystemRandomNumberGenerator()
        let decision = DeliveryRetry.decide(
            attemptsMade: attemptsBefore + 1, outcome: outcome, sink: sink,
            nowMillis: nowMillis + outcome.durationMillis,
            random: &random)
        let state: DeliveryState
        let next: Int64?
        var error = outcome.error
        switch decision {
        case .delivered:
            state = .delivered
            next = nil
        case .retry(let at):
            state = .pending
            next = at
        case .dead(let reason):
            state = .dead
            next = nil
            error = reason
        }
        return AttemptRecord(
            atMillis: nowMillis, statusCode: outcome.statusCode, error: error, durationMillis: outcome.durationMillis,
            newState: state, nextAttemptAtMillis: next)
    }
}
