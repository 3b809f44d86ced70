import Dispatch
import GRDB
import JobwatchCore

/// Schedule-only polls written behind (see `WrittenJobs`): decided where the answer arrived, written by the
/// writer in one transaction before anything else it does, and at most `writeBehindDelay` after the first.
extension JobStore {
    /// How long a schedule-only poll waits to be written, at most: what `show` may lag, and what a crash
    /// may lose (those jobs are then polled again from their stored schedule).
    static let writeBehindDelay = DispatchTimeInterval.milliseconds(250)

    /// An unchanged poll (or a failed request) of a job whose row this process wrote last: decided over that
    /// row and written behind. Nil when the poll must go to the writer (a change, a row not remembered, the
    /// writes behind at capacity).
    func recordBehind(rowID: Int64, decide: (StoredJob) -> PollUpdate?) -> RecordedPoll? {
        guard let current = writtenJobs.job(rowID), current.record.tracking == .active,
            let update = decide(current), update.movesOnlySchedule,
            let flush = writtenJobs.writeBehind(Self.scheduleMoved(current, by: update), over: current)
        else { return nil }
        switch flush {
        case .none: break
        case .later: scheduleFlush()
        case .now: flushSoon()
        }
        return (Self.recordedJob(update, over: current), [])
    }

    /// The flush timer: at most one at a time (`WrittenJobs.timerFired`).
    private func scheduleFlush() {
        DispatchQueue.global().asyncAfter(deadline: .now() + Self.writeBehindDelay) { [weak self] in
            guard let self else { return }
            writtenJobs.timerFired()
            flushSoon()
        }
    }

    private func flushSoon() {
        pool.asyncWriteWithoutTransaction { [self] db in try? flushWritesBehind(db) }
    }

    /// On the writer, outside a transaction: writes every poll waiting behind, in one transaction. A write
    /// whose row another process changed meanwhile is dropped (the row keeps that change). On a locked
    /// database the writes wait for the next flush; on any other error they are dropped (their jobs are
    /// polled again from the stored schedule, and a row that cannot be written fails its own poll then).
    func flushWritesBehind(_ db: Database) throws {
        let writes = writtenJobs.takeWritesBehind()
        guard !writes.isEmpty else { return }
        do {
            try db.inTransaction(.immediate) {
                try writtenJobs.validate(db)
                for write in writes {
                    let over = (polls: write.storedPolls, nextPollAtMillis: write.storedNextPollAtMillis)
                    if try !Self.moveSchedule(db, of: write.job, over: over) { writtenJobs.forget(write.job.rowID) }
                }
                return .commit
            }
        } catch let error as DatabaseError where [.SQLITE_BUSY, .SQLITE_LOCKED].contains(error.resultCode) {
            if writtenJobs.putBack(writes) { scheduleFlush() }
            throw error
        } catch {
            writtenJobs.reset()
            throw error
        }
    }

    /// Written before the process stops: the polls waiting behind.
    package func writePendingPolls() async {
        guard writtenJobs.hasWritesBehind else { return }
        try? await pool.writeWithoutTransaction { [self] db in try flushWritesBehind(db) }
    }

    /// The schedule-only UPDATE: the columns an unchanged poll or a failed request moves. With `over`, it
    /// applies only while the row is tracked and still holds that polls count and next poll; false when not.
    @discardableResult
    static func moveSchedule(
        _ db: Database, of job: StoredJob, over stored: (polls: Int, nextPollAtMillis: Int64?)? = nil
    ) throws -> Bool {
        let record = job.record
        let s = job.scheduling
        let arguments: StatementArguments = [
            record.lastPolledAtMillis, record.nextPollAtMillis, record.polls, s.unchangedPolls, s.failures,
            s.notFoundStreak, record.lastError, record.lastChangeAtMillis, record.stalledAtMillis, job.rowID,
        ]
        let update = """
            UPDATE job SET last_polled_at = ?, next_poll_at = ?, polls = ?, unchanged_polls = ?, failures = ?,
                not_found_streak = ?, last_error = ?, last_change_at = ?, stalled_at = ?
            WHERE id = ?
            """
        guard let stored else {
            try db.executeCached(sql: update, arguments: arguments)
            return true
        }
        try db.executeCached(
            sql: update + " AND tracking = 'active' AND polls = ? AND next_poll_at IS ?",
            arguments: arguments + [stored.polls, stored.nextPollAtMillis])
        return db.changesCount > 0
    }

    /// The job a recorded poll reports: the decided record, registered when the row says.
    static func recordedJob(_ update: PollUpdate, over current: StoredJob) -> StoredJob {
        var job = StoredJob(rowID: current.rowID, record: update.record, scheduling: update.scheduling)
        job.record.registeredAtMillis = current.record.registeredAtMillis
        return job
    }
}
