import Crypto
import Foundation
import JobwatchCore
import JobwatchSimulator
import JobwatchTestKit
import JobwatchWebhooks
import Testing

@Suite struct WebhookDelivererTests {
    @Test func deliversTheEventUnchangedWithSignedStandardWebhookHeaders() async throws {
        let event = sampleEvent()
        try await withReceiver([.text(204, "")]) { url, receiver, deliverer in
            let outcome = await deliverer.attempt(event, to: sink(url + "/hook", secrets: [testSecret]))
            #expect(outcome.success && outcome.statusCode == 204 && outcome.error == nil && !outcome.gone)

            let request = try #require(receiver.requests.first)
            #expect(request.method == "POST" && request.uri == "/hook")
            #expect(request.bodyText == event.body)
            #expect(request.header("Content-Type") == "application/cloudevents+json")
            #expect(request.header("User-Agent") == "jobwatch/1.2.3")
            #expect(request.header("webhook-id") == event.id)
            #expect(request.header("webhook-timestamp") == "1763790060")

            // Verified as a receiver would: HMAC-SHA256 over the exact bytes received, keyed with the decoded secret.
            let key = SymmetricKey(
                data: try #require(Data(base64Encoded: String(testSecret.dropFirst("whsec_".count)))))
            let signed = Array("\(event.id).1763790060.".utf8) + request.body
            let expected = "v1," + Data(HMAC<SHA256>.authenticationCode(for: signed, using: key)).base64EncodedString()
            #expect(request.header("webhook-signature") == expected)
        }
    }

    @Test func noSecretSendsNoSignature() async throws {
        try await withReceiver([.text(200, "ok")]) { url, receiver, deliverer in
            let outcome = await deliverer.attempt(sampleEvent(), to: sink(url))
            #expect(outcome.success)
            let request = try #require(receiver.requests.first)
            #expect(request.header("webhook-signature") == nil)
            #expect(request.header("webhook-id") == sampleEvent().id)
        }
    }

    @Test func serverErrorFailsThenTheRetryCarriesTheSameWebhookID() async throws {
        let event = sampleEvent()
        try await withReceiver([.text(503, "down for maintenance"), .text(200, "")]) { url, receiver, deliverer in
            let config = sink(url, secrets: [testSecret])
            let first = await deliverer.attempt(event, to: config)
            #expect(!first.success && first.statusCode == 503 && !first.gone)
            #expect(first.error == "HTTP 503: down for maintenance")
            let second = await deliverer.attempt(event, to: config)
            #expect(second.success)
            let ids = receiver.requests.map { $0.header("webhook-id") }
            #expect(ids == [event.id, event.id])
        }
    }

    @Test func aReceiverTooSlowTimesOut() async throws {
        try await withReceiver([.text(200, "")], delay: .seconds(3)) { url, _, deliverer in
            let outcome = await deliverer.attempt(sampleEvent(), to: sink(url, timeoutMillis: 300))
            // The receiver would answer 200 after 3 s: a failure without a status means the client gave up first.
            #expect(!outcome.success && outcome.statusCode == nil)
            #expect(outcome.error != nil)
            #expect(outcome.durationMillis >= 300)
        }
    }

    @Test func goneIsFlaggedAndDecidedDead() async throws {
        try await withReceiver([.text(410, "")]) { url, _, deliverer in
            let config = sink(url)
            let outcome = await deliverer.attempt(sampleEvent(), to: config)
            #expect(!outcome.success && outcome.statusCode == 410 && outcome.gone)
            var random = SeededRandom(seed: 1)
            let decision = DeliveryRetry.decide(
                attemptsMade: 1, outcome: outcome, sink: config, nowMillis: fixedNowMillis, random: &random)
            guard case .dead = decision else {
                Issue.record("expected dead, got \(decision)")
                return
            }
        }
    }

    @Test(arguments: [
        ("120", Int64(120_000)),
        ("Sat, 22 Nov 2025 05:46:00 GMT", Int64(299_877)),  // 5 min after the fixed clock, less its 123 ms
    ])
    func retryAfterSetsTheNextAttempt(header: String, expectedMillis: Int64) async throws {
        try await withReceiver([.json(429, #"{"error":"slow down"}"#, headers: [("Retry-After", header)])]) {
            url, _, deliverer in
            let config = sink(url)
            let outcome = await deliverer.attempt(sampleEvent(), to: config)
            #expect(!outcome.success && outcome.statusCode == 429)
            #expect(outcome.retryAfterMillis == expectedMillis)
            var random = SeededRandom(seed: 1)
            let decision = DeliveryRetry.decide(
                attemptsMade: 1, outcome: outcome, sink: config, nowMillis: fixedNowMillis, random: &random)
            #expect(decision == .retry(atMillis: fixedNowMillis + expectedMillis))
        }
    }

    @Test func redirectsAreFailuresAndNotFollowed() async throws {
        try await withReceiver([ServerResponse(status: 302, headers: [("Location", "/elsewhere")])]) {
            url, receiver, deliverer in
            let outcome = await deliverer.attempt(sampleEvent(), to: sink(url + "/hook"))
            #expect(!outcome.success && outcome.statusCode == 302)
            #expect(receiver.requests.map(\.uri) == ["/hook"])
        }
    }

    @Test func aReceiverThatIsDownIsAFailure() async throws {
        let server = try await LoopbackHTTPServer.start { _ in .text(200, "") }
        let url = server.baseURL
        await server.shutdown()
        try await withDeliverer { deliverer in
            // The bound is far below the timeout yet generous: a loaded machine can stall an event loop for seconds.
            let outcome = await deliverer.attempt(sampleEvent(), to: sink(url, timeoutMillis: 30_000))
            #expect(!outcome.success && outcome.statusCode == nil)
            #expect(outcome.error == "could not connect: connection refused")
            #expect(outcome.durationMillis < 15_000, "a refused connection fails at once")
        }
    }

    @Test func errorsNeverCarryTheURLOrSecret() async throws {
        let token = "SECRET-TOKEN-1234"
        try await withReceiver([.text(404, "no_service for /services/\(token)")]) { url, _, deliverer in
            let outcome = await deliverer.attempt(sampleEvent(), to: sink(url + "/services/\(token)", format: .slack))
            let error = try #require(outcome.error)
            #expect(error.hasPrefix("HTTP 404"))
            #expect(!error.contains(token))
        }
    }
}

@Suite struct WebhookLoggingTests {
    @Test func logLinesNameTheSinkButNeverItsURLNorSecret() async throws {
        let token = "XOXB-TOKEN-5678"
        let secret = "feishu-secret-9876"
        let log = CapturedLog()
        try await withReceiver(
            [.text(500, "failed for /hook/\(token) signed with \(secret)"), .text(200, "ok")], logger: log.logger
        ) {
            url, _, deliverer in
            let failing = sink(url + "/hook/\(token)", format: .feishu, secrets: [secret])
            #expect(await !deliverer.attempt(sampleEvent(), to: failing).success)
            #expect(await deliverer.attempt(sampleEvent(), to: failing).success)
            let lines = log.all
            #expect(lines.count == 2)
            #expect(lines.allSatisfy { $0.contains("sink=ops") && $0.contains("event_id=\(sampleEvent().id)") })
            #expect(lines.allSatisfy { !$0.contains(token) && !$0.contains(secret) && !$0.contains(url) })
        }
    }
}

@Suite struct WebhookResponseBodyTests {
    @Test func aHugeAnswerIsReadOnlyUpToTheCapAndStillCounts() async throws {
        let huge = ServerResponse(status: 200, body: Array(repeating: UInt8(ascii: "x"), count: 1_000_000))
        try await withReceiver([huge]) { url, _, deliverer in
            let outcome = await deliverer.attempt(sampleEvent(), to: sink(url))
            #expect(outcome.success && outcome.statusCode == 200)
        }
    }
}
