import Foundation
import HuaweiCloud
import JobwatchCore
import Logging

/// The effective configuration (CONTRACT §4): what the file says, with defaults filled in and secrets loaded.
public struct Configuration: Sendable {
    /// The file it came from; nil for the built-in defaults.
    public var source: String?
    public var database: String?
    public var logLevel: Logger.Level
    /// Sorted by name.
    public var accounts: [AccountConfig]
    public var polling: PollingConfig
    public var stdout: StdoutSinkConfig
    public var webhooks: [WebhookSinkConfig]

    public init(
        source: String? = nil, database: String? = nil, logLevel: Logger.Level = .info, accounts: [AccountConfig] = [],
        polling: PollingConfig = PollingConfig(), stdout: StdoutSinkConfig = StdoutSinkConfig(),
        webhooks: [WebhookSinkConfig] = []
    ) {
        self.source = source
        self.database = database
        self.logLevel = logLevel
        self.accounts = accounts
        self.polling = polling
        self.stdout = stdout
        self.webhooks = webhooks
    }

    public func account(named name: String) -> AccountConfig? {
        accounts.first { $0.name == name }
    }

    /// The name `stdout` names the stdout sink; webhook sinks have their own names.
    public static let stdoutSinkName = "stdout"

    /// Every enabled sink and what it subscribes to, for routing events to deliveries.
    public var sinkSubscriptions: [SinkSubscription] {
        (stdout.enabled ? [SinkSubscription(name: Self.stdoutSinkName, filter: stdout.events)] : [])
            + webhooks.map { SinkSubscription(name: $0.name, filter: $0.events) }
    }
}

/// A secret value and where it came from; it prints as `<redacted>` wherever it is interpolated.
public struct Secret: Sendable, CustomStringConvertible, CustomDebugStringConvertible {
    public let value: String
    /// `inline`, `file PATH`, `env NAME` or `credential NAME`: safe to print.
    public let origin: String

    public init(value: String, origin: String) {
        self.value = value
        self.origin = origin
    }

    public var description: String { "<redacted>" }
    public var debugDescription: String { "<redacted>" }

    /// False when the configuration was loaded without reading this secret (see `SecretLoading`).
    public var isLoaded: Bool { !value.isEmpty }
}

public struct AccountConfig: Sendable {
    public var name: String
    public var region: String?
    public var projectID: String?
    public var credentials: Credentials
    public var endpoints: [CloudService: URL]

    public enum Credentials: Sendable {
        case accessKey(ak: Secret, sk: Secret, securityToken: Secret?)
        case token(Secret)
        case iamPassword(endpoint: URL?, domain: String, user: String, password: Secret)
        /// The implicit `default` account when neither the file nor `HUAWEICLOUD_SDK_AK`/`_SK` give credentials:
        /// jobs can be registered, but the daemon refuses to start until credentials are configured.
        case missing
    }

    public init(name: String, region: String?, projectID: String?, credentials: Credentials, endpoints: [CloudService: URL] = [:]) {
        self.name = name
        self.region = region
        self.projectID = projectID
        self.credentials = credentials
        self.endpoints = endpoints
    }

    /// The account as the cloud client uses it; nil when it has no credentials.
    public var cloudAccount: CloudAccount? {
        let auth: CloudAuth
        switch credentials {
        case .accessKey(let ak, let sk, let token): auth = .accessKey(ak: ak.value, sk: sk.value, securityToken: token?.value)
        case .token(let token): auth = .token(token.value)
        case .iamPassword(let endpoint, let domain, let user, let password):
            auth = .iamPassword(IAMPasswordCredentials(endpoint: endpoint, domainName: domain, userName: user, password: password.value))
        case .missing: return nil
        }
        return CloudAccount(name: name, region: region, projectID: projectID, auth: auth, endpointOverrides: endpoints)
    }
}

public struct PollingConfig: Sendable, Hashable {
    public var initialIntervalMillis: Int64 = 5000
    public var maxIntervalMillis: Int64 = 60_000
    public var multiplier: Double = 1.5
    public var jitter: Double = 0.2
    public var maxInFlight: Int = 32
    public var requestsPerSecond: Double = 10
    public var requestTimeoutMillis: Int64 = 30_000
    public var deadlineMillis: Int64 = 72 * 3_600_000
    public var notFoundAfter: Int = 5

    public init() {}

    public var policy: PollPolicy {
        PollPolicy(initialMillis: initialIntervalMillis, maxMillis: maxIntervalMillis, multiplier: multiplier, jitter: jitter)
    }
}

public struct StdoutSinkConfig: Sendable, Hashable {
    public var enabled: Bool = true
    public var events: EventFilter = .terminal
    public init() {}
}

/// The body a webhook sink sends.
public enum WebhookFormat: String, CaseIterable, Sendable {
    /// The CloudEvent itself, `application/cloudevents+json`, signed per Standard Webhooks.
    case cloudevents
    case slack
    case feishu
    case dingtalk
    case wecom
}

public struct WebhookSinkConfig: Sendable {
    public var name: String
    public var url: URL
    /// Two during a rotation: every secret signs, and all signatures are sent.
    public var secrets: [Secret]
    public var events: EventFilter
    public var format: WebhookFormat
    public var timeoutMillis: Int64
    public var maxAttempts: Int
    public var retryInitialMillis: Int64
    public var retryMaxMillis: Int64
    /// Requests in flight to this sink at once.
    public var concurrency: Int

    public init(
        name: String, url: URL, secrets: [Secret] = [], events: EventFilter = .terminal, format: WebhookFormat = .cloudevents,
        timeoutMillis: Int64 = 15_000, maxAttempts: Int = 10, retryInitialMillis: Int64 = 5000,
        retryMaxMillis: Int64 = 3_600_000, concurrency: Int = 4
    ) {
        self.name = name
        self.url = url
        self.secrets = secrets
        self.events = events
        self.format = format
        self.timeoutMillis = timeoutMillis
        self.maxAttempts = maxAttempts
        self.retryInitialMillis = retryInitialMillis
        self.retryMaxMillis = retryMaxMillis
        self.concurrency = concurrency
    }
}

/// A configuration problem: the message names the key (and file) and says how to fix it. Exit 78.
public struct ConfigError: Error, CustomStringConvertible, Sendable {
    public var message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}
