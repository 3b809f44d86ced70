/// What one delivery attempt to one sink came to; the worker records it and asks `DeliveryRetry` what next.
package struct AttemptOutcome: Sendable, Equatable {
    /// A 2xx answer (and, for the chat platforms, no error code in it).
    package var success: Bool
    /// The HTTP status, nil when no answer came (timeout, connection error).
    package var statusCode: Int?
    /// One line saying what went wrong; never a secret nor the sink's URL. Nil on success.
    package var error: String?
    /// The receiver's `Retry-After`, as a delay from the end of this attempt.
    package var retryAfterMillis: Int64?
    /// `410 Gone`: the receiver asked never to be sent this event again.
    package var gone: Bool
    package var durationMillis: Int64

    package init(
        success: Bool, statusCode: Int? = nil, error: String? = nil, retryAfterMillis: Int64? = nil, gone: Bool = false,
        durationMillis: Int64 = 0
    ) {
        self.success = success
        self.statusCode = statusCode
        self.error = error
        self.retryAfterMillis = retryAfterMillis
        self.gone = gone
        self.durationMillis = durationMillis
    }
}
