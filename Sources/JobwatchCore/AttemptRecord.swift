/// What one delivery attempt came to and the delivery's state after it: what a sink hands back to the
/// outbox, which records it as it is.
package struct AttemptRecord: Sendable, Equatable {
    package var atMillis: Int64
    package var statusCode: Int?
    /// One line, never a secret nor the sink's URL; for a dead delivery, why it stopped.
    package var error: String?
    package var durationMillis: Int64
    package var newState: DeliveryState
    /// When to try again; set only when `newState` is `pending`.
    package var nextAttemptAtMillis: Int64?

    package init(
        atMillis: Int64, statusCode: Int?, error: String?, durationMillis: Int64, newState: DeliveryState,
        nextAttemptAtMillis: Int64?
    ) {
        self.atMillis = atMillis
        self.statusCode = statusCode
        self.error = error
        self.durationMillis = durationMillis
        self.newState = newState
        self.nextAttemptAtMillis = nextAttemptAtMillis
    }
}
