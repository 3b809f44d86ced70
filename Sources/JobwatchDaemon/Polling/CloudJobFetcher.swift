import AsyncHTTPClient
import HuaweiCloud
import JobwatchConfig
import JobwatchCore
import Logging

/// Polls through the Huawei Cloud client and classifies its answer for the poller.
struct CloudJobFetcher: JobFetching {
    let client: JobClient

    func fetch(api: JobAPI, jobID: String, projectID: String?, region: String?) async -> PollResult {
        switch await client.fetchJob(api: api, jobID: jobID, projectID: projectID, region: region) {
        case .success(let fetched):
            return .snapshot(fetched.snapshot, rawBody: fetched.body)
        case .failure(let error):
            switch error {
            case .throttled(let retryAfter, _): return .throttled(retryAfterMillis: retryAfter, message: error.summary)
            case .unauthorized: return .unauthorized(message: error.summary)
            case .forbidden: return .forbidden(message: error.summary)
            case .notFound: return .notFound(message: error.summary)
            case .transient, .malformed, .rejected: return .failed(message: error.summary)
            }
        }
    }

    /// One fetcher per account that has credentials, all sharing one HTTP client.
    static func forAccounts(
        of configuration: Configuration, httpClient: HTTPClient, environment: [String: String], logger: Logger
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
