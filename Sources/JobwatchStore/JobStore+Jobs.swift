import Foundation
import GRDB
import JobwatchCore

/// What `jobwatch register` asks for: one job to track.
package struct Registration: Sendable {
    package var jobID: String
    package var api: JobAPI
    package var account: String
    package var region: String?
    package var projectID: String?
    package var labels: [String: String]
    /// nil: every sink subscribed to the event type.
    package var sinks: [String]?
    package var deadlineAtMillis: Int64
    /// When to poll it first; nil: at once (the registration time).
    package var firstPollAtMillis: Int64?

    package init(
        jobID: String, api: JobAPI, account: String, region: String?, projectID: String?, labels: [String: String],
        sinks: [String]?, deadlineAtMillis: Int64, firstPollAtMillis: Int64? = nil
    ) {
        self.jobID = jobID
        self.api = api
        self.account = account
        self.region = region
        self.projectID = projectID
        self.labels = labels
        self.sinks = sinks
        self.deadlineAtMillis = deadlineAtMillis
        self.firstPollAtMillis = firstPollAtMillis
    }
}

/// Which jobs `list` shows.
package enum TrackingFilter: String, Sendable, CaseIterable {
    case active, done, all
}

extension JobStore {
    /// The job columns every job query selects, in the order `decodeJob` reads them by index.
    static let jobColumns = """
        id, account, api, project_id, job_id, region, labels, sinks, deadline_at, tracking, job_type, status,
        provider_status, progress, current_task, begin_time, end_time, error_code, fail_reason, image_id,
        image_name, entities, registered_at, last_polled_at, next_poll_at, polls, unchanged_polls, failures,
        not_found_streak, last_error, last_change_at, stalled_at
        """

    /// Starts tracking a job, or returns the existing record unchanged: registration is idempotent while the
    /// job is tracked or ended with a verdict (`done`). A job whose tracking ended without one (`expired`,
    /// `not_found`, `stopped`) is tracked again: a new round with the new deadline, polled now (its labels and
    /// sinks stay). A new job or round gets a `jobwatch.job.registered` event, routed to the subscribed sinks,
    /// in the same transaction; `created` says whether that happened.
    package func register(
        _ registration: Registration, sinks: [SinkSubscription], nowMillis: Int64
    ) async throws -> (job: StoredJob, created: Bool) {
        let hostname = self.hostname
        return try await write { db in
            try Self.register(registration, sinks: sinks, nowMillis: nowMillis, hostname: hostname, db: db)
        }
    }

    /// Registers many jobs in one transaction, all or nothing: either every job is tracked (each new one with
    /// its `jobwatch.job.registered` event) or, when anything fails, none is and the error is thrown.
    /// Idempotent per job like `register`: a job already tracked, or named twice, comes back unchanged with
    /// `created` false. The results are in the order of `registrations`.
    package func registerJobs(
        _ registrations: [Registration], sinks: [SinkSubscription], nowMillis: Int64
    ) async throws -> [(job: StoredJob, created: Bool)] {
        guard !registrations.isEmpty else { return [] }
        let hostname = self.hostname
        return try await write { db in
            try registrations.map { registration in
                try Self.register(registration, sinks: sinks, nowMillis: nowMillis, hostname: hostname, db: db)
            }
        }
    }

    /// One registration inside the caller's transaction.
    private static func register(
        _ registration: Registration, sinks: [SinkSubscription], nowMillis: Int64, hostname: String, db: Database
    ) throws -> (job: StoredJob, created: Bool) {
        if let existing = try fetchJob(
            db, account: registration.account, api: registration.api, projectID: registration.projectID,
            jobID: registration.jobID)
        {
            switch existing.record.tracking {
            case .active, .done:
                return (existing, false)
            case .expired, .notFound, .stopped:
                try db.executeCached(
                    sql: """
                        UPDATE job SET tracking = 'active', round = round + 1, ended_at = NULL, deadline_at = ?,
                            next_poll_at = ?, unchanged_polls = 0, failures = 0, not_found_streak = 0,
                            last_error = NULL,
                            last_change_at = ?, stalled_at = NULL
                        WHERE id = ?
                        """,
                    arguments: [
                        registration.deadlineAtMillis, registration.firstPollAtMillis ?? nowMillis, nowMillis,
                        existing.rowID,
                    ])
                guard let job = try fetchJob(db, rowID: existing.rowID) else { throw StoreError("the job vanished") }
                try appendEvents(
                    [PendingEvent(type: .registered)], for: job, sinks: sinks, nowMillis: nowMillis,
                    hostname: hostname, db: db)
                return (job, true)
            }
        }
        try db.executeCached(
            sql: """
                INSERT INTO job (account, api, project_id, job_id, region, labels, sinks, deadline_at, registered_at,
                    next_poll_at)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                """,
            arguments: [
                registration.account, registration.api.rawValue, registration.projectID ?? "", registration.jobID,
                registration.region, try JSONStyle.string(registration.labels),
                try registration.sinks.map { try JSONStyle.string($0) }, registration.deadlineAtMillis, nowMillis,
                registration.firstPollAtMillis ?? nowMillis,
            ])
        let rowID = db.lastInsertedRowID
        guard let job = try fetchJob(db, rowID: rowID) else { throw StoreError("the new job vanished") }
        try appendEvents(
            [PendingEvent(type: .registered)], for: job, sinks: sinks, nowMillis: nowMillis, hostname: hostname, db: db)
        return (job, true)
    }

