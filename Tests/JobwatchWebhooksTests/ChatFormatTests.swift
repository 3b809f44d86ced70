import Crypto
import Foundation
import JobwatchCore
import JobwatchSimulator
import JobwatchTestKit
import JobwatchWebhooks
import Testing

@Suite struct ChatFormatTests {
    private let message =
        "✅ SUCCESS · ims · imsCreateImageByInstance · 9a175ac79d2a54ad019d2d11f02349b4 · 3m08s · "
        + "image eacac5cb-1153-4b8c-873c-73e036f5a988 (nightly)"

    @Test func slackGetsItsTextAndTheWebhookID() async throws {
        try await withReceiver([.text(200, "ok")]) { url, receiver, deliverer in
            let outcome = await deliverer.attempt(sampleEvent(), to: sink(url + "/services/T0/B0/x", format: .slack))
            #expect(outcome.success)
            let request = try #require(receiver.requests.first)
            #expect(request.bodyText == #"{"text":"\#(message)"}"#)
            #expect(request.header("Content-Type") == "application/json; charset=utf-8")
            #expect(request.header("webhook-id") == sampleEvent().id)
            #expect(request.header("webhook-signature") == nil)
        }
    }

    @Test func feishuIsSignedInTheBody() async throws {
        let secret = "feishu-bot-secret"
        try await withReceiver([.json(200, #"{"StatusCode":0,"StatusMessage":"success","code":0,"msg":"success"}"#)]) {
            url, receiver, deliverer in
            let outcome = await deliverer.attempt(
                sampleEvent(), to: sink(url + "/open-apis/bot/v2/hook/abc", format: .feishu, secrets: [secret]))
            #expect(outcome.success)
            let request = try #require(receiver.requests.first)
            // Feishu: HMAC-SHA256 keyed with "{timestamp}\n{secret}" over nothing.
            let key = SymmetricKey(data: Array("1763790060\n\(secret)".utf8))
            let sign = Data(HMAC<SHA256>.authenticationCode(for: [UInt8](), using: key)).base64EncodedString()
            #expect(
                request.bodyText
                    == #"{"content":{"text":"\#(message)"},"msg_type":"text","sign":"\#(sign)","#
                    + #""timestamp":"1763790060"}"#
            )
            #expect(request.header("webhook-id") == sampleEvent().id)
        }
    }

    @Test func feishuWithoutSecretSendsNoSign() async throws {
        try await withReceiver([.json(200, #"{"code":0,"msg":"success"}"#)]) { url, receiver, deliverer in
            #expect(await deliverer.attempt(sampleEvent(), to: sink(url, format: .feishu)).success)
            #expect(receiver.requests.first?.bodyText == #"{"content":{"text":"\#(message)"},"msg_type":"text"}"#)
        }
    }

    @Test func dingTalkIsSignedInTheQuery() async throws {
        let secret = "SEC0123456789abcdef"
        try await withReceiver([.json(200, #"{"errcode":0,"errmsg":"ok"}"#)]) { url, receiver, deliverer in
            let outcome = await deliverer.attempt(
                sampleEvent(), to: sink(url + "/robot/send?access_token=abc", format: .dingtalk, secrets: [secret]))
            #expect(outcome.success)
            let request = try #require(receiver.requests.first)
            // DingTalk: HMAC-SHA256 keyed with the secret over "{timestamp ms}\n{secret}", base64, URL-encoded.
            let mac = HMAC<SHA256>.authenticationCode(
                for: Array("1763790060123\n\(secret)".utf8), using: SymmetricKey(data: Array(secret.utf8)))
            let sign = Data(mac).base64EncodedString()
                .replacingOccurrences(of: "+", with: "%2B").replacingOccurrences(of: "/", with: "%2F")
                .replacingOccurrences(of: "=", with: "%3D")
            #expect(request.uri == "/robot/send?access_token=abc&timestamp=1763790060123&sign=\(sign)")
            #expect(request.bodyText == #"{"msgtype":"text","text":{"content":"\#(message)"}}"#)
            #expect(request.header("webhook-id") == sampleEvent().id)
        }
    }

    @Test func weComGetsTheRobotTextWithTheKeyLeftInTheURL() async throws {
        try await withReceiver([.json(200, #"{"errcode":0,"errmsg":"ok"}"#)]) { url, receiver, deliverer in
            let outcome = await deliverer.attempt(
                sampleEvent(), to: sink(url + "/cgi-bin/webhook/send?key=k-123", format: .wecom))
            #expect(outcome.success)
            let request = try #require(receiver.requests.first)
            #expect(request.uri == "/cgi-bin/webhook/send?key=k-123")
            #expect(request.bodyText == #"{"msgtype":"text","text":{"content":"\#(message)"}}"#)
        }
    }

    @Test func weComContentIsCutToItsLimitAtACharacterBoundary() async throws {
        let failed = sampleEvent(
            type: .failed, status: "FAIL", errorCode: "IMS.0193", failReason: String(repeating: "失败原因 ", count: 400),
            imageID: nil,
            imageName: nil)
        try await withReceiver([.json(200, #"{"errcode":0,"errmsg":"ok"}"#)]) { url, receiver, deliverer in
            #expect(await deliverer.attempt(failed, to: sink(url, format: .wecom)).success)
            struct Robot: Decodable {
                struct Text: Decodable { var content: String }
                var text: Text
            }
            let body = try #require(receiver.requests.first?.body)
            let content = try JSONDecoder().decode(Robot.self, from: Data(body)).text.content
            #expect(content.utf8.count <= 2048 && content.utf8.count > 2000)
            #expect(content.hasPrefix("❌ FAIL · ims · imsCreateImageByInstance"))
            #expect(content.hasSuffix("…"))
        }
    }

    @Test(arguments: [
        (
            WebhookFormat.feishu,
            #"{"code":19021,"msg":"sign match fail or timestamp is not within one hour from current time"}"#,
            "code 19021: sign match fail or timestamp is not within one hour from current time"
        ),
        (WebhookFormat.feishu, #"{"StatusCode":9499,"StatusMessage":"Bad Request"}"#, "StatusCode 9499: Bad Request"),
        (WebhookFormat.dingtalk, #"{"errcode":310000,"errmsg":"sign not match"}"#, "errcode 310000: sign not match"),
        (
            WebhookFormat.wecom, #"{"errcode":93000,"errmsg":"invalid webhook url"}"#,
            "errcode 93000: invalid webhook url"
        ),
    ])
    func aRefusalInsideHTTP200IsAFailedAttempt(format: WebhookFormat, reply: String, error: String) async throws {
        try await withReceiver([.json(200, reply)]) { url, _, deliverer in
            let outcome = await deliverer.attempt(
                sampleEvent(), to: sink(url + "/robot?access_token=abc", format: format))
            #expect(!outcome.success && outcome.statusCode == 200)
            #expect(outcome.error == error)
        }
    }
}
