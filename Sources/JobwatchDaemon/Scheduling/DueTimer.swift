import Dispatch
import JobwatchCore
import Synchronization

/// A one-shot DispatchSourceTimer re-armed for the next due moment: the process sleeps until then
/// instead of ticking at a fixed rate.
final class DueTimer: SchedulerTimer, @unchecked Sendable {
    // DispatchSource methods are thread-safe; the class only forwards to them.
    private let source: DispatchSourceTimer
    /// Whether a deadline is set. Re-scheduling a Dispatch timer wakes Dispatch's manager thread, and a
    /// saturated scheduler disarms at every look (hundreds a second): a timer already disarmed is left alone.
    /// Cleared when the timer fires; a fire racing a new `arm` can only leave it false while armed, which
    /// costs at most one extra look, never a missed one.
    private let armed = Atomic(false)

    init(label: String) {
        source = DispatchSource.makeTimerSource(queue: DispatchQueue(label: label))
        source.schedule(deadline: .distantFuture)
        source.activate()
    }

    /// What to run when the timer fires (in a new task, so an actor can be reached).
    func onFire(_ action: @escaping @Sendable () async -> Void) {
        source.setEventHandler { [weak self] in
            self?.armed.store(false, ordering: .relaxed)
            Task { await action() }
        }
    }

    /// Fires once at `atMillis` (now when it is past). Far-away deadlines get a proportional leeway so the
    /// kernel may coalesce wake-ups; near ones fire within a few milliseconds.
    func arm(atMillis: Int64, nowMillis: Int64) {
        let delay = max(0, SaturatingTime.difference(atMillis, nowMillis))
        let leeway = min(max(delay / 100, 2), 1000)
        armed.store(true, ordering: .relaxed)
        source.schedule(
            deadline: .now() + .milliseconds(Int(min(delay, Int64(Int32.max)))), leeway: .milliseconds(Int(leeway)))
    }

    func disarm() {
        guard armed.exchange(false, ordering: .relaxed) else { return }
        source.schedule(deadline: .distantFuture)
    }

    func cancel() {
        source.cancel()
    }
}
