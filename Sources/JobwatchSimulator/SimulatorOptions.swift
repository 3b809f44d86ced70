import Foundation

/// How a simulator authenticates requests and tells the time.
package struct SimulatorOptions: Sendable, CustomStringConvertible {
    /// Access key → secret key. Requests to the job APIs must carry a valid `SDK-HMAC-SHA256` signature from
    /// one of them, unless this and `iamUsers` are both empty: then every request is accepted unsigned.
    package var credentials: [String: String]
    /// IAM user name → password accepted by `POST /v3/auth/tokens`; the tokens it issues are accepted as
    /// `X-Auth-Token` on the job APIs.
    package var iamUsers: [String: String]
    /// Milliseconds since 1970; injectable so tests can move job lifecycles forward without waiting.
    package var now: @Sendable () -> Int64
    /// How long an issued IAM token is valid (24 h, like IAM's).
    package var tokenLifetimeMillis: Int64

    package init(
        credentials: [String: String] = [:], iamUsers: [String: String] = [:],
        now: @escaping @Sendable () -> Int64 = SimulatorOptions.systemClock,
        tokenLifetimeMillis: Int64 = 24 * 3_600_000
    ) {
        self.credentials = credentials
        self.iamUsers = iamUsers
        self.now = now
        self.tokenLifetimeMillis = tokenLifetimeMillis
    }

    /// The wall clock in milliseconds since 1970.
    package static let systemClock: @Sendable () -> Int64 = { Int64((Date().timeIntervalSince1970 * 1000).rounded()) }

    var requiresAuthentication: Bool { !credentials.isEmpty || !iamUsers.isEmpty }

    /// Names the access keys and users, never a secret key or a password.
    package var description: String {
        "SimulatorOptions(access keys: \(credentials.keys.sorted()), IAM users: \(iamUsers.keys.sorted()))"
    }
}
