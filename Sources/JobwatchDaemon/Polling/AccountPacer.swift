import JobwatchCore

/// Paces requests per account (`polling.requests_per_second`, shared by all of the account's jobs) and
/// adapts the rate to throttling: it halves on a 429 and recovers while requests succeed.
actor AccountPacer {
    private var rates: [String: AdaptiveRate] = [:]
    private var configuredPerSecond: Double
    private let clock: @Sendable () -> Int64

    init(requestsPerSecond: Double, clock: @escaping @Sendable () -> Int64) {
        configuredPerSecond = requestsPerSecond
        self.clock = clock
    }

    /// Waits until the account may send its next request.
    func waitForTurn(account: String) async throws {
        var rate = rates[account] ?? AdaptiveRate(perSecond: configuredPerSecond)
        let delay = rate.reserve(nowMillis: clock())
        rates[account] = rate
        if delay > 0 { try await Task.sleep(for: .milliseconds(delay)) }
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
