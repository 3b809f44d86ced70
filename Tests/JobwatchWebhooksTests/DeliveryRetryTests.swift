import JobwatchCore
import JobwatchWebhooks
import Testing

@Suite struct DeliveryRetryTests {
    private let now: Int64 = 1_000_000_000
    private let failed = AttemptOutcome(success: false, statusCode: 503, error: "HTTP 503")

    @Test func successIsDelivered() {
        var random = SystemRandomNumberGenerator()
        let decision = DeliveryRetry.decide(
            attemptsMade: 1, outcome: AttemptOutcome(success: true, statusCode: 204), sink: sink("http://127.0.0.1:1/"),
            nowMillis: now, random: &random)
        #expect(decision == .delivered)
    }

    @Test(arguments: [UInt64(1), 2, 3, 42, 9_999])
    func scheduleStaysWithinBoundsAndStopsAfterMaxAttempts(seed: UInt64) throws {
        var random = SeededRandom(seed: seed)
        var config = sink("http://127.0.0.1:1/", maxAttempts: 10)
        config.retryInitialMillis = 5000
        config.retryMaxMillis = 3_600_000
        var waits: [Int64] = []
        var attempts = 0
        var decision = DeliveryDecision.retry(atMillis: now)
        while case .retry(let at) = decision {
            attempts += 1
            if attempts > 1 { waits.append(at - now) }
            decision = DeliveryRetry.decide(
                attemptsMade: attempts, outcome: failed, sink: config, nowMillis: now, random: &random)
        }
        #expect(attempts == 10)
        try #require(waits.count == 9)
        #expect(waits.allSatisfy { (5000...3_600_000).contains($0) })
        #expect(waits[0] < 6001, "the first retry comes about retry_initial after the first attempt")
        #expect(waits[8] >= 2_880_000, "the waits grow to about retry_max")
        guard case .dead(let reason) = decision else {
            Issue.record("expected dead, got \(decision)")
            return
        }
        #expect(reason.contains("10 attempts") && reason.contains("HTTP 503"))
    }

    @Test func waitsGrowUntilRetryMax() throws {
        var config = sink("http://127.0.0.1:1/", maxAttempts: 100)
        config.retryInitialMillis = 1000
        config.retryMaxMillis = 60_000
        var random = SeededRandom(seed: 7)
        let waits = (1...8).map { attempt -> Int64 in
            guard
                case .retry(let at) = DeliveryRetry.decide(
                    attemptsMade: attempt, outcome: failed, sink: config, nowMillis: now, random: &random)
            else { return -1 }
            return at - now
        }
        try #require(waits.count == 8)
        #expect(waits.allSatisfy { (1000...60_000).contains($0) })
        #expect(waits[2] > waits[0])
        #expect(waits[7] > 45_000)
    }

    @Test func oneAttemptAllowedMeansDeadAtOnce() {
        var random = SeededRandom(seed: 1)
        let decision = DeliveryRetry.decide(
            attemptsMade: 1, outcome: failed, sink: sink("http://127.0.0.1:1/", maxAttempts: 1), nowMillis: now,
            random: &random)
        #expect(decision == .dead(reason: "gave up after 1 attempt; last: HTTP 503"))
    }

    @Test func goneIsDeadAtOnce() {
        var random = SeededRandom(seed: 1)
        let gone = AttemptOutcome(success: false, statusCode: 410, error: "HTTP 410", gone: true)
        let decision = DeliveryRetry.decide(
            attemptsMade: 1, outcome: gone, sink: sink("http://127.0.0.1:1/"), nowMillis: now, random: &random)
        guard case .dead(let reason) = decision else {
            Issue.record("expected dead, got \(decision)")
            return
        }
        #expect(reason.contains("410"))
    }

    @Test func retryAfterWinsOverTheBackoff() {
        var random = SeededRandom(seed: 1)
        var throttled = failed
        throttled.retryAfterMillis = 120_000
        let decision = DeliveryRetry.decide(
            attemptsMade: 1, outcome: throttled, sink: sink("http://127.0.0.1:1/"), nowMillis: now, random: &random)
        #expect(decision == .retry(atMillis: now + 120_000))
    }

    @Test func retryAfterDoesNotOutliveMaxAttempts() {
        var random = SeededRandom(seed: 1)
        var throttled = failed
        throttled.retryAfterMillis = 120_000
        let decision = DeliveryRetry.decide(
            attemptsMade: 3, outcome: throttled, sink: sink("http://127.0.0.1:1/", maxAttempts: 3), nowMillis: now,
            random: &random)
        guard case .dead = decision else {
            Issue.record("expected dead, got \(decision)")
            return
        }
    }
}
