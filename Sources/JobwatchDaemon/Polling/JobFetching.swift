import JobwatchCore

/// Fetches one job from its cloud API and classifies the answer for the poller.
/// The real implementation wraps the Huawei Cloud client; tests substitute their own.
package protocol JobFetching: Sendable {
    func fetch(api: JobAPI, jobID: String, projectID: String?) async -> PollResult
}
