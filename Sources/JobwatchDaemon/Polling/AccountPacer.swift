import JobwatchCore

/// Paces requests per account (`polling.requests_per_second`, shared by all of the account's jobs) and
/// adapts the rate to throttling: it halves on a 429 and recovers while requests succeed. It runs on the
/// monotonic clock and never makes anyone wait: the poll scheduler asks for a slot before it starts a poll,
/// and an account without one is left out of that look (so a throttled account holds no `max_in_flight`
/// slot and cannot starve another) until the time it is told.
actor AccountPacer {
    private var rates: [String: AdaptiveRate] = [:]
    private var configuredPerSecond: Double
    private let monotonicMillis: @Sendable () -> Int64

    init(requestsPerSecond: Double, monotonicMillis: @escaping @Sendable () -> Int64) {
        configuredPerSecond = requestsPerSecond
        self.monotonicMillis = monotonicMillis
    }

    /// Takes the account's next request slot when it is free now and returns 0; otherwise takes nothing and
    /// returns how many milliseconds until one is.
    func reserve(account: String) -> Int64 {
        var rate = rates[account] ?? AdaptiveRate(perSecond: configuredPerSecond)
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
