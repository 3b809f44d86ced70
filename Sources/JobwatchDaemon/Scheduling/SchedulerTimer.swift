/// The one timer a scheduler sleeps on: armed for the earliest due moment, re-armed or disarmed after every
/// look. `DueTimer` is the real one (Dispatch); tests inject one they fire by hand, so the schedulers'
/// decisions (what is armed when, what starts) can be checked without waiting on real time.
package protocol SchedulerTimer: Sendable {
    /// What to run when the timer fires.
    func onFire(_ action: @escaping @Sendable () async -> Void)
    /// Fires once at `atMillis` on the schedule clock, whose now is `nowMillis` (at once when it is past).
    func arm(atMillis: Int64, nowMillis: Int64)
    func disarm()
    /// For good: shutdown.
    func cancel()
}

/// Makes a scheduler's timer; the argument names it (`jobwatch.poll-timer`, `jobwatch.delivery-timer`).
package typealias SchedulerTimerFactory = @Sendable (_ label: String) -> any SchedulerTimer
