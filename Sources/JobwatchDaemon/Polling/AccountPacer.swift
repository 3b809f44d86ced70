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

    /// Takes the account's next request slot when it is free now and returns 0; otherwise takes nothing and
    /// returns how many milliseconds until one is.
    func reserve(account: String) async -> Int64 {
        var rate = rates[account] ?? AdaptiveRate(perSecond: configuredPerSecond)
        rates[account] = rate
        if let sharedSlots {
            let interval = 1000 / rate.currentPerSecond
            let burst = interval * max(0, rate.currentPerSecond.rounded(.down) - 1)
            // The database did not answer: pace on this daemon's own timeline meanwhile.
            if let wait = try? await sharedSlots.reserveRequestSlotIfFree(
                account: account, intervalMillis: interval, burstMillis: burst)
            {
                return wait
            }
            rate = rates[account] ?? rate
        }
        let wait = rate.reserveIfFree(nowMillis: monotonicMillis())
        rates[account] = rate
        return wait
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
