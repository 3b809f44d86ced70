import Foundation
import JobwatchCore

/// Removes an account's secrets from text that came back from the cloud before it is logged or kept.
///
/// The gateway echoes its canonical request on a bad signature, and that includes the values of signed
/// headers such as `X-Security-Token`.
struct SecretRedactor: Sendable {
    static let placeholder = "[REDACTED]"

    private let secrets: [String]
    /// Each secret as sent and as a JSON body would quote it (`/` → `\/`, `"` → `\"`, `\` → `\\`), computed
    /// once: every answer is redacted.
    private let forms: [[UInt8]]

    init(auth: CloudAuth) {
        switch auth {
        case .accessKey(_, let sk, let securityToken): self.init(secrets: [sk, securityToken ?? ""])
        case .token(let token): self.init(secrets: [token])
        case .iamPassword(let credentials): self.init(secrets: [credentials.password])
        }
    }

    /// Also redacts a token obtained at run time (an IAM token).
    func adding(_ secret: String) -> SecretRedactor {
        SecretRedactor(secrets: secrets + [secret])
    }

    private init(secrets: [String]) {
        self.secrets = secrets
        forms = secrets.filter { !$0.isEmpty }.flatMap { secret -> [[UInt8]] in
            let escaped = secret.replacingOccurrences(of: "\\", with: "\\\\")
                .replacingOccurrences(of: "\"", with: "\\\"").replacingOccurrences(of: "/", with: "\\/")
            return escaped == secret ? [Array(secret.utf8)] : [Array(escaped.utf8), Array(secret.utf8)]
        }
    }

    /// Only a text that contains a secret is rewritten (a byte search first: nearly every text is clean).
    func redact(_ text: String) -> String {
        var result = text
        for form in forms where Self.contains(result, form) {
            result = result.replacingOccurrences(of: String(decoding: form, as: UTF8.self), with: Self.placeholder)
        }
        return result
    }

    private static func contains(_ text: String, _ needle: [UInt8]) -> Bool {
        var text = text
        return text.withUTF8 { haystack in
            guard let first = needle.first, haystack.count >= needle.count else { return false }
            var start = 0
            while start <= haystack.count - needle.count {
                if haystack[start] == first {
                    var offset = 1
                    while offset < needle.count && haystack[start + offset] == needle[offset] { offset += 1 }
                    if offset == needle.count { return true }
                }
                start += 1
            }
            return false
        }
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
