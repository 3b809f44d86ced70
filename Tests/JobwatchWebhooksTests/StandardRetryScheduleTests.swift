import Foundation
import JobwatchCore
import JobwatchWebhooks
import Testing

/// The default retry schedule outlasts a receiver that is down for a day (Svix's schedule, ±20 %).
@Suite struct StandardRetryScheduleTests {
    private let failed = AttemptOutcome(success: false, statusCode: 503, error: "HTTP 503")

    /// Every wait between attempts until the delivery is dead, with the defaults of a configured sink.
    func waits(seed: UInt64, sink: WebhookSinkConfig) -> (waits: [Int64], attempts: Int) {
        var random = SeededRandom(seed: seed)
        var now: Int64 = 1_000_000_000
        var waits: [Int64] = []
        var attempts = 1
        while case .retry(let at) = DeliveryRetry.decide(
            attemptsMade: attempts, outcome: failed, sink: sink, nowMillis: now, random: &random)
        {
            waits.append(at - now)
            now = at
            attempts += 1
        }
        return (waits, attempts)
    }

    @Test(arguments: [UInt64(1), 7, 42, 9_999])
    func theDefaultsSpanMoreThanADayInEightAttempts(seed: UInt64) throws {
        let defaults = WebhookSinkConfig(name: "ops", url: URL(string: "https://hooks.example.com/")!)
        #expect(defaults.maxAttempts == 8 && defaults.usesStandardRetrySchedule)
        let (waits, attempts) = self.waits(seed: seed, sink: defaults)
        #expect(attempts == 8)
        let nominal: [Int64] = [5_000, 300_000, 1_800_000, 7_200_000, 18_000_000, 36_000_000, 36_000_000]
        #expect(waits.count == nominal.count)
        for (wait, planned) in zip(waits, nominal) {
            #expect(Double(wait) >= Double(planned) * 0.8 && Double(wait) <= Double(planned) * 1.2, "\(waits)")
        }
        let total = waits.reduce(0, +)
        // 27.6 h nominal; even with every wait at -20 % it is more than 22 h, and the mean is above 24 h.
        #expect(total > 22 * 3_600_000, "\(total) ms")
        #expect(waits.count == Set(waits).count, "jitter spreads the waits")
    }

    @Test func theMeanSpanOfTheDefaultsIsOverTwentyFourHours() {
        let defaults = WebhookSinkConfig(name: "ops", url: URL(string: "https://hooks.example.com/")!)
        let spans = (1...50).map { Double(waits(seed: UInt64($0), sink: defaults).waits.reduce(0, +)) }
        #expect(spans.reduce(0, +) / Double(spans.count) > 24 * 3_600_000)
    }

    @Test func moreAttemptsRepeatTheLastWaitAndFewerCutTheScheduleShort() {
        var long = WebhookSinkConfig(name: "ops", url: URL(string: "https://hooks.example.com/")!)
        long.maxAttempts = 10
        let (waits, attempts) = self.waits(seed: 3, sink: long)
        #expect(attempts == 10 && waits.suffix(3).allSatisfy { $0 >= 28_800_000 && $0 <= 43_200_000 })
        long.maxAttempts = 3
        #expect(self.waits(seed: 3, sink: long).waits.count == 2)
    }

    @Test func configuringRetryMaxSwitchesToTheExponentialSchedule() {
        var sink = WebhookSinkConfig(name: "ops", url: URL(string: "https://hooks.example.com/")!)
        sink.retryMaxMillis = 60_000
        #expect(!sink.usesStandardRetrySchedule)
        let (waits, _) = self.waits(seed: 5, sink: sink)
        #expect(waits.allSatisfy { (5_000...60_000).contains($0) }, "\(waits)")
    }
}
