import JobwatchStore
import Logging
import Synchronization

/// The daemon's schedule clock: the wall clock's milliseconds since 1970, but advancing with the monotonic
/// clock. When the wall clock steps (NTP, an operator, a VM resumed), `reconcile()` notices it and moves
/// the stored schedule by the same amount in the same breath as this clock, so that what was due in five
/// minutes is still due in five minutes: a step back does not stall every job until the wall clock catches
/// up, and a step forward neither expires jobs early nor fires every retry at once. Until then the step is
/// invisible to the schedulers (a poll in flight during the step plans its next poll on the old scale, with
/// everything else). Drift below `toleranceMillis` (NTP slewing) is followed as it comes.
package actor WallClockGuard {
    private let clock: any DaemonClock
    private let store: any JobStoring
    private let logger: Logger
    private let toleranceMillis: Int64
    /// The schedule clock minus the monotonic clock.
    private nonisolated let offset: Mutex<Int64>

    package init(
        clock: any DaemonClock, store: any JobStoring, logger: Logger, toleranceMillis: Int64 = 2000
    ) {
        self.clock = clock
        self.store = store
        self.logger = logger
        self.toleranceMillis = toleranceMillis
        offset = Mutex(clock.wallMillis() - clock.monotonicMillis())
    }

    /// Now, on the schedule clock.
    package nonisolated func now() -> Int64 {
        clock.monotonicMillis() + offset.withLock { $0 }
    }

    /// Looks for a step of the wall clock since the last call and, if there was one, moves the schedule and
    /// this clock with it. Returns the step (positive: the wall clock jumped forward), nil when there was
    /// none. A failed move is tried again at the next call. Callers that come while a move is under way
    /// (both schedulers and the engine's watch call this) wait for that one: the actor is reentrant at the
    /// store's `await`, and a second caller would otherwise see the same step and move the schedule twice.
    @discardableResult
    package func reconcile() async -> Int64? {
        if let underWay { return await underWay.value }
        let before = now()
        let step = clock.wallMillis() - before
        guard abs(step) > toleranceMillis else {
            // Drift (or nothing): followed at once, with no wait on the store (this runs at every look).
            if step != 0 { offset.withLock { $0 += step } }
            return nil
        }
        let move = Task { await self.move(by: step, registeredBefore: before) }
        underWay = move
        let moved = await move.value
        underWay = nil
        return moved
    }

    /// The move under way, if any.
    private var underWay: Task<Int64?, Never>?

    private func move(by step: Int64, registeredBefore before: Int64) async -> Int64? {
        do {
            try await store.shiftSchedule(byMillis: step, registeredBefore: before)
        } catch {
            logger.error(
                "the wall clock stepped by \(step / 1000) s but the schedule could not be moved; trying again",
                metadata: ["error": "\(error)"])
            return nil
        }
        offset.withLock { $0 += step }
        logger.notice(
            "the wall clock stepped by \(step / 1000) s; every planned poll, deadline and retry moved with it")
        return step
    }
}
