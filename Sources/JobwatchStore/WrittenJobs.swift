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
        /// A flush of `behind` is scheduled.
        var flushScheduled = false
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

    /// Holds `moved`, decided over `current` (the remembered row), for the writer, and remembers it in its
    /// place. Nil when `current` is no longer the remembered row (the writer forgot it meanwhile) or the
    /// writes behind are at capacity: the poll then goes to the writer. Otherwise whether the caller must
    /// schedule a flush (this is the first write since the last one was scheduled).
    func writeBehind(_ moved: StoredJob, over current: StoredJob) -> Bool? {
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
            }
            guard !state.flushScheduled else { return false }
            state.flushScheduled = true
            return true
        }
    }

    /// Writes behind that make the writer flush at once instead of after the delay: a look at the schedule
    /// reads past each of them.
    static let eagerFlush = 32

    var writesBehind: Int { state.withLock { $0.behind.count } }

    var hasWritesBehind: Bool { state.withLock { !$0.behind.isEmpty } }

    /// The rows waiting behind now, as they will be written: their stored next poll is older than theirs.
    func rowsBehind() -> [StoredJob] {
        state.withLock { $0.behind.values.map(\.job) }
    }

    /// Every write behind, for the writer (the next `writeBehind` schedules a flush again).
    func takeWritesBehind() -> [Write] {
        state.withLock { state in
            state.flushScheduled = false
            guard !state.behind.isEmpty else { return [] }
            defer { state.behind.removeAll(keepingCapacity: true) }
            return Array(state.behind.values)
        }
    }

    /// Writes that could not be committed wait again, under the newer ones of the same rows (which were
    /// decided over them, so they apply over what these applied over). True when the caller must schedule a
    /// flush.
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
            guard !state.flushScheduled, !state.behind.isEmpty else { return false }
            state.flushScheduled = true
            return true
        }
    }
}
