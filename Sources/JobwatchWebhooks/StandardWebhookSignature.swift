import Crypto
import Foundation

/// Standard Webhooks v1 signing: `v1,<base64 HMAC-SHA256(key, "{id}.{timestamp}.{body}")>`.
package enum StandardWebhookSignature {
    /// The `webhook-signature` header value: one space-separated entry per secret (two during a rotation).
    /// `secrets` are `whsec_…` texts; nil when there is none or one is not a valid Standard Webhooks secret
    /// (the configuration loader rejects those, so that does not happen for a loaded sink).
    package static func sign(id: String, timestampSeconds: Int64, body: [UInt8], secrets: [String]) -> String? {
        guard !secrets.isEmpty else { return nil }
        let signedContent = Array("\(id).\(timestampSeconds).".utf8) + body
        var entries: [String] = []
        for secret in secrets {
            guard let key = StandardWebhookKey.decode(secret) else { return nil }
            let mac = HMAC<SHA256>.authenticationCode(for: signedContent, using: SymmetricKey(data: key))
            entries.append("v1," + Data(mac).base64EncodedString())
        }
        return entries.joined(separator: " ")
    }
}
