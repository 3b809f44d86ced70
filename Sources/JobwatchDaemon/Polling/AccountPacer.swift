import JobwatchCore
import JobwatchStore

/// Paces requests per account (`polling.requests_per_second`, shared by all of the account's jobs) and
/// adapts the rate to throttling: it halves on a 429 and recovers while requests succeed. With a store that
/// several daemons share (`SharedRequestSlots`, PostgreSQL), the slots are taken on the store's timeline,
/// so the rate holds for all daemons together; this daemon's adaptive rate sets the spacing of its slots.
actor AccountPacer {
    private var rates: [String: AdaptiveRate] = [:]
    private var configuredPerSecond: Double
    private let clock: @Sendable () -> Int64
    private let sharedSlots: (any SharedRequestSlots)?

    init(
        requestsPerSecond: Double, clock: @escaping @Sendable () -> Int64,
        sharedSlots: (any SharedRequestSlots)? = nil
    ) {
        configuredPerSecond = requestsPerSecond
        self.clock = clock
        self.sharedSlots = sharedSlots
    }

    /// Waits until the account may send its next request.
    func waitForTurn(account: String) async throws {
        var rate = rates[account] ?? AdaptiveRate(perSecond: configuredPerSecond)
        if let sharedSlots {
            rates[account] = rate
            let interval = 1000 / rate.currentPerSecond
            let burst = interval * max(0, rate.currentPerSecond.rounded(.down) - 1)
            // The database did not answer: pace on this daemon's own timeline meanwhile.
            if let delay = try? await sharedSlots.reserveRequestSlot(
                account: account, intervalMillis: interval, burstMillis: burst)
            {
                if delay > 0 { try await Task.sleep(for: .milliseconds(delay)) }
                return
            }
            rate = rates[account] ?? rate
        }
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
