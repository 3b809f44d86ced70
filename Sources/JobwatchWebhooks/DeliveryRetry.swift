import Foundation
import JobwatchCore

/// What the outbox does with a delivery after an attempt.
package enum DeliveryDecision: Sendable, Equatable {
    case delivered
    /// Try again at this time (milliseconds since 1970).
    case retry(atMillis: Int64)
    /// Stop for good; the delivery stays visible as `dead` and can be redelivered by hand.
    case dead(reason: String)

    /// The attempt as the outbox records it: its outcome and the delivery's state after it (a dead delivery
    /// records why it stopped as its error).
    func record(of outcome: AttemptOutcome, atMillis: Int64) -> AttemptRecord {
        var record = AttemptRecord(
            atMillis: atMillis, statusCode: outcome.statusCode, error: outcome.error,
            durationMillis: outcome.durationMillis, newState: .delivered, nextAttemptAtMillis: nil)
        switch self {
        case .delivered: break
        case .retry(let at):
            record.newState = .pending
            record.nextAttemptAtMillis = at
        case .dead(let reason):
            record.newState = .dead
            record.error = reason
        }
        return record
    }
}

/// The retry maths of webhook deliveries, at most `max_attempts` attempts in all, `Retry-After` honoured,
/// `410 Gone` final. By default the standard schedule (Svix's: 5 s, 5 min, 30 min, 2 h, 5 h, 10 h, 10 h, so
/// eight attempts span about 27.6 hours, a weekend outage of the receiver included); with `retry_initial` or
/// `retry_max` configured, exponential backoff between them. Every wait is spread by ±20 %. Pure: the clock
/// and the randomness come in.
package enum DeliveryRetry {
    /// Each exponential wait is about this many times the one before, until `retry_max`.
    static let multiplier = 4.0
    /// Each wait is spread by up to ±20 %, so that deliveries failed together do not retry together.
    static let jitter = 0.2

    package static func decide<R: RandomNumberGenerator>(
        attemptsMade: Int, outcome: AttemptOutcome, sink: WebhookSinkConfig, nowMillis: Int64, random: inout R
    ) -> DeliveryDecision {
        if outcome.success { return .delivered }
        if outcome.gone { return .dead(reason: "the receiver answered 410 Gone: no more attempts for this event") }
        if attemptsMade >= sink.maxAttempts {
            let lastError = outcome.error ?? outcome.statusCode.map { "HTTP \($0)" } ?? "failed"
            return .dead(
                reason: "gave up after \(attemptsMade) attempt\(attemptsMade == 1 ? "" : "s"); last: \(lastError)")
        }
        let wait =
            outcome.retryAfterMillis.map { min(max(0, $0), RetryAfter.maxMillis) }
            ?? backoffMillis(afterAttempt: attemptsMade, sink: sink, random: &random)
        return .retry(atMillis: SaturatingTime.adding(wait, to: nowMillis))
    }

    /// The wait after attempt `n` (1-based), spread by the jitter. The standard schedule past its seventh wait
    /// repeats the last one (10 h); the exponential one is `retry_initial · multiplier^(n-1)`, always within
    /// [`retry_initial`, `retry_max`].
    static func backoffMillis<R: RandomNumberGenerator>(
        afterAttempt n: Int, sink: WebhookSinkConfig, random: inout R
    ) -> Int64 {
        let spread = Double.random(in: (1 - jitter)...(1 + jitter), using: &random)
        if sink.usesStandardRetrySchedule {
            let waits = WebhookSinkConfig.standardRetryWaitsMillis
            let base = Double(waits[min(max(0, n - 1), waits.count - 1)])
            return Int64((base * spread).rounded())
        }
        let initial = sink.retryInitialMillis ?? WebhookSinkConfig.defaultRetryInitialMillis
        let low = Double(initial)
        let high = Double(max(initial, sink.retryMaxMillis ?? WebhookSinkConfig.defaultRetryMaxMillis))
        // The exponent stops at 30: past that every wait is retry_max anyway.
        let base = min(high, low * pow(multiplier, Double(min(max(0, n - 1), 30))))
        return Int64(min(high, max(low, base * spread)).rounded())
    }
}
