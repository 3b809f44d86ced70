import GRDB
import Synchronization

/// Job rows as this process last wrote them in a schedule-only poll, so that the next poll of the same job
/// is decided over them without reading and decoding the row (and its sub-jobs) again: the writer's
/// largest cost per unchanged poll.
///
/// A remembered row is exactly what the row holds only while nothing else wrote it, so the cache is thrown
/// away whole
/// - when another connection committed: `PRAGMA data_version` of the writer connection, read inside the
///   write transaction (`validate`), changes only then — this process's own commits do not move it, and
///   every write of this process goes through that one connection;
/// - at any other write of this process (`JobStore.write`: registration, deliveries, a deferred poll, a
///   paused account, a shifted schedule) and at a rolled-back poll transaction;
/// and an entry is dropped when its job records a change (those are read back from the row next time).
///
/// Bounded: at `capacity` rows nothing more is remembered until the next reset (no eviction churn when more
/// jobs are polled round-robin than fit: the first `capacity` keep hitting, the others are read as before).
/// 256 covers the image jobs an account runs at once (tens); a row with its entities costs a few KiB, and
/// the 100,000-job benchmark keeps its peak RSS under 64 MiB with this and `AnswerMemo` (BENCHMARKS.md).
/// Used only on the writer (inside GRDB's write closures); the lock is never contended.
final class WrittenJobs: Sendable {
    static let capacity = 256

    private struct State {
        var jobs: [Int64: StoredJob] = [:]
        var dataVersion: Int64?
    }

    private let state = Mutex(State())

    /// Inside a write transaction: forgets everything if another connection committed since the last look.
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
    func reset() {
        state.withLock { $0.jobs.removeAll(keepingCapacity: true) }
    }

    var count: Int { state.withLock { $0.jobs.count } }
}
