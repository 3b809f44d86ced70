import GRDB
import Synchronization

/// Job rows as this process last wrote them in a schedule-only poll, and the schedule-only polls it has
/// still to write (written behind).
///
/// **Remembered rows.** The next poll of a remembered job is decided over its row without reading and
/// decoding the row (and its sub-jobs) again. A remembered row is exactly what the row holds only while
/// nothing else wrote it, so the rows are forgotten whole
/// - when another connection committed: `PRAGMA data_version` of the writer connection, read inside each
///   write transaction of the polls (`validate`) and at each look of the directory watch, changes only then
///   (this process's own commits do not move it, and all of them go through that one connection);
/// - at any other write of this process (`JobStore.write`: registration, deliveries, a deferred poll, a
///   paused account, a shifted schedule) and at a rolled-back poll transaction;
/// and one row is forgotten when its job records a change (read back from the row next time).
///
/// **Written behind.** A poll that only moves the schedule of a remembered job (an unchanged answer, a
/// failed request) is decided where its answer arrived and held here (`writeBehind`); the writer writes all
/// that wait in one transaction before anything else it does (`JobStore.flushWritesBehind`): before any
/// other write of this process, before a poll that records a change, as soon as `eagerFlush` wait, and at
/// most `JobStore.writeBehindDelay` after the first. The schedule reads (`dueJobs`, `earliestPoll`) count
/// each with its own next poll. Each is an UPDATE that applies only while the row still holds
/// the polls count and next poll it was decided over and is still tracked: a row another process changed
/// meanwhile (unregistered, registered again) keeps that change, and the poll is simply not recorded. Such a
/// poll makes no event and no history, only the counters and the next poll; a crash loses at most the last
/// `writeBehindDelay` of them, and those jobs are polled again from their stored schedule. A change (a
/// transition, an event, a new job state) is never written behind: it is one transaction of its own, and the
/// poll that makes it waits for its commit.
///
/// Bounded: at `capacity` rows nothing more is remembered until the next reset (no eviction churn when more
/// jobs are polled round-robin than fit: the first `capacity` keep hitting, the others are read as before),
/// and at `capacity` waiting writes a poll goes to the writer as before. 256 covers the image jobs an account
/// runs at once (tens); a row with its entities costs a few KiB, and the 100,000-job benchmark keeps its peak
/// RSS under 64 MiB with this and `AnswerMemo` (BENCHMARKS.md).
final class WrittenJobs: Sendable {
    static let capacity = 256

    /// A poll written behind: the row to write, over what the row held when it was decided.
    struct Write: Sendable {
        var job: StoredJob
        let storedPolls: Int
        let storedNextPollAtMillis: Int64?
    }

    private struct State {
        var jobs: [Int64: StoredJob] = [:]
        var dataVersion: Int64?
        var behind: [Int64: Write] = [:]
        /// The flush timer is scheduled and has not fired yet.
        var timerScheduled = false
    }

    private let state = Mutex(State())

    /// Inside a write transaction: forgets every row if another connection committed since the last look.
    func validate(_ db: Database) throws {
        let version = try JobStore.dataVersion(db)
        state.withLock { state in
            if state.dataVersion != version {
                state.jobs.removeAll()
                state.dataVersion = version
            }
        }
    }

    func job(_ rowID: Int64) -> StoredJob? {
        state.withLock { $0.jobs[rowID] }
    }

    /// The row as a schedule-only poll left it.
    func remember(_ job: StoredJob) {
        state.withLock { state in
            guard state.jobs.count < Self.capacity || state.jobs[job.rowID] != nil else { return }
            state.jobs[job.rowID] = job
        }
    }

    func forget(_ rowID: Int64) {
        _ = state.withLock { $0.jobs.removeValue(forKey: rowID) }
    }

    /// Forgets every row (keeping the data version: the rows are read again, the version is still right).
    /// The writes behind stay: each applies only over the row it was decided over.
    func reset() {
        state.withLock { $0.jobs.removeAll(keepingCapacity: true) }
    }

    var count: Int { state.withLock { $0.jobs.count } }

    /// What the writer must be asked for after a write behind.
    enum Flush {
        case none
        /// The first write since the last timer fired: schedule one for `writeBehindDelay`.
        case later
        /// `eagerFlush` wait: flush now.
        case now
    }

    /// Writes behind that make the writer flush at once instead of after the delay: a look at the schedule
    /// reads past each of them.
    static let eagerFlush = 32

    /// Holds `moved`, decided over `current` (the remembered row), for the writer, and remembers it in its
    /// place. Nil when `current` is no longer the remembered row (the writer forgot it meanwhile) or the
    /// writes behind are at capacity: the poll then goes to the writer.
    func writeBehind(_ moved: StoredJob, over current: StoredJob) -> Flush? {
        state.withLock { state in
            guard state.jobs[current.rowID] == current,
                state.behind[current.rowID] != nil || state.behind.count < Self.capacity
            else { return nil }
            state.jobs[current.rowID] = moved
            if state.behind[current.rowID] != nil {
                state.behind[current.rowID]?.job = moved
            } else {
                state.behind[current.rowID] = Write(
                    job: moved, storedPolls: current.record.polls,
                    storedNextPollAtMillis: current.record.nextPollAtMillis)
                if state.behind.count == Self.eagerFlush { return .now }
            }
            return Self.scheduleTimer(&state) ? .later : Flush.none
        }
    }

    var hasWritesBehind: Bool { state.withLock { !$0.behind.isEmpty } }

    /// A row waiting behind, as the schedule reads need it: its stored next poll is older than this one.
    struct RowBehind: Sendable {
        let rowID: Int64
        let account: String
        let nextPollAtMillis: Int64?
    }

    func rowsBehind() -> [RowBehind] {
        state.withLock { state in
            state.behind.values.map {
                RowBehind(
                    rowID: $0.job.rowID, account: $0.job.record.account,
                    nextPollAtMillis: $0.job.record.nextPollAtMillis)
            }
        }
    }

    /// Every write behind, for the writer.
    func takeWritesBehind() -> [Write] {
        state.withLock { state in
            guard !state.behind.isEmpty else { return [] }
            defer { state.behind.removeAll(keepingCapacity: true) }
            return Array(state.behind.values)
        }
    }

    /// The flush timer fired: the next write behind schedules one again.
    func timerFired() {
        state.withLock { $0.timerScheduled = false }
    }

    /// Writes that could not be committed wait again, under the newer ones of the same rows (which were
    /// decided over them, so they apply over what these applied over). True when the caller must schedule
    /// the flush timer.
    func putBack(_ writes: [Write]) -> Bool {
        state.withLock { state in
            for write in writes {
                if let newer = state.behind[write.job.rowID] {
                    state.behind[write.job.rowID] = Write(
                        job: newer.job, storedPolls: write.storedPolls,
                        storedNextPollAtMillis: write.storedNextPollAtMillis)
                } else {
                    state.behind[write.job.rowID] = write
                }
            }
            return Self.scheduleTimer(&state)
        }
    }

    /// At most one flush timer at a time: true when none was scheduled (the caller schedules it).
    private static func scheduleTimer(_ state: inout State) -> Bool {
        guard !state.timerScheduled else { return false }
        state.timerScheduled = true
        return true
    }
}
