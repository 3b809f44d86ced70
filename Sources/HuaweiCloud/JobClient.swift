import Foundation
import JobwatchCore
import Logging
import NIOHTTP1
import Synchronization

/// One successful "GET job": the decoded snapshot, the cloud's request id and the raw body.
package struct FetchedJob: Sendable {
    package var snapshot: JobSnapshot
    package var requestID: String?
    /// The response text exactly as received.
    package var body: String

    package init(snapshot: JobSnapshot, requestID: String?, body: String) {
        self.snapshot = snapshot
        self.requestID = requestID
        self.body = body
    }
}

/// The job APIs of one configured account, over the shared HTTP client.
package final class JobClient: Sendable {
    static let userAgent = "jobwatch"

    private let httpClient: CloudHTTPClient
    private let account: CloudAccount
    private let requestTimeoutMillis: Int64
    private let logger: Logger
    private let now: @Sendable () -> Int64
    /// The account's own region's endpoints; a job in another region has its own computed per request.
    private let endpoints: [CloudService: Result<URL, CloudEndpointError>]
    private let environment: [String: String]
    private let authentication: Authentication
    private let redactor: SecretRedactor
    private let fieldProblems = OncePerJob()
    /// Each job's last answer, decoded: the same bytes again are not decoded again.
    private let answers = AnswerMemo()
    /// The `Host` header of the account's own endpoints (a foreign region's is computed per request).
    private let hosts: [String: String]
    /// The last `X-Sdk-Date` and the second it names: it changes once a second, not once a poll.
    private let lastSDKDate = Mutex<(second: Int64, text: String)?>(nil)

    private enum Authentication: Sendable {
        case signed(RequestSigner, securityToken: String?)
        case staticToken(String)
        case iam(IAMTokenProvider)
    }

    /// `environment` supplies `HUAWEICLOUD_SDK_IAM_ENDPOINT`; `now` (milliseconds since 1970) dates signatures
    /// and reads HTTP-date `Retry-After` values.
    package init(
        httpClient: CloudHTTPClient, account: CloudAccount, requestTimeoutMillis: Int64, environment: [String: String],
        logger: Logger,
        now: @escaping @Sendable () -> Int64 = { Int64((Date().timeIntervalSince1970 * 1000).rounded()) }
    ) {
        self.httpClient = httpClient
        self.account = account
        self.requestTimeoutMillis = requestTimeoutMillis
        self.now = now
        var logger = logger
        logger[metadataKey: "account"] = "\(account.name)"
        self.logger = logger
        var endpoints: [CloudService: Result<URL, CloudEndpointError>] = [:]
        for service in [CloudService.ims, .workspace] {
            endpoints[service] = Result {
                try CloudEndpoints.baseURL(for: service, account: account, environment: environment)
            }.mapError { $0 as? CloudEndpointError ?? CloudEndpointError(message: "\($0)") }
        }
        self.endpoints = endpoints
        var hosts: [String: String] = [:]
        for case .success(let url) in endpoints.values { hosts[url.absoluteString] = HostHeader.value(for: url) }
        self.hosts = hosts
        self.environment = environment
        switch account.auth {
        case .accessKey(let ak, let sk, let securityToken):
            let token = securityToken.flatMap { $0.isEmpty ? nil : $0 }
            authentication = .signed(RequestSigner(accessKey: ak, secretKey: sk), securityToken: token)
        case .token(let token):
            authentication = .staticToken(token)
        case .iamPassword(let credentials):
            authentication = .iam(
                IAMTokenProvider(
                    httpClient: httpClient, credentials: credentials, account: account, environment: environment,
                    requestTimeoutMillis: requestTimeoutMillis, now: now, logger: logger))
        }
        redactor = SecretRedactor(auth: account.auth)
    }

    /// Fetches one job in `region` (nil: the account's), at that region's endpoint (`CloudEndpoints`).
    /// `projectID` defaults to the account's for a job in the account's region (a project belongs to one
    /// region); the `ims` API sends it only as `X-Project-Id`.
    package func fetchJob(
        api: JobAPI, jobID: String, projectID: String?, region: String? = nil
    ) async -> Result<FetchedJob, CloudError> {
        var logger = self.logger
        // Only debug lines carry this metadata (the warnings name the job themselves): set it only then.
        if logger.logLevel <= .debug {
            logger[metadataKey: "api"] = "\(api.rawValue)"
            logger[metadataKey: "job_id"] = "\(jobID)"
        }
        let result = await fetch(api: api, jobID: jobID, projectID: projectID, region: region, logger: logger)
        switch result {
        case .success(let job):
            logger.debug(
                "fetched job",
                metadata: ["status": "\(job.snapshot.status.rawValue)", "request_id": "\(job.requestID ?? "-")"])
        case .failure(let error):
            logger.debug("job fetch failed", metadata: ["error": "\(error.summary)"])
        }
        return result
    }

    private func fetch(
        api: JobAPI, jobID: String, projectID: String?, region: String?, logger: Logger
    ) async -> Result<FetchedJob, CloudError> {
        let foreign = region != nil && region != account.region
        if foreign, let problem = CloudEndpoints.foreignRegionProblem(account: account, region: region ?? "") {
            return .failure(.rejected(CloudErrorDetail(status: 0, message: problem)))
        }
        let projectID = [projectID, foreign ? nil : account.projectID].compactMap { $0 }.first { !$0.isEmpty }
        if api.needsProjectID && projectID == nil {
            return .failure(
                .rejected(
                    CloudErrorDetail(
                        status: 0,
                        message: "the \(api.rawValue) API needs a project id; account '\(account.name)' has none")))
        }
        let base: URL
        let endpoint: Result<URL, CloudEndpointError>
        if foreign {
            endpoint = Result {
                try CloudEndpoints.baseURL(for: api.service, account: account, region: region, environment: environment)
            }.mapError { $0 as? CloudEndpointError ?? CloudEndpointError(message: "\($0)") }
        } else {
            endpoint = endpoints[api.service] ?? .failure(CloudEndpointError(message: "no \(api.service) endpoint"))
        }
        switch endpoint {
        case .success(let url): base = url
        case .failure(let error): return .failure(.rejected(CloudErrorDetail(status: 0, message: error.message)))
        }
        // Stored by an older version or edited by hand, an id may break out of its path segment (`..`).
        if let problem = InputRules.jobIDProblem(jobID) ?? projectID.flatMap(InputRules.projectIDProblem) {
            return .failure(.rejected(CloudErrorDetail(status: 0, message: "not requested: \(problem)")))
        }
        let path = api.path(jobID: RequestSigner.encode(jobID), projectID: projectID.map(RequestSigner.encode))
        let baseText = base.absoluteString
        // The same scheme, host and port as the endpoint's (the path is appended to it).
        let host = hosts[baseText] ?? HostHeader.value(for: base)
        guard let url = URL(string: baseText + path) else {
            return .failure(.rejected(CloudErrorDetail(status: 0, message: "cannot build a URL for job '\(jobID)'")))
        }

        var outcome = await send(url: url, host: host, api: api, jobID: jobID, projectID: projectID)
        // A token refused with 401 may have been revoked before its expiry: renew it once and try again.
        // (A 403 is a missing permission; a new token would not change it.)
        if case .iam(let provider) = authentication, case .failure(.unauthorized(let detail)) = outcome.result,
            detail.status == 401, let token = outcome.token
        {
            await provider.invalidate(token)
            logger.debug("IAM token refused; renewing it once")
            outcome = await send(url: url, host: host, api: api, jobID: jobID, projectID: projectID)
        }
        // Every text that leaves here (logs, last_error, STATUS=, events, the stored body) is redacted (an
        // answer by `send` itself).
        let redactor = outcome.token.map(self.redactor.adding) ?? self.redactor
        return outcome.result.mapError { redactor.redact($0) }
    }

    private func sdkDate(millis: Int64) -> String {
        let second = millis >= 0 ? millis / 1000 : (millis - 999) / 1000
        return lastSDKDate.withLock { last in
            if let last, last.second == second { return last.text }
            let text = CloudTime.sdkDate(millis: millis)
            last = (second, text)
            return text
        }
    }

    /// One request; `token` is the IAM token it carried, if any.
    private func send(
        url: URL, host: String, api: JobAPI, jobID: String, projectID: String?
    ) async -> (result: Result<FetchedJob, CloudError>, token: String?) {
        var headers = [("Host", host), ("Accept", "application/json"), ("User-Agent", Self.userAgent)]
        if let projectID { headers.append(("X-Project-Id", projectID)) }

        var usedToken: String?
        switch authentication {
        case .signed(let signer, let securityToken):
            if let securityToken { headers.append(("X-Security-Token", securityToken)) }
            let signed =
                ["host", "x-sdk-date"] + (projectID == nil ? [] : ["x-project-id"])
                + (securityToken == nil ? [] : ["x-security-token"])
            let sdkDate = sdkDate(millis: now())
            let signature = signer.sign(
                method: "GET", url: url, headers: headers, signedHeaders: signed, body: [], sdkDate: sdkDate)
            headers.append(("X-Sdk-Date", signature.date))
            headers.append(("Authorization", signature.authorization))
        case .staticToken(let token):
            headers.append(("X-Auth-Token", token))
        case .iam(let provider):
            switch await provider.token() {
            case .success(let token):
                usedToken = token.value
                headers.append(("X-Auth-Token", token.value))
            case .failure(let error):
                return (.failure(error), nil)
            }
        }
        let response: CloudResponse
        let exchange = await CloudExchange.perform(
            method: .GET, url: url, headers: HTTPHeaders(headers), host: host, client: httpClient,
            timeoutMillis: requestTimeoutMillis)
        switch exchange {
        case .success(let value): response = value
        case .failure(let error): return (.failure(error), usedToken)
        }
        guard response.isSuccess else {
            let error = ErrorResponseClassifier.classify(
                status: response.status, requestIDHeader: response.requestID,
                retryAfterHeader: response.headers.first(name: "Retry-After"), body: response.body, nowMillis: now())
            return (.failure(error), usedToken)
        }
        let key = AnswerMemo.Key(api: api, projectID: projectID, jobID: jobID)
        if let known = answers.answer(for: key, body: response.body, token: usedToken) {
            return (
                .success(FetchedJob(snapshot: known.snapshot, requestID: response.requestID, body: known.text)),
                usedToken
            )
        }
        let redactor = usedToken.map(self.redactor.adding) ?? self.redactor
        do {
            let decoded = try JobResponseDecoder.decodeReportingProblems(response.body, api: api, requestedJobID: jobID)
            let problems = decoded.problems.isEmpty ? nil : decoded.problems.joined(separator: "; ")
            if fieldProblems.shouldLog(problems, for: "\(api.rawValue)/\(projectID ?? "")/\(jobID)"), let problems {
                logger.warning(
                    "the cloud's answer has fields jobwatch ignores (logged once per job until they change)",
                    metadata: [
                        "api": "\(api.rawValue)", "job_id": "\(jobID)", "fields": "\(redactor.redact(problems))",
                    ])
            }
            let snapshot = redactor.redact(decoded.snapshot)
            let text = redactor.redact(String(decoding: response.body, as: UTF8.self))
            answers.remember(.init(body: response.body, token: usedToken, snapshot: snapshot, text: text), for: key)
            return (.success(FetchedJob(snapshot: snapshot, requestID: response.requestID, body: text)), usedToken)
        } catch {
            let malformed = CloudError.malformed(excerpt: JobResponseDecoder.excerpt(of: response.body))
            return (.failure(error as? CloudError ?? malformed), usedToken)
        }
    }
}
