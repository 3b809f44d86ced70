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

    /// Takes up to `count` slots that are free now, never one that is not: the scheduler asks before it
    /// starts polls, so no poll waits holding a `max_in_flight` slot. Returns how many were taken and, when
    /// fewer than asked, how many milliseconds until the next one is free (else 0).
    package mutating func reserveIfFree(nowMillis: Int64, count: Int = 1) -> (taken: Int, waitMillis: Int64) {
        let interval = 1000 / currentPerSecond
        let burstTolerance = interval * max(0, currentPerSecond.rounded(.down) - 1)
        let (taken, next, wait) = Self.freeSlots(
            nextSlotMillis: nextSlotMillis, nowMillis: Double(nowMillis), count: count, intervalMillis: interval,
            burstMillis: burstTolerance)
        nextSlotMillis = next
        return (taken, wait)
    }

    /// The GCRA step on one timeline, for this pacer and for a timeline that several daemons share (kept in
    /// the database): up to `count` slots from `max(nextSlotMillis, now)` on, each `intervalMillis` apart,
    /// that are no more than `burstMillis` ahead of now. Returns how many, the timeline's new next slot, and
    /// the wait for the next free one when fewer than `count` were free (at least 1 ms; else 0).
    package static func freeSlots(
        nextSlotMillis: Double, nowMillis now: Double, count: Int, intervalMillis interval: Double, burstMillis: Double
    ) -> (taken: Int, nextSlotMillis: Double, waitMillis: Int64) {
        let base = max(nextSlotMillis, now)
        let ahead = now + burstMillis - base
        let free = ahead < 0 ? 0 : Int(min(Double(Int32.max), (ahead / interval).rounded(.down))) + 1
        let taken = max(0, min(count, free))
        let next = base + Double(taken) * interval
        let wait = taken < count ? max(1, Int64((next - now - burstMillis).rounded(.up))) : 0
        return (taken, next, wait)
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