    /// Jobs whose job id is `jobID` (optionally of one api): more than one means the id is ambiguous.
    package func jobs(withJobID jobID: String, api: JobAPI?) async throws -> [StoredJob] {
        try await read { db in
            var sql = "SELECT \(Self.jobColumns) FROM job WHERE job_id = ?"
            var arguments: StatementArguments = [jobID]
            if let api {
                sql += " AND api = ?"
                arguments += [api.rawValue]
            }
            return try Self.withSubJobs(
                db, db.rows(sql: sql + " ORDER BY id", arguments: arguments).map(Self.decodeJob))
        }
    }

    package func job(rowID: Int64) async throws -> StoredJob? {
        try await read { db in try Self.fetchJob(db, rowID: rowID) }
    }

    /// `jobwatch list`: newest registrations last.
    package func list(tracking: TrackingFilter, api: JobAPI?, labels: [String: String]) async throws -> [StoredJob] {
        try await read { db in
            var conditions: [String] = []
            var arguments: StatementArguments = []
            switch tracking {
            case .active: conditions.append("tracking = 'active'")
            case .done: conditions.append("tracking <> 'active'")
            case .all: break
            }
            if let api {
                conditions.append("api = ?")
                arguments += [api.rawValue]
            }
            for (key, value) in labels.sorted(by: { $0.key < $1.key }) {
                conditions.append("json_extract(labels, ?) = ?")
                arguments += ["$.\"\(key)\"", value]
            }
            let whereClause = conditions.isEmpty ? "" : " WHERE " + conditions.joined(separator: " AND ")
            return try Self.withSubJobs(
                db,
                db.rows(
                    sql: "SELECT \(Self.jobColumns) FROM job\(whereClause) ORDER BY registered_at, id",
                    arguments: arguments
                )
                .map(Self.decodeJob))
        }
    }

    /// Every observed change of a job and its sub-jobs, in order.
    package func history(rowID: Int64) async throws -> [HistoryEntry] {
        try await read { db in
            try db.rows(
                sql: """
                    SELECT at, sub_job_id, from_status, to_status, provider_status, progress, current_task
                    FROM transition WHERE job_row = ? ORDER BY id
                    """,
                arguments: [rowID]
            ).map { row in
                HistoryEntry(
                    atMillis: row.int64("at") ?? 0,
                    transition: Transition(
                        kind: .jobStatus, subJobID: row.text("sub_job_id"),
                        from: row.text("from_status").flatMap(JobStatus.init(rawValue:)),
                        to: row.text("to_status").flatMap(JobStatus.init(rawValue:)) ?? .unknown,
                        providerStatus: row.text("provider_status"),
                        progress: ProgressFraction.validated(row.double("progress")),
                        currentTask: row.text("current_task")))
            }
        }
    }

    /// Stops tracking; the history stays. Returns the updated job (unchanged if it was not active).
    package func unregister(rowID: Int64, nowMillis: Int64) async throws -> StoredJob? {
        try await write { db in
            try db.executeCached(
                sql: """
                    UPDATE job SET tracking = 'stopped', next_poll_at = NULL, ended_at = ? WHERE id = ?
                        AND tracking = 'active'
                    """,
                arguments: [nowMillis, rowID])
            return try Self.fetchJob(db, rowID: rowID)
        }
    }

    /// The status line's counts, each read from a partial index of just those rows (`INDEXED BY` makes the
    /// query fail rather than scan the table, should the index ever stop serving it): the status line
    /// costs as much with a million delivered events as with none.
    package static let countQueries = [
        "SELECT COUNT(*) FROM job INDEXED BY job_due WHERE tracking = 'active'",
        "SELECT COUNT(*) FROM delivery INDEXED BY delivery_due WHERE state = 'pending'",
        "SELECT COUNT(*) FROM delivery INDEXED BY delivery_dead WHERE state = 'dead'",
    ]

