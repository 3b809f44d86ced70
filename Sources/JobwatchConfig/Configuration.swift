import Foundation
import HuaweiCloud
import JobwatchCore
import JobwatchWebhooks
import Logging

/// The effective configuration (CONTRACT §4): what the file says, with defaults filled in and secrets loaded.
package struct Configuration: Sendable {
    /// The file it came from; nil for the built-in defaults.
    package var source: String?
    package var database: String?
    /// How the PostgreSQL password is given (`database_password`, `_file`, `_env`, `_credential`).
    package var databasePassword: DatabasePassword?
    package var logLevel: Logger.Level
    /// Sorted by name.
    package var accounts: [AccountConfig]
    package var polling: PollingConfig
    package var stdout: StdoutSinkConfig
    package var webhooks: [WebhookSinkConfig]
    /// `metrics.listen`; nil: no metrics endpoint.
    package var metrics: MetricsConfig?
    package var retention = RetentionConfig()

    package init(
        source: String? = nil, database: String? = nil, logLevel: Logger.Level = .info, accounts: [AccountConfig] = [],
        polling: PollingConfig = PollingConfig(), stdout: StdoutSinkConfig = StdoutSinkConfig(),
        webhooks: [WebhookSinkConfig] = [], metrics: MetricsConfig? = nil
    ) {
        self.metrics = metrics
        self.source = source
        self.database = database
        self.logLevel = logLevel
        self.accounts = accounts
        self.polling = polling
        self.stdout = stdout
        self.webhooks = webhooks
    }

    package func account(named name: String) -> AccountConfig? {
        accounts.first { $0.name == name }
    }

    /// The name `stdout` names the stdout sink; webhook sinks have their own names.
    package static let stdoutSinkName = "stdout"

    /// Every enabled sink and what it subscribes to, for routing events to deliveries.
    package var sinkSubscriptions: [SinkSubscription] {
        (stdout.enabled ? [SinkSubscription(name: Self.stdoutSinkName, filter: stdout.events)] : [])
            + webhooks.map { SinkSubscription(name: $0.name, filter: $0.events) }
    }
}

package struct AccountConfig: Sendable {
    package var name: String
    package var region: String?
    package var projectID: String?
    package var credentials: Credentials
    /// Validated by `CloudEndpoints` rules, so what loads here the client accepts.
    package var endpoints: [CloudService: EndpointOverride]

    package enum Credentials: Sendable {
        case accessKey(ak: Secret, sk: Secret, securityToken: Secret?)
        case token(Secret)
        case iamPassword(endpoint: URL?, domain: String, user: String, password: Secret)
        /// The implicit `default` account when neither the file nor `HUAWEICLOUD_SDK_AK`/`_SK` give credentials:
        /// jobs can be registered, but the daemon refuses to start until credentials are configured.
        case missing
    }

    package init(
        name: String, region: String?, projectID: String?, credentials: Credentials,
        endpoints: [CloudService: EndpointOverride] = [:]
    ) {
        self.name = name
        self.region = region
        self.projectID = projectID
        self.credentials = credentials
        self.endpoints = endpoints
    }

    /// The account as the cloud client uses it; nil when it has no credentials.
    package var cloudAccount: CloudAccount? {
        let auth: CloudAuth
        switch credentials {
        case .accessKey(let ak, let sk, let token):
            auth = .accessKey(ak: ak.value, sk: sk.value, securityToken: token?.value)
        case .token(let token): auth = .token(token.value)
        case .iamPassword(let endpoint, let domain, let user, let password):
            auth = .iamPassword(
                IAMPasswordCredentials(endpoint: endpoint, domainName: domain, userName: user, password: password.value)
            )
        case .missing: return nil
        }
        return CloudAccount(name: name, region: region, projectID: projectID, auth: auth, endpointOverrides: endpoints)
    }
}

package struct PollingConfig: Sendable, Hashable {
    package var initialIntervalMillis: Int64 = 5000
    package var maxIntervalMillis: Int64 = 60_000
    package var multiplier: Double = 1.5
    package var jitter: Double = 0.2
    package var maxInFlight: Int = 32
    /// 0.5: the gateway's per-user budget is 200 requests per 5 minutes (0.67/s, quoted in its 429 APIGW.0308),
    /// shared with every other tool of the account; 0.5/s leaves a quarter of it to them.
    package var requestsPerSecond: Double = 0.5
    package var requestTimeoutMillis: Int64 = 30_000
    package var deadlineMillis: Int64 = 72 * 3_600_000
    package var notFoundAfter: Int = 5
    /// No change at all for this long: one `jobwatch.job.stalled` event; 0 turns it off.
    package var stallAfterMillis: Int64 = 6 * 3_600_000
    package static let longestStallAfterMillis: Int64 = 365 * 86_400_000

    package init() {}

    package var policy: PollPolicy {
        PollPolicy(
            initialMillis: initialIntervalMillis, maxMillis: maxIntervalMillis, multiplier: multiplier, jitter: jitter)
    }
}

package struct StdoutSinkConfig: Sendable, Hashable {
    package var enabled: Bool = true
    package var events: EventFilter = .terminal
    package init() {}
}

/// A configuration problem: the message names the key (and file) and says how to fix it. Exit 78.
package struct ConfigError: Error, CustomStringConvertible, Sendable {
    package var message: String
    package init(_ message: String) { self.message = message }
    package var description: String { message }
}
