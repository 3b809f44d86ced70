import Foundation
import JobwatchCore
import Logging
import NIOCore
import NIOHTTP1

/// An IAM token and its validity window.
struct IAMToken: Sendable, Hashable {
    var value: String
    var obtainedAtMillis: Int64
    var expiresAtMillis: Int64

    /// Renew once the time left drops below an hour or a fifth of the token's life, whichever is smaller:
    /// a 24 h token is renewed with an hour to spare, a 30 min one with 6 min (not on every request).
    func needsRenewal(nowMillis: Int64) -> Bool {
        let life = max(0, expiresAtMillis - obtainedAtMillis)
        let margin = min(3_600_000, life / 5)
        return nowMillis >= expiresAtMillis - margin
    }
}

/// Exchanges an IAM user's password for a project-scoped token (`POST /v3/auth/tokens`), caches it and
/// renews it before it expires. Concurrent callers share one renewal.
actor IAMTokenProvider {
    private let httpClient: CloudHTTPClient
    private let credentials: IAMPasswordCredentials
    private let endpoint: Result<URL, CloudEndpointError>
    private let scope: Result<JSONValue, CloudError>
    private let requestTimeoutMillis: Int64
    private let now: @Sendable () -> Int64
    private let logger: Logger

    private var cached: IAMToken?
    private var renewal: Task<IAMToken, Error>?

    init(
        httpClient: CloudHTTPClient, credentials: IAMPasswordCredentials, account: CloudAccount,
        environment: [String: String], requestTimeoutMillis: Int64, now: @escaping @Sendable () -> Int64, logger: Logger
    ) {
        self.httpClient = httpClient
        self.credentials = credentials
        self.endpoint = Result { try CloudEndpoints.baseURL(for: .iam, account: account, environment: environment) }
            .mapError { $0 as? CloudEndpointError ?? CloudEndpointError(message: "\($0)") }
        // Scoped by project id when the account has one, else by the project named after the region.
        if let projectID = account.projectID, !projectID.isEmpty {
            scope = .success(.object(["project": .object(["id": .string(projectID)])]))
        } else if let region = account.region, !region.isEmpty {
            scope = .success(.object(["project": .object(["name": .string(region)])]))
        } else {
            scope = .failure(
                .rejected(
                    CloudErrorDetail(
                        status: 0,
                        message: "account '\(account.name)' needs a project id or a region to scope its IAM token")))
        }
        self.requestTimeoutMillis = requestTimeoutMillis
        self.now = now
        self.logger = logger
    }

    /// A valid token: the cached one, or a new one.
    func token() async -> Result<IAMToken, CloudError> {
        if let cached, !cached.needsRenewal(nowMillis: now()) { return .success(cached) }
        let task: Task<IAMToken, Error>
        if let renewal {
            task = renewal
        } else {
            task = Task { try await self.requestToken().get() }
            renewal = task
        }
        do {
            let token = try await task.value
            if renewal == task {
                cached = token
                renewal = nil
            }
            return .success(token)
        } catch {
            if renewal == task { renewal = nil }
            return .failure(error as? CloudError ?? .transient("IAM token request failed: \(error)"))
        }
    }

    /// Forgets a token the cloud refused, unless it was already replaced.
    func invalidate(_ value: String) {
        if cached?.value == value { cached = nil }
    }

    private func requestToken() async -> Result<IAMToken, CloudError> {
        let base: URL
        switch endpoint {
        case .success(let url): base = url
        case .failure(let error): return .failure(.rejected(CloudErrorDetail(status: 0, message: error.message)))
        }
        let scope: JSONValue
        switch self.scope {
        case .success(let value): scope = value
        case .failure(let error): return .failure(error)
        }
        let url = URL(string: base.absoluteString + "/v3/auth/tokens")!
        let host = HostHeader.value(for: url)
        let headers = HTTPHeaders([
            ("Host", host), ("Content-Type", "application/json;charset=utf8"), ("Accept", "application/json"),
            ("User-Agent", JobClient.userAgent),
        ])

        let sentAt = now()
        let response: CloudResponse
        let exchange = await CloudExchange.perform(
            method: .POST, url: url, headers: headers, body: requestBody(scope: scope), host: host,
            client: httpClient, timeoutMillis: requestTimeoutMillis)
        switch exchange {
        case .success(let value): response = value
        case .failure(let error): return .failure(error)
        }
        let redactor = SecretRedactor(auth: .iamPassword(credentials))
        guard response.isSuccess else {
            let error = ErrorResponseClassifier.classify(
                status: response.status, requestIDHeader: response.requestID,
                retryAfterHeader: response.headers.first(name: "Retry-After"), body: response.body, nowMillis: now())
            return .failure(redactor.redact(error))
        }
        guard let value = response.headers.first(name: "X-Subject-Token"), !value.isEmpty,
            let expiresText = TolerantJSON.parse(response.body)?["token"]?["expires_at"]?.stringValue,
            let expiresAt = CloudTime.parseMillis(expiresText)
        else {
            return .failure(.malformed(excerpt: "IAM token response without X-Subject-Token or token.expires_at"))
        }
        logger.debug(
            "obtained an IAM token",
            metadata: [
                "expires_at": "\(CloudTime.format(millis: expiresAt))", "request_id": "\(response.requestID ?? "-")",
            ])
        return .success(IAMToken(value: value, obtainedAtMillis: sentAt, expiresAtMillis: expiresAt))
    }

    private func requestBody(scope: JSONValue) -> [UInt8] {
        let user: JSONValue = .object([
            "name": .string(credentials.userName),
            "password": .string(credentials.password),
            "domain": .object(["name": .string(credentials.domainName)]),
        ])
        let auth: JSONValue = .object([
            "identity": .object(["methods": .array([.string("password")]), "password": .object(["user": user])]),
            "scope": scope,
        ])
        return Array((try? JSONStyle.encoder().encode(JSONValue.object(["auth": auth]))) ?? Data())
    }
}
