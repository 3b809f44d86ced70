import Foundation
import GRDB
import JobwatchCore

/// A job the scheduler should poll now, with what the request needs.
package struct DueJob: Sendable {
    package var rowID: Int64
    package var nextPollAtMillis: Int64
    package var account: String
    package var api: JobAPI
    package var jobID: String
    package var projectID: String?
    /// The region it is polled in (`register --region`, else the account's at registration).
    package var region: String?
    package var deadlineAtMillis: Int64?

    package init(
        rowID: Int64, nextPollAtMillis: Int64, account: String, api: JobAPI, jobID: String, projectID: String?,
        region: String?, deadlineAtMillis: Int64?
    ) {
        self.rowID = rowID
        self.nextPollAtMillis = nextPollAtMillis
        self.account = account
        self.api = api
        self.jobID = jobID
        self.projectID = projectID
        self.region = region
        self.deadlineAtMillis = deadlineAtMillis
    }
}

extension JobStore {
    /// Active jobs due at `nowMillis`, earliest first, skipping those already in flight and those of the
    /// excluded accounts.
    package func dueJobs(
        nowMillis: Int64, limit: Int, excluding inFlight: Set<Int64>, excludingAccounts excludedAccounts: Set<String>
    ) async throws -> [DueJob] {
        guard limit > 0 else { return [] }
        // Taken before the read: a row written behind is either in this list or already in the file. Its
        // stored next poll is older than its own, so one that is not due yet is skipped like one in flight.
        let notDueBehind = writtenJobs.rowsBehind().filter { ($0.nextPollAtMillis ?? .max) > nowMillis }
        let inFlight = notDueBehind.isEmpty ? inFlight : inFlight.union(notDueBehind.map(\.rowID))
        return try await read { db in
            // The partial index `job_due` serves this; fetch past the in-flight ones instead of a NOT IN list.
            let accounts = excludedAccounts.sorted()
            let accountFilter = Self.notIn("account", count: accounts.count)
            var due: [DueJob] = []
            due.reserveCapacity(limit)
            // Stepped through without copying rows: most of those read first are the ones in flight.
            try db.forEachRow(
                sql: """
                    SELECT id, next_poll_at, account, api, job_id, project_id, region, deadline_at FROM job
                    WHERE tracking = 'active' AND next_poll_at <= ?\(accountFilter) ORDER BY next_poll_at LIMIT ?
                    """,
                arguments: StatementArguments([nowMillis] + accounts + [limit + inFlight.count])
            ) { row in
                // By index, in the order of the SELECT (GRDB's by-name access lowercases every name).
                guard let id = row.int64(at: 0), !inFlight.contains(id),
                    let api = row.text(at: 3).flatMap(JobAPI.init(rawValue:))
                else { return true }
                let projectID = row.text(at: 5) ?? ""
                due.append(
                    DueJob(
                        rowID: id, nextPollAtMillis: row.int64(at: 1) ?? nowMillis,
                        account: row.text(at: 2) ?? "",
                        api: api, jobID: row.text(at: 4) ?? "",
                        projectID: projectID.isEmpty ? nil : projectID, region: row.text(at: 6),
                        deadlineAtMillis: row.int64(at: 7)))
                return due.count < limit
            }
            return due
        }
    }

    /// When the next poll of a job not in flight (nor of an excluded account) is due; nil when nothing is.
    package func earliestPoll(
        excluding inFlight: Set<Int64>, excludingAccounts excludedAccounts: Set<String>
    ) async throws -> Int64? {
        // The rows written behind count with their own next poll (see `dueJobs`).
        let behind = writtenJobs.rowsBehind().filter {
            !inFlight.contains($0.rowID) && !excludedAccounts.contains($0.account)
        }
        let earliestBehind = behind.compactMap(\.nextPollAtMillis).min()
        let excluded = behind.isEmpty ? inFlight : inFlight.union(behind.map(\.rowID))
        let stored = try await read { db in
            let accounts = excludedAccounts.sorted()
            var earliest: Int64?
            try db.forEachRow(
                sql: """
                    SELECT id, next_poll_at FROM job WHERE tracking = 'active' AND next_poll_at IS NOT NULL\(
                        Self.notIn("account", count: accounts.count)) ORDER BY next_poll_at LIMIT ?
                    """,
                arguments: StatementArguments(accounts + [excluded.count + 1])
            ) { row in
                guard !excluded.contains(row.int64(at: 0) ?? 0) else { return true }
                earliest = row.int64(at: 1)
                return false
            }
            return earliest
        }
        guard let earliestBehind else { return stored }
        return min(stored ?? earliestBehind, earliestBehind)
    }

