/// The `outcome` label of `jobwatch_polls_total` (CONTRACT §6).
package enum PollOutcome: String, CaseIterable, Sendable {
    /// The cloud answered and nothing changed.
    case ok
    /// The cloud answered and the status, progress, current task or a sub-job changed.
    case changed
    case throttled
    /// 401/403: credentials, clock or permissions.
    case unauthorized
    case notFound = "not_found"
    /// 5xx, and any other refusal of the request (an unexpected 4xx or 3xx).
    case serverError = "server_error"
    /// Timeouts, refused or dropped connections, truncated or oversized answers.
    case networkError = "network_error"
    /// A 2xx answer that is not a job.
    case malformed
}
