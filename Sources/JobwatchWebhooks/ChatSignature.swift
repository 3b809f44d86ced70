import Crypto
import Foundation

/// The signing schemes of the chat robots that take a secret (reference/conventions.md).
enum ChatSignature {
    /// Feishu/Lark: HMAC-SHA256 keyed with `"{timestamp}\n{secret}"` over an empty message, base64;
    /// `timestampSeconds` is sent beside it in the body.
    static func feishu(secret: String, timestampSeconds: Int64) -> String {
        let key = SymmetricKey(data: Array("\(timestampSeconds)\n\(secret)".utf8))
        return Data(HMAC<SHA256>.authenticationCode(for: [UInt8](), using: key)).base64EncodedString()
    }

    /// DingTalk: HMAC-SHA256 keyed with the secret over `"{timestamp}\n{secret}"`, base64 (not yet URL-encoded);
    /// `timestampMillis` is sent beside it in the query.
    static func dingTalk(secret: String, timestampMillis: Int64) -> String {
        let key = SymmetricKey(data: Array(secret.utf8))
        let mac = HMAC<SHA256>.authenticationCode(for: Array("\(timestampMillis)\n\(secret)".utf8), using: key)
        return Data(mac).base64EncodedString()
    }
}
