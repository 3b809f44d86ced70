import Foundation

/// Standard Webhooks secrets: `whsec_` + base64; the HMAC key is the decoded bytes.
package enum StandardWebhookKey {
    package static func decode(_ secret: String) -> [UInt8]? {
        guard secret.hasPrefix("whsec_") else { return nil }
        guard let data = Data(base64Encoded: String(secret.dropFirst(6))), !data.isEmpty else { return nil }
        return Array(data)
    }
}
