import JobwatchCore
import JobwatchMetrics

/// Fetches one job from its cloud API and classifies the answer for the poller.
/// The real implementation wraps the Huawei Cloud client; tests substitute their own.
package protocol JobFetching: Sendable {
    /// `region`: the job's (nil: the account's); the request goes to that region's endpoint.
    func fetch(api: JobAPI, jobID: String, projectID: String?, region: String?) async -> PollResult

    /// The answer and, for a failed request, which kind of failure it was (the `outcome` of
    /// `jobwatch_polls_total`); nil leaves it to `PollResult` (a `.failed` then counts as `server_error`).
    func fetchClassified(
        api: JobAPI, jobID: String, projectID: String?, region: String?
    ) async -> (PollResult, PollOutcome?)
}

extension JobFetching {
    package func fetchClassified(
        api: JobAPI, jobID: String, projectID: String?, region: String?
    ) async -> (PollResult, PollOutcome?) {
        (await fetch(api: api, jobID: jobID, projectID: projectID, region: region), nil)
    }
}

extension PollOutcome {
    /// The outcome of a poll request: `failure` (from the fetcher) refines `.failed`; `changed` says whether
    /// an answer changed anything.
    init(_ result: PollResult, failure: PollOutcome?, changed: Bool) {
        switch result {
        case .snapshot: self = changed ? .changed : .ok
        case .throttled: self = .throttled
        case .unauthorized, .forbidden: self = .unauthorized
        case .notFound: self = .notFound
        case .failed: self = failure ?? .serverError
        }
    }
}
