import JobwatchCore

/// Fetches one job from its cloud API and classifies the answer for the poller.
/// The real implementation wraps the Huawei Cloud client; tests substitute their own.
package protocol JobFetching: Sendable {
    /// `region`: the job's (nil: the account's); the request goes to that region's endpoint.
    func fetch(api: JobAPI, jobID: String, projectID: String?, region: String?) async -> PollResult
}
