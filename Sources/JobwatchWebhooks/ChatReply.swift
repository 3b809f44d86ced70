import Foundation

/// The chat robots answer HTTP 200 even when they refuse a message, with the reason in the JSON body:
/// Feishu `code`/`msg` (older bots: `StatusCode`/`StatusMessage`), DingTalk and WeCom `errcode`/`errmsg`.
enum ChatReply {
    /// The refusal in a 2xx body, as one line (`errcode 310000: sign not match`); nil when it is an acceptance
    /// or the format carries no such code (CloudEvents receivers, Slack).
    static func refusal(format: WebhookFormat, body: [UInt8]) -> String? {
        let reply: Reply
        switch format {
        case .feishu, .dingtalk, .wecom:
            guard let decoded = try? JSONDecoder().decode(Reply.self, from: Data(body)) else { return nil }
            reply = decoded
        case .cloudevents, .slack:
            return nil
        }
        let fields: [(name: String, code: Int?, message: String?)] =
            format == .feishu
            ? [("code", reply.code, reply.msg), ("StatusCode", reply.statusCode, reply.statusMessage)]
            : [("errcode", reply.errcode, reply.errmsg)]
        guard let refused = fields.first(where: { ($0.code ?? 0) != 0 }), let code = refused.code else { return nil }
        return "\(refused.name) \(code)" + (refused.message.map { ": \($0)" } ?? "")
    }

    private struct Reply: Decodable {
        var code: Int?
        var msg: String?
        var statusCode: Int?
        var statusMessage: String?
        var errcode: Int?
        var errmsg: String?

        enum CodingKeys: String, CodingKey {
            case code, msg, statusCode = "StatusCode", statusMessage = "StatusMessage", errcode, errmsg
        }
    }
}
