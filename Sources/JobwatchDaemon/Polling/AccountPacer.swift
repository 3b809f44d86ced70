import JobwatchCore
import JobwatchStore

/// Paces requests per account (`polling.requests_per_second`, shared by all of the account's jobs) and
/// adapts the rate to throttling: it halves on a 429 and recovers while requests succeed. It runs on the
/// monotonic clock and never makes anyone wait: the poll scheduler asks for a slot before it starts a poll,
/// and an account without one is left out of that look (so a throttled account holds no `max_in_flight`
/// slot and cannot starve another) until the time it is told. With a store that several daemons share
/// (`SharedRequestSlots`, PostgreSQL), the slots are taken on the store's timeline, so the rate holds for all
/// daemons together; this daemon's adaptive rate sets the spacing of its slots.
actor AccountPacer {
    private var rates: [String: AdaptiveRate] = [:]
    private var configuredPerSecond: Double
    private let monotonicMillis: @Sendable () -> Int64
    private let sharedSlots: (any SharedRequestSlots)?

    init(
        requestsPerSecond: Double, monotonicMillis: @escaping @Sendable () -> Int64,
        sharedSlots: (any SharedRequestSlots)? = nil
    ) {
        configuredPerSecond = requestsPerSecond
        self.monotonicMillis = monotonicMillis
        self.sharedSlots = sharedSlots
    }

    /// Takes up to `count` of the account's request slots that are free now; returns how many, and when
    /// fewer than asked, how many milliseconds until the next one is (else 0).
    func reserve(account: String, count: Int = 1) async -> (taken: Int, waitMillis: Int64) {
        var rate = rates[account] ?? AdaptiveRate(perSecond: configuredPerSecond)
        rates[account] = rate
        if let sharedSlots {
            let interval = 1000 / rate.currentPerSecond
            let burst = interval * max(0, rate.currentPerSecond.rounded(.down) - 1)
            // The database did not answer: pace on this daemon's own timeline meanwhile.
            if let reserved = try? await sharedSlots.reserveRequestSlotsIfFree(
                account: account, count: count, intervalMillis: interval, burstMillis: burst)
            {
                return reserved
            }
            rate = rates[account] ?? rate
        }
        let reserved = rate.reserveIfFree(nowMillis: monotonicMillis(), count: count)
        rates[account] = rate
        return reserved
    }

    func record(_ result: PollResult, account: String) {
        var rate = rates[account] ?? AdaptiveRate(perSecond: configuredPerSecond)
        switch result {
        case .throttled: rate.recordThrottled()
        case .snapshot, .notFound: rate.recordSuccess()
        case .unauthorized, .forbidden, .failed: return
        }
        rates[account] = rate
    }

    func reconfigure(requestsPerSecond: Double) {
        configuredPerSecond = requestsPerSecond
        for key in rates.keys { rates[key]?.reconfigure(perSecond: requestsPerSecond) }
    }
}
