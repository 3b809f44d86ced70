import Foundation
import JobwatchCore

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

    /// Each secret as sent and as a JSON body would quote it (`/` → `\/`, `"` → `\"`, `\` → `\\`).
    private var forms: [String] {
        secrets.filter { !$0.isEmpty }.flatMap { secret -> [String] in
            let escaped = secret.replacingOccurrences(of: "\\", with: "\\\\")
                .replacingOccurrences(of: "\"", with: "\\\"").replacingOccurrences(of: "/", with: "\\/")
            return escaped == secret ? [secret] : [escaped, secret]
        }
    }

    func redact(_ text: String) -> String {
        forms.reduce(text) { $0.replacingOccurrences(of: $1, with: Self.placeholder) }
    }

    /// The texts of an answer that a cloud could fill with what it was sent (error messages, reasons).
    func redact(_ snapshot: JobSnapshot) -> JobSnapshot {
        var redacted = snapshot
        redacted.errorCode = snapshot.errorCode.map(redact)
        redacted.failReason = snapshot.failReason.map(redact)
        redacted.currentTask = snapshot.currentTask.map(redact)
        redacted.subJobs = snapshot.subJobs.map { sub in
            var sub = sub
            sub.errorCode = sub.errorCode.map(redact)
            sub.failReason = sub.failReason.map(redact)
            return sub
        }
        return redacted
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
