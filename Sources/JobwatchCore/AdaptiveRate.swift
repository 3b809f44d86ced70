/// A per-account request pacer: a token bucket (GCRA) whose rate halves when the gateway throttles and
/// recovers additively while requests succeed. Pure: the caller passes the clock and sleeps the delay.
package struct AdaptiveRate: Sendable {
    package private(set) var configuredPerSecond: Double
    package private(set) var currentPerSecond: Double
    /// The theoretical arrival time of the next request, in milliseconds.
    private var nextSlotMillis: Double = 0

    package init(perSecond: Double) {
        configuredPerSecond = max(perSecond, 0.01)
        currentPerSecond = configuredPerSecond
    }

    /// Takes a slot and returns how long to wait before sending, in milliseconds.
    /// Up to one second's worth of requests may go at once after a quiet spell.
    package mutating func reserve(nowMillis: Int64) -> Int64 {
        let now = Double(nowMillis)
        let interval = 1000 / currentPerSecond
        let burstTolerance = interval * max(0, currentPerSecond.rounded(.down) - 1)
        let slot = max(nextSlotMillis, now)
        nextSlotMillis = slot + interval
        return Int64(max(0, slot - now - burstTolerance).rounded(.up))
    }

    /// Takes a slot only when it is free now (returns 0); otherwise takes nothing and returns how many
    /// milliseconds until one is. The scheduler asks before it starts a poll, so no poll waits holding a slot.
    package mutating func reserveIfFree(nowMillis: Int64) -> Int64 {
        let now = Double(nowMillis)
        let interval = 1000 / currentPerSecond
        let burstTolerance = interval * max(0, currentPerSecond.rounded(.down) - 1)
        let slot = max(nextSlotMillis, now)
        let wait = Int64(max(0, slot - now - burstTolerance).rounded(.up))
        if wait == 0 { nextSlotMillis = slot + interval }
        return wait
    }

    /// The gateway said 429: halve the rate (down to one request a minute at worst).
    package mutating func recordThrottled() {
        currentPerSecond = max(currentPerSecond / 2, min(configuredPerSecond, 1.0 / 60))
    }

    /// A request went through: win back a twentieth of the configured rate.
    package mutating func recordSuccess() {
        currentPerSecond = min(configuredPerSecond, currentPerSecond + configuredPerSecond / 20)
    }

    /// A new configured rate (on reload); a throttled account stays at its reduced rate if that is lower.
    package mutating func reconfigure(perSecond: Double) {
        configuredPerSecond = max(perSecond, 0.01)
        currentPerSecond = min(currentPerSecond, configuredPerSecond)
    }
}
