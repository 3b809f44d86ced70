import Foundation

/// The daemon's two clocks. The wall clock (milliseconds since 1970) dates what is stored and printed and
/// is the scale of the stored schedule (`next_poll_at`, deadlines, retries); the monotonic one never
/// steps and measures every wait: pacing, timers, and the detection of wall-clock steps (`WallClockGuard`).
package protocol DaemonClock: Sendable {
    func wallMillis() -> Int64
    /// Milliseconds from an arbitrary origin on a clock that never jumps (`ContinuousClock`).
    func monotonicMillis() -> Int64
}

/// The real clocks.
package struct SystemClock: DaemonClock {
    private let origin = ContinuousClock.now

    package init() {}

    package func wallMillis() -> Int64 {
        Int64((Date().timeIntervalSince1970 * 1000).rounded())
    }

    package func monotonicMillis() -> Int64 {
        let elapsed = origin.duration(to: .now).components
        return elapsed.seconds * 1000 + elapsed.attoseconds / 1_000_000_000_000_000
    }
}
