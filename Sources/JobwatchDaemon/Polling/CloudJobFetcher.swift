import HuaweiCloud
import JobwatchConfig
import JobwatchCore
import JobwatchMetrics
import Logging

/// Polls through the Huawei Cloud client and classifies its answer for the poller.
struct CloudJobFetcher: JobFetching {
    let client: JobClient

    func fetch(api: JobAPI, jobID: String, projectID: String?, region: String?) async -> PollResult {
        await fetchClassified(api: api, jobID: jobID, projectID: projectID, region: region).0
    }

    func fetchClassified(
        api: JobAPI, jobID: String, projectID: String?, region: String?
    ) async -> (PollResult, PollOutcome?) {
        switch await client.fetchJob(api: api, jobID: jobID, projectID: projectID, region: region) {
        case .success(let fetched):
            return (.snapshot(fetched.snapshot, rawBody: fetched.body), nil)
        case .failure(let error):
            switch error {
            case .throttled(let retryAfter, _):
                return (.throttled(retryAfterMillis: retryAfter, message: error.summary), .throttled)
            case .unauthorized: return (.unauthorized(message: error.summary), .unauthorized)
            // The metrics' outcomes (CONTRACT §6) have no "forbidden": a refused permission counts as unauthorized.
            case .forbidden: return (.forbidden(message: error.summary), .unauthorized)
            case .notFound: return (.notFound(message: error.summary), .notFound)
            case .transient(let reason):
                // A 5xx answer is summarized as "HTTP 5xx …"; everything else transient never got an answer.
                return (.failed(message: error.summary), reason.hasPrefix("HTTP ") ? .serverError : .networkError)
            case .malformed: return (.failed(message: error.summary), .malformed)
            case .rejected: return (.failed(message: error.summary), .serverError)
            }
        }
    }

    /// One fetcher per account that has credentials, all sharing one HTTP client.
    static func forAccounts(
        of configuration: Configuration, httpClient: CloudHTTPClient, environment: [String: String], logger: Logger
    ) -> [String: any JobFetching] {
        var fetchers: [String: any JobFetching] = [:]
        for account in configuration.accounts {
            guard let cloudAccount = account.cloudAccount else { continue }
            fetchers[account.name] = CloudJobFetcher(
                client: JobClient(
                    httpClient: httpClient, account: cloudAccount,
                    requestTimeoutMillis: configuration.polling.requestTimeoutMillis, environment: environment,
                    logger: logger))
        }
        return fetchers
    }
}
