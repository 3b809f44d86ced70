import Foundation
import JobwatchCore

/// The exact POST one attempt sends to a sink: URL, headers and body, for the sink's format and this
/// attempt's clock. Pure, so that every byte of it can be checked.
struct WebhookRequest {
    var url: String
    var headers: [(String, String)]
    var body: [UInt8]

    /// WeCom rejects text content longer than this many bytes.
    static let weComContentLimit = 2048

    init(event: StoredEvent, sink: WebhookSinkConfig, userAgent: String, nowMillis: Int64) {
        let seconds = nowMillis / 1000
        url = sink.url.absoluteString
        headers = [
            ("User-Agent", userAgent),
            ("webhook-id", event.id),
            ("webhook-timestamp", String(seconds)),
        ]
        let secret = sink.secrets.first?.value
        switch sink.format {
        case .cloudevents:
            body = Array(event.body.utf8)
            headers.append(("Content-Type", "application/cloudevents+json"))
            let signature = StandardWebhookSignature.sign(
                id: event.id, timestampSeconds: seconds, body: body, secrets: sink.secrets.map(\.value))
            if let signature { headers.append(("webhook-signature", signature)) }
        case .slack:
            body = Self.json(SlackText(text: ChatMessage.text(for: event)))
        case .feishu:
            var message = FeishuText(content: .init(text: ChatMessage.text(for: event)))
            if let secret {
                message.timestamp = String(seconds)
                message.sign = ChatSignature.feishu(secret: secret, timestampSeconds: seconds)
            }
            body = Self.json(message)
        case .dingtalk:
            body = Self.json(RobotText(text: .init(content: ChatMessage.text(for: event))))
            if let secret {
                let sign = ChatSignature.dingTalk(secret: secret, timestampMillis: nowMillis)
                url += (sink.url.query == nil ? "?" : "&") + "timestamp=\(nowMillis)&sign=\(Self.queryEncoded(sign))"
            }
        case .wecom:
            let content = Self.truncated(ChatMessage.text(for: event), maxBytes: Self.weComContentLimit)
            body = Self.json(RobotText(text: .init(content: content)))
        }
        if sink.format != .cloudevents { headers.append(("Content-Type", "application/json; charset=utf-8")) }
    }

    /// The text cut to at most `maxBytes` of UTF-8 at a character boundary, ending in `…` when cut.
    static func truncated(_ text: String, maxBytes: Int) -> String {
        guard text.utf8.count > maxBytes else { return text }
        let ellipsis = "…"
        var kept = ""
        var size = ellipsis.utf8.count
        for character in text {
            size += character.utf8.count
            if size > maxBytes { break }
            kept.append(character)
        }
        return kept + ellipsis
    }

    /// Percent-encodes everything but the unreserved characters, so a base64 `+`, `/` and `=` survive a query.
    private static func queryEncoded(_ text: String) -> String {
        let unreserved = CharacterSet(
            charactersIn: "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~")
        return text.addingPercentEncoding(withAllowedCharacters: unreserved) ?? text
    }

    /// Encoding these string-only shapes cannot fail.
    private static func json<T: Encodable>(_ value: T) -> [UInt8] {
        (try? JSONStyle.encoder().encode(value)).map(Array.init) ?? []
    }
}

private struct SlackText: Encodable {
    var text: String
}

private struct FeishuText: Encodable {
    var msgType = "text"
    var content: Content
    var timestamp: String?
    var sign: String?

    struct Content: Encodable { var text: String }

    enum CodingKeys: String, CodingKey {
        case msgType = "msg_type", content, timestamp, sign
    }
}

/// The text message of the DingTalk and WeCom robots, which share a shape.
private struct RobotText: Encodable {
    var msgtype = "text"
    var text: Text

    struct Text: Encodable { var content: String }
}
