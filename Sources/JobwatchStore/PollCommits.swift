import GRDB
import JobwatchCore
import Synchronization

/// What `applyPoll` returns: the job as recorded and the events the poll created.
package typealias RecordedPoll = (job: StoredJob, events: [StoredEvent])

/// One poll waiting for the writer, with the caller suspended on `continuation`.
struct PendingPoll: Sendable {
    let ticket: UInt64
    let rowID: Int64
    let sinks: [SinkSubscription]
    let nowMillis: Int64
    let decide: @Sendable (StoredJob) -> PollUpdate?
    let continuation: CheckedContinuation<RecordedPoll?, any Error>
}

/// Group commit of the polls that are not written behind (`WrittenJobs`). Polls that finish while the
/// writer is busy queue here; the writer then takes them in batches (`JobStore.drainPolls`). Within a
/// batch, the polls that only move the schedule (an unchanged answer, a failed request: no transition, no
/// event, no new job state) share one transaction;
/// a poll that records a change gets a transaction of its own, as before. Every caller is resumed only
/// after the commit that holds its poll, so a poll is reported done only once it is durable; a crash
/// before the commit loses only polls nobody was told about, and their jobs are simply polled again.
final class PollCommits: Sendable {
    /// Polls per batch; a drain takes at most `batchesPerDrain` batches before it lets other writes in.
    static let batchLimit = 256
    static let batchesPerDrain = 4

    private struct State {
        var pending: [PendingPoll] = []
        /// A drain is queued on, or running on, the writer.
        var draining = false
        var nextTicket: UInt64 = 0
    }

    private let state = Mutex(State())

    func makeTicket() -> UInt64 {
        state.withLock { state in
            state.nextTicket &+= 1
            return state.nextTicket
        }
    }

    /// Queues a poll; true when no drain is under way and the caller must start one.
    func enqueue(_ poll: PendingPoll) -> Bool {
        state.withLock { state in
            state.pending.append(poll)
            guard !state.draining else { return false }
            state.draining = true
            return true
        }
    }

    /// The next batch, oldest first; nil when nothing waits (the drain then ends, and the next `enqueue`
    /// starts a new one).
    func take() -> [PendingPoll]? {
        state.withLock { state in
            guard !state.pending.isEmpty else {
                state.draining = false
                return nil
            }
            let count = min(state.pending.count, Self.batchLimit)
            let batch = Array(state.pending.prefix(count))
            state.pending.removeFirst(count)
            return batch
        }
    }

    /// How many polls wait for the writer now.
    var waiting: Int { state.withLock { $0.pending.count } }

    /// Takes back a poll that has not reached the writer yet (its task was cancelled).
    func withdraw(ticket: UInt64) -> PendingPoll? {
        state.withLock { state in
            guard let index = state.pending.firstIndex(where: { $0.ticket == ticket }) else { return nil }
            return state.pending.remove(at: index)
        }
    }
}

extension JobStore {
    /// Queues the poll for the writer and waits until it is committed (or refused).
    func commitPoll(
        rowID: Int64, sinks: [SinkSubscription], nowMillis: Int64,
        decide: @escaping @Sendable (StoredJob) -> PollUpdate?
    ) async throws -> RecordedPoll? {
        let ticket = pollCommits.makeTicket()
        return try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { continuation in
                let poll = PendingPoll(
                    ticket: ticket, rowID: rowID, sinks: sinks, nowMillis: nowMillis, decide: decide,
                    continuation: continuation)
                if pollCommits.enqueue(poll) { startPollDrain() }
            }
        } onCancel: {
            // Not written yet: give up on it (shutdown). Once the writer has it, it is recorded.
            pollCommits.withdraw(ticket: ticket)?.continuation.resume(throwing: CancellationError())
        }
    }

    private func startPollDrain() {
        pool.asyncWriteWithoutTransaction { [self] db in drainPolls(db) }
    }

    /// Runs on the writer: records the waiting polls, a few batches at a time; with more waiting, it queues
    /// itself again behind the other writes instead of holding the writer.
    private func drainPolls(_ db: Database) {
        // The polls written behind first: the rows of these polls may be among them.
        try? flushWritesBehind(db)
        for _ in 0..<PollCommits.batchesPerDrain {
            guard let batch = pollCommits.take() else { return }
            record(batch, db)
        }
        startPollDrain()
    }

    /// One batch: schedule-only polls in shared transactions, each change in its own.
    private func record(_ batch: [PendingPoll], _ db: Database) {
        let hostname = self.hostname
        var group: [(poll: PendingPoll, result: RecordedPoll?)] = []

        /// Commits the shared transaction and resumes its polls; on failure each is recorded alone.
        func commitGroup() {
            guard db.isInsideTransaction else { return }
            do {
                try db.commit()
            } catch {
                rollBack(db)
                let polls = group.map(\.poll)
                group = []
                for poll in polls { recordAlone(poll, db, hostname: hostname) }
                return
            }
            for (poll, result) in group { poll.continuation.resume(returning: result) }
            group = []
        }

        for poll in batch {
            do {
                if !db.isInsideTransaction {
                    try db.beginTransaction(.immediate)
                    try writtenJobs.validate(db)
                }
                guard let current = try writtenJobs.job(poll.rowID) ?? Self.fetchJob(db, rowID: poll.rowID),
                    current.record.tracking == .active,
                    let update = poll.decide(current)
                else {
                    group.append((poll, nil))
                    continue
                }
                if update.movesOnlySchedule {
                    let recorded = try Self.write(
                        update, over: current, sinks: poll.sinks, nowMillis: poll.nowMillis, hostname: hostname,
                        db: db)
                    writtenJobs.remember(Self.scheduleMoved(current, by: update))
                    group.append((poll, recorded))
                } else {
                    // A recorded change: the schedule-only polls before it are committed first, then the
                    // change is decided again and written in a transaction of its own.
                    commitGroup()
                    recordAlone(poll, db, hostname: hostname)
                }
            } catch {
                // The shared transaction cannot be trusted any more: roll it back and record each of its
                // polls alone, so that one bad row fails only its own poll.
                rollBack(db)
                let polls = group.map(\.poll) + [poll]
                group = []
                for poll in polls { recordAlone(poll, db, hostname: hostname) }
            }
        }
        commitGroup()
    }

    /// A change (or a poll the shared transaction failed): read from the row, and the row is read again
    /// at its next poll.
    private func recordAlone(_ poll: PendingPoll, _ db: Database, hostname: String) {
        writtenJobs.forget(poll.rowID)
        do {
            var recorded: RecordedPoll?
            try db.inTransaction(.immediate) {
                recorded = try Self.recordPoll(
                    db, rowID: poll.rowID, sinks: poll.sinks, nowMillis: poll.nowMillis, hostname: hostname,
                    decide: poll.decide)
                return .commit
            }
            poll.continuation.resume(returning: recorded)
        } catch {
            poll.continuation.resume(throwing: error)
        }
    }

    /// Rolls the shared transaction back; the rows remembered in it were not written after all.
    private func rollBack(_ db: Database) {
        writtenJobs.reset()
        if db.isInsideTransaction { try? db.rollback() }
    }
}