    /// Counts for the daemon's status line.
    package func counts() async throws -> StoreCounts {
        try await read { db in
            let values = try Self.countQueries.map { try db.value(Int.self, sql: $0) ?? 0 }
            return StoreCounts(activeJobs: values[0], pendingDeliveries: values[1], deadDeliveries: values[2])
        }
    }

    // MARK: - Row mapping

    static func fetchJob(_ db: Database, rowID: Int64) throws -> StoredJob? {
        guard let row = try db.row(sql: "SELECT \(jobColumns) FROM job WHERE id = ?", arguments: [rowID]) else {
            return nil
        }
        var job = try decodeJob(row)
        job.record.subJobs = try fetchSubJobs(db, rowID: rowID)
        return job
    }

    static func fetchJob(
        _ db: Database, account: String, api: JobAPI, projectID: String?, jobID: String
    ) throws -> StoredJob? {
        guard
            let rowID = try db.value(
                Int64.self, sql: "SELECT id FROM job WHERE account = ? AND api = ? AND project_id = ? AND job_id = ?",
                arguments: [account, api.rawValue, projectID ?? "", jobID])
        else { return nil }
        return try fetchJob(db, rowID: rowID)
    }

    static func withSubJobs(_ db: Database, _ jobs: [StoredJob]) throws -> [StoredJob] {
        try jobs.map { job in
            var job = job
            job.record.subJobs = try fetchSubJobs(db, rowID: job.rowID)
            return job
        }
    }

    static func fetchSubJobs(_ db: Database, rowID: Int64) throws -> [SubJobSnapshot] {
        try db.rows(
            sql: """
                SELECT sub_job_id, job_type, status, provider_status, begin_time, end_time, error_code, fail_reason,
                    image_id, image_name, resource_id, resource_name
                FROM sub_job WHERE job_row = ? ORDER BY position
                """,
            arguments: [rowID]
        ).map { row in
            SubJobSnapshot(
                jobID: row.text(at: 0) ?? "", jobType: row.text(at: 1),
                status: row.text(at: 2).flatMap(JobStatus.init(rawValue:)) ?? .unknown,
                providerStatus: row.text(at: 3), beginTime: row.text(at: 4), endTime: row.text(at: 5),
                errorCode: row.text(at: 6), failReason: row.text(at: 7), imageID: row.text(at: 8),
                imageName: row.text(at: 9), resourceID: row.text(at: 10), resourceName: row.text(at: 11))
        }
    }

    /// A job row (the columns of `jobColumns`, in that order) without its sub-jobs (list views); `fetchJob`
    /// adds them. Columns are read by index (this runs once per poll). Every column is read tolerantly: a
    /// stored value of the wrong type or out of range is unknown (or clamped), never a crash.
    static func decodeJob(_ row: Row) throws -> StoredJob {
        let projectID = row.text(at: 3) ?? ""
        let record = JobRecord(
            jobID: row.text(at: 4) ?? "", api: row.text(at: 2).flatMap(JobAPI.init(rawValue:)) ?? .ims,
            account: row.text(at: 1) ?? "", region: row.text(at: 5),
            projectID: projectID.isEmpty ? nil : projectID, jobType: row.text(at: 10),
            status: row.text(at: 11).flatMap(JobStatus.init(rawValue:)) ?? .unknown,
            providerStatus: row.text(at: 12),
            tracking: row.text(at: 9).flatMap(Tracking.init(rawValue:)) ?? .active,
            progress: ProgressFraction.validated(row.double(at: 13)),
            currentTask: row.text(at: 14), beginTime: row.text(at: 15), endTime: row.text(at: 16),
            errorCode: row.text(at: 17), failReason: row.text(at: 18), imageID: row.text(at: 19),
            imageName: row.text(at: 20), entities: row.text(at: 21).flatMap(StoredJSON.entities),
            labels: row.text(at: 6).flatMap(StoredJSON.labels) ?? [:],
            registeredAtMillis: row.int64(at: 22) ?? 0,
            lastPolledAtMillis: row.int64(at: 23), nextPollAtMillis: row.int64(at: 24),
            polls: row.count(at: 25), subJobs: [], sinks: row.text(at: 7).flatMap(StoredJSON.sinks),
            deadlineAtMillis: row.int64(at: 8),
            lastError: row.text(at: 29), lastChangeAtMillis: row.int64(at: 30),
            stalledAtMillis: row.int64(at: 31))
        return StoredJob(
            rowID: row.int64(at: 0) ?? 0, record: record,
            scheduling: SchedulingState(
                unchangedPolls: row.count(at: 26), failures: row.count(at: 27), notFoundStreak: row.count(at: 28)))
    }
}
