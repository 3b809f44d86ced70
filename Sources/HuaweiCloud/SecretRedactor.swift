import Foundation

/// Removes an account's secrets from text that came back from the cloud before it is logged or kept.
///
/// The gateway echoes its canonical request on a bad signature, and that includes the values of signed
/// headers such as `X-Security-Token`.
struct SecretRedactor: Sendable {
    static let placeholder = "[REDACTED]"

    private let secrets: [String]

    init(auth: CloudAuth) {
        switch auth {
        case .accessKey(_, let sk, let securityToken): secrets = [sk, securityToken ?? ""]
        case .token(let token): secrets = [token]
        case .iamPassword(let credentials): secrets = [credentials.password]
        }
    }

    /// Also redacts a token obtained at run time (an IAM token).
    func adding(_ secret: String) -> SecretRedactor {
        SecretRedactor(secrets: secrets + [secret])
    }

    private init(secrets: [String]) {
        self.secrets = secrets
    }

    func redact(_ text: String) -> String {
        secrets.filter { !$0.isEmpty }.reduce(text) { $0.replacingOccurrences(of: $1, with: Self.placeholder) }
    }

    func redact(_ detail: CloudErrorDetail) -> CloudErrorDetail {
        var redacted = detail
        redacted.message = detail.message.map(redact)
        return redacted
    }

    func redact(_ error: CloudError) -> CloudError {
        switch error {
        case .throttled(let retryAfter, let detail):
            return .throttled(retryAfterMillis: retryAfter, detail: redact(detail))
        case .unauthorized(let detail): return .unauthorized(redact(detail))
        case .forbidden(let detail): return .forbidden(redact(detail))
        case .notFound(let detail): return .notFound(redact(detail))
        case .transient(let reason): return .transient(redact(reason))
        case .malformed(let excerpt): return .malformed(excerpt: redact(excerpt))
        case .rejected(let detail): return .rejected(redact(detail))
        }
    }
}