    /// Applies one poll's outcome. A poll that records a change (new job state, a transition, an event) is
    /// ONE transaction of its own: the job row, its sub-jobs, a transition row per change, the events and a
    /// delivery row per subscribed sink; it returns once that is committed. A poll that only moves the
    /// schedule (an unchanged answer, a failed request) of a job whose row this process wrote last is
    /// decided over the remembered row and written behind (`WrittenJobs`); any other such poll shares its
    /// transaction with the others waiting for the writer at that moment (group commit, `PollCommits`).
    /// `decide` sees the job as stored (the CLI may have unregistered it meanwhile: a poll written behind
    /// over it is then not recorded) and returns nil to write nothing.
    @discardableResult
    package func applyPoll(
        rowID: Int64, sinks: [SinkSubscription], nowMillis: Int64,
        decide: @escaping @Sendable (StoredJob) -> PollUpdate?
    ) async throws -> (job: StoredJob, events: [StoredEvent])? {
        if let recorded = recordBehind(rowID: rowID, decide: decide) { return recorded }
        do {
            return try await commitPoll(rowID: rowID, sinks: sinks, nowMillis: nowMillis, decide: decide)
        } catch let error as StoreError {
            throw error
        } catch {
            throw StoreError.wrap(error, path: path)
        }
    }

    /// One poll inside the caller's transaction: the job as stored now, the decision, its writes.
    static func recordPoll(
        _ db: Database, rowID: Int64, sinks: [SinkSubscription], nowMillis: Int64, hostname: String,
        decide: (StoredJob) -> PollUpdate?
    ) throws -> RecordedPoll? {
        guard let current = try fetchJob(db, rowID: rowID), current.record.tracking == .active,
            let update = decide(current)
        else { return nil }
        return try write(update, over: current, sinks: sinks, nowMillis: nowMillis, hostname: hostname, db: db)
    }

    /// Writes a decided poll over the job as it was read in the same transaction.
    static func write(
        _ update: PollUpdate, over current: StoredJob, sinks: [SinkSubscription], nowMillis: Int64, hostname: String,
        db: Database
    ) throws -> RecordedPoll {
        let rowID = current.rowID
        let record = update.record
        let s = update.scheduling
        if update.stateChanged {
            try db.executeCached(
                sql: """
                    UPDATE job SET job_type = ?, status = ?, provider_status = ?, progress = ?, current_task = ?,
                        begin_time = ?, end_time = ?, error_code = ?, fail_reason = ?, image_id = ?, image_name = ?,
                        entities = ?, last_response = COALESCE(?, last_response), tracking = ?,
                        ended_at = CASE WHEN ? = 'active' THEN NULL ELSE ? END, last_polled_at = ?,
                        next_poll_at = ?, polls = ?, unchanged_polls = ?, failures = ?, not_found_streak = ?,
                        last_error = ?,
                        last_change_at = ?, stalled_at = ?
                    WHERE id = ?
                    """,
                arguments: [
                    record.jobType, record.status.rawValue, record.providerStatus, record.progress,
                    record.currentTask,
                    record.beginTime, record.endTime, record.errorCode, record.failReason, record.imageID,
                    record.imageName, try record.entities.map { try JSONStyle.string($0) }, update.rawResponse,
                    record.tracking.rawValue, record.tracking.rawValue, nowMillis, record.lastPolledAtMillis,
                    record.nextPollAtMillis, record.polls,
                    s.unchangedPolls, s.failures, s.notFoundStreak, record.lastError, record.lastChangeAtMillis,
                    record.stalledAtMillis, rowID,
                ])
            if record.subJobs != current.record.subJobs {
                try Self.replaceSubJobs(db, rowID: rowID, subJobs: record.subJobs)
            }
        } else {
            // An unchanged poll or a failed request moves only the scheduling fields.
            try moveSchedule(db, of: recordedJob(update, over: current))
        }
        for transition in update.transitions {
            try db.executeCached(
                sql: """
                    INSERT INTO transition (job_row, at, sub_job_id, from_status, to_status, provider_status,
                        progress, current_task)
                    VALUES (?, ?, ?, ?, ?, ?, ?, ?)
                    """,
                arguments: [
                    rowID, nowMillis, transition.subJobID, transition.from?.rawValue, transition.to.rawValue,
                    transition.providerStatus, transition.progress, transition.currentTask,
                ])
        }
        let job = recordedJob(update, over: current)
        let events = try Self.appendEvents(
            update.events, for: job, sinks: sinks, nowMillis: nowMillis, hostname: hostname, db: db)
        return (job, events)
    }

    /// The row as the schedule-only UPDATE of `write` leaves it over `current`: exactly the columns that
    /// statement sets, the rest as read. What `WrittenJobs` remembers; change the two together
    /// (`GroupCommitTests.aRememberedRowIsTheRowAsStored` compares it with the row read back).
    static func scheduleMoved(_ current: StoredJob, by update: PollUpdate) -> StoredJob {
        var job = current
        job.record.lastPolledAtMillis = update.record.lastPolledAtMillis
        job.record.nextPollAtMillis = update.record.nextPollAtMillis
        job.record.polls = update.record.polls
        job.record.lastError = update.record.lastError
        job.record.lastChangeAtMillis = update.record.lastChangeAtMillis
        job.record.stalledAtMillis = update.record.stalledAtMillis
        job.scheduling = update.scheduling
        return job
    }

    /// Moves only a job's next poll (and its last error), for a poll whose outcome could not be recorded.
    package func deferPoll(rowID: Int64, untilMillis: Int64, lastError: String) async throws {
        try await write { db in
            try db.executeCached(
                sql: """
                    UPDATE job SET next_poll_at = MAX(COALESCE(next_poll_at, 0), ?), last_error = ?
                    WHERE id = ? AND tracking = 'active'
                    """,
                arguments: [untilMillis, String(lastError.prefix(500)), rowID])
        }
    }

    /// Pushes every active job of an account to at least `untilMillis` (its credentials were rejected).
    package func pauseAccount(_ account: String, untilMillis: Int64) async throws {
        try await write { db in
            try db.executeCached(
                sql: "UPDATE job SET next_poll_at = ? WHERE account = ? AND tracking = 'active' AND next_poll_at < ?",
                arguments: [untilMillis, account, untilMillis])
        }
    }

    /// One daemon reads the schedule without claiming it: nothing to give back.
    package func releaseUnstarted(_ rowIDs: [Int64]) async throws {}

    package func shiftSchedule(byMillis millis: Int64, registeredBefore: Int64) async throws {
        guard millis != 0 else { return }
        try await write { db in
            try db.executeCached(
                sql: """
                    UPDATE job SET next_poll_at = next_poll_at + ?, deadline_at = deadline_at + ?
                    WHERE tracking = 'active' AND registered_at <= ?
                    """,
                arguments: [millis, millis, registeredBefore])
            try db.executeCached(
                sql: "UPDATE delivery SET next_attempt_at = next_attempt_at + ? WHERE state = 'pending'",
                arguments: [millis])
        }
    }

    /// ` AND column NOT IN (?, …)` for `count` arguments; empty for none.
    static func notIn(_ column: String, count: Int) -> String {
        count == 0 ? "" : " AND \(column) NOT IN (\(Array(repeating: "?", count: count).joined(separator: ", ")))"
    }

    static func replaceSubJobs(_ db: Database, rowID: Int64, subJobs: [SubJobSnapshot]) throws {
        try db.executeCached(sql: "DELETE FROM sub_job WHERE job_row = ?", arguments: [rowID])
        for (position, sub) in subJobs.enumerated() {
            try db.executeCached(
                sql: """
                    INSERT OR REPLACE INTO sub_job (job_row, position, sub_job_id, job_type, status, provider_status,
                        begin_time,
                        end_time, error_code, fail_reason, image_id, image_name, resource_id, resource_name)
                    VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                    """,
                arguments: [
                    rowID, position, sub.jobID, sub.jobType, sub.status.rawValue, sub.providerStatus, sub.beginTime,
                    sub.endTime, sub.errorCode, sub.failReason, sub.imageID, sub.imageName, sub.resourceID,
                    sub.resourceName,
                ])
        }
    }
}
