import Foundation
import JobwatchCore
import JobwatchStore
import PostgresNIO

extension PostgresJobStore {
    static let jobColumns = """
        id, account, api, project_id, job_id, region, labels, sinks, deadline_at, tracking, job_type, status,
        provider_status, progress, current_task, begin_time, end_time, error_code, fail_reason, image_id,
        image_name, entities, registered_at, last_polled_at, next_poll_at, polls, unchanged_polls, failures,
        not_found_streak, last_error, last_change_at, stalled_at
        """

    /// Starts tracking a job, or returns the existing record unchanged; a new job gets its
    /// `jobwatch.job.registered` event in the same transaction, and the daemons are notified at commit.
    package func register(
        _ registration: Registration, sinks: [SinkSubscription], nowMillis: Int64
    ) async throws -> (job: StoredJob, created: Bool) {
        try await registerJobs([registration], sinks: sinks, nowMillis: nowMillis)[0]
    }

    /// Registers many jobs in one transaction, all or nothing; idempotent per job like `register`.
    package func registerJobs(
        _ registrations: [Registration], sinks: [SinkSubscription], nowMillis: Int64
    ) async throws -> [(job: StoredJob, created: Bool)] {
        guard !registrations.isEmpty else { return [] }
        return try await transaction { c in
            var results: [(job: StoredJob, created: Bool)] = []
            for registration in registrations {
                results.append(try await self.register(registration, sinks: sinks, nowMillis: nowMillis, c))
            }
            if results.contains(where: \.created) { try await self.notifyDaemons(c) }
            return results
        }
    }

    /// One registration inside the caller's transaction.
    private func register(
        _ registration: Registration, sinks: [SinkSubscription], nowMillis: Int64, _ c: PostgresConnection
    ) async throws -> (job: StoredJob, created: Bool) {
        let labels = try JSONStyle.string(registration.labels)
        let jobSinks = try registration.sinks.map { try JSONStyle.string($0) }
        let firstPoll = registration.firstPollAtMillis ?? nowMillis
        // ON CONFLICT makes two CLIs registering the same job at once agree on one row.
        let inserted = try await c.query(
            """
            INSERT INTO job (account, api, project_id, job_id, region, labels, sinks, deadline_at, registered_at,
                next_poll_at)
            VALUES (\(registration.account), \(registration.api.rawValue), \(registration.projectID ?? ""),
                \(registration.jobID), \(registration.region), \(labels), \(jobSinks),
                \(registration.deadlineAtMillis), \(nowMillis), \(firstPoll))
            ON CONFLICT (account, api, project_id, job_id) DO NOTHING RETURNING id
            """, logger: queryLogger
        ).collect().first.map { try $0.decode(Int64.self) }
        guard let rowID = inserted else {
            let existing = try await fetchJob(
                c, account: registration.account, api: registration.api, projectID: registration.projectID,
                jobID: registration.jobID)
            guard let existing else { throw StoreError("the job vanished while it was registered; try again") }
            switch existing.record.tracking {
            case .active, .done:
                return (existing, false)
            case .expired, .notFound, .stopped:
                // Tracking ended without a verdict: a new round, polled now, with its own registered event.
                try await c.query(
                    """
                    UPDATE job SET tracking = 'active', round = round + 1, ended_at = NULL,
                        deadline_at = \(registration.deadlineAtMillis), next_poll_at = \(firstPoll),
                            unchanged_polls = 0,
                        failures = 0, not_found_streak = 0, last_error = NULL, last_change_at = \(nowMillis),
                        stalled_at = NULL
                    WHERE id = \(existing.rowID)
                    """, logger: queryLogger)
                guard let job = try await fetchJob(c, rowID: existing.rowID) else {
                    throw StoreError("the job vanished")
                }
                try await appendEvents(
                    [PendingEvent(type: .registered)], for: job, sinks: sinks, nowMillis: nowMillis, c)
                return (job, true)
            }
        }
        guard let job = try await fetchJob(c, rowID: rowID) else { throw StoreError("the new job vanished") }
        try await appendEvents([PendingEvent(type: .registered)], for: job, sinks: sinks, nowMillis: nowMillis, c)
        return (job, true)
    }

    package func jobs(withJobID jobID: String, api: JobAPI?) async throws -> [StoredJob] {
        try await transaction { c in
            let rows = try await c.query(
                """
                SELECT \(unescaped: Self.jobColumns) FROM job WHERE job_id = \(jobID)
                    AND (\(api?.rawValue)::text IS NULL OR api = \(api?.rawValue)) ORDER BY id
                """, logger: self.queryLogger
            ).collect()
            return try await self.withSubJobs(c, rows.map { try Self.decodeJob($0.makeRandomAccess()) })
        }
    }

    package func job(rowID: Int64) async throws -> StoredJob? {
        try await transaction { c in try await self.fetchJob(c, rowID: rowID) }
    }

    /// `jobwatch list`: newest registrations last.
    package func list(tracking: TrackingFilter, api: JobAPI?, labels: [String: String]) async throws -> [StoredJob] {
        var conditions: [String] = []
        var bindings = PostgresBindings()
        switch tracking {
        case .active: conditions.append("tracking = 'active'")
        case .done: conditions.append("tracking <> 'active'")
        case .all: break
        }
        if let api {
            bindings.append(api.rawValue)
            conditions.append("api = $\(bindings.count)")
        }
        for (key, value) in labels.sorted(by: { $0.key < $1.key }) {
            bindings.append(key)
            bindings.append(value)
            conditions.append("(labels::jsonb ->> $\(bindings.count - 1)) = $\(bindings.count)")
        }
        let whereClause = conditions.isEmpty ? "" : " WHERE " + conditions.joined(separator: " AND ")
        let query = PostgresQuery(
            unsafeSQL: "SELECT \(Self.jobColumns) FROM job\(whereClause) ORDER BY registered_at, id", binds: bindings)
        return try await transaction { c in
            let rows = try await c.query(query, logger: self.queryLogger).collect()
            return try await self.withSubJobs(c, rows.map { try Self.decodeJob($0.makeRandomAccess()) })
        }
    }

    package func history(rowID: Int64) async throws -> [HistoryEntry] {
        try await rows(
            """
            SELECT at, sub_job_id, from_status, to_status, provider_status, progress, current_task
            FROM transition WHERE job_row = \(rowID) ORDER BY id
            """
        ).map { row in
            HistoryEntry(
                atMillis: try row["at"].decode(Int64.self),
                transition: Transition(
                    kind: .jobStatus, subJobID: try row["sub_job_id"].decode(String?.self),
                    from: try row["from_status"].decode(String?.self).flatMap(JobStatus.init(rawValue:)),
                    to: JobStatus(rawValue: try row["to_status"].decode(String.self)) ?? .unknown,
                    providerStatus: try row["provider_status"].decode(String?.self),
                    progress: try row["progress"].decode(Double?.self),
                    currentTask: try row["current_task"].decode(String?.self)))
        }
    }

    /// Stops tracking; the history stays. A daemon polling it right now finds it stopped and writes nothing.
    package func unregister(rowID: Int64, nowMillis: Int64) async throws -> StoredJob? {
        try await transaction { c in
            try await c.query(
                """
                UPDATE job SET tracking = 'stopped', next_poll_at = NULL, ended_at = \(nowMillis)
                WHERE id = \(rowID) AND tracking = 'active'
                """, logger: self.queryLogger)
            try await self.notifyDaemons(c)
            return try await self.fetchJob(c, rowID: rowID)
        }
    }

    package func counts() async throws -> StoreCounts {
        let row = try await rows(
            """
            SELECT (SELECT COUNT(*) FROM job WHERE tracking = 'active') AS active,
                (SELECT COUNT(*) FROM delivery WHERE state = 'pending') AS pending,
                (SELECT COUNT(*) FROM delivery WHERE state = 'dead') AS dead
            """
        ).first
        guard let row else { return StoreCounts(activeJobs: 0, pendingDeliveries: 0, deadDeliveries: 0) }
        return StoreCounts(
            activeJobs: try row["active"].decode(Int.self), pendingDeliveries: try row["pending"].decode(Int.self),
            deadDeliveries: try row["dead"].decode(Int.self))
    }

    /// Wakes the daemons (they LISTEN): delivered when the transaction commits, dropped if it rolls back.
    func notifyDaemons(_ c: PostgresConnection) async throws {
        try await c.query("SELECT pg_notify(\(PostgresSchema.changeChannel), '')", logger: queryLogger)
    }

    // MARK: - Row mapping

    func fetchJob(_ c: PostgresConnection, rowID: Int64, lock: Bool = false) async throws -> StoredJob? {
        let query: PostgresQuery =
            lock
            ? "SELECT \(unescaped: Self.jobColumns) FROM job WHERE id = \(rowID) FOR UPDATE"
            : "SELECT \(unescaped: Self.jobColumns) FROM job WHERE id = \(rowID)"
        guard let row = try await c.query(query, logger: queryLogger).collect().first else { return nil }
        var job = try Self.decodeJob(row.makeRandomAccess())
        job.record.subJobs = try await fetchSubJobs(c, rowID: rowID)
        return job
    }

    func fetchJob(
        _ c: PostgresConnection, account: String, api: JobAPI, projectID: String?, jobID: String
    ) async throws -> StoredJob? {
        let rowID = try await c.query(
            """
            SELECT id FROM job WHERE account = \(account) AND api = \(api.rawValue) AND project_id = \(projectID ?? "")
                AND job_id = \(jobID)
            """, logger: queryLogger
        ).collect().first.map { try $0.decode(Int64.self) }
        guard let rowID else { return nil }
        return try await fetchJob(c, rowID: rowID)
    }

    func withSubJobs(_ c: PostgresConnection, _ jobs: [StoredJob]) async throws -> [StoredJob] {
        guard !jobs.isEmpty else { return [] }
        let rows = try await c.query(
            "SELECT * FROM sub_job WHERE job_row = ANY(\(jobs.map(\.rowID))) ORDER BY job_row, position",
            logger: queryLogger
        ).collect()
        var byJob: [Int64: [SubJobSnapshot]] = [:]
        for row in rows {
            let row = row.makeRandomAccess()
            byJob[try row["job_row"].decode(Int64.self), default: []].append(try Self.decodeSubJob(row))
        }
        return jobs.map { job in
            var job = job
            job.record.subJobs = byJob[job.rowID] ?? []
            return job
        }
    }

    func fetchSubJobs(_ c: PostgresConnection, rowID: Int64) async throws -> [SubJobSnapshot] {
        try await c.query("SELECT * FROM sub_job WHERE job_row = \(rowID) ORDER BY position", logger: queryLogger)
            .collect().map { try Self.decodeSubJob($0.makeRandomAccess()) }
    }

    static func decodeSubJob(_ row: PostgresRandomAccessRow) throws -> SubJobSnapshot {
        SubJobSnapshot(
            jobID: try row["sub_job_id"].decode(String.self), jobType: try row["job_type"].decode(String?.self),
            status: JobStatus(rawValue: try row["status"].decode(String.self)) ?? .unknown,
            providerStatus: try row["provider_status"].decode(String?.self),
            beginTime: try row["begin_time"].decode(String?.self), endTime: try row["end_time"].decode(String?.self),
            errorCode: try row["error_code"].decode(String?.self),
            failReason: try row["fail_reason"].decode(String?.self), imageID: try row["image_id"].decode(String?.self),
            imageName: try row["image_name"].decode(String?.self),
            resourceID: try row["resource_id"].decode(String?.self),
            resourceName: try row["resource_name"].decode(String?.self))
    }

    /// A job row without its sub-jobs; `fetchJob` and `withSubJobs` add them.
    static func decodeJob(_ row: PostgresRandomAccessRow) throws -> StoredJob {
        let projectID = try row["project_id"].decode(String.self)
        let labelsText = try row["labels"].decode(String.self)
        let labels = (try? JSONDecoder().decode([String: String].self, from: Data(labelsText.utf8))) ?? [:]
        let sinks = try row["sinks"].decode(String?.self).flatMap {
            try? JSONDecoder().decode([String].self, from: Data($0.utf8))
        }
        let entities = try row["entities"].decode(String?.self).flatMap {
            try? JSONDecoder().decode(JSONValue.self, from: Data($0.utf8))
        }
        let record = JobRecord(
            jobID: try row["job_id"].decode(String.self),
            api: JobAPI(rawValue: try row["api"].decode(String.self)) ?? .ims,
            account: try row["account"].decode(String.self), region: try row["region"].decode(String?.self),
            projectID: projectID.isEmpty ? nil : projectID, jobType: try row["job_type"].decode(String?.self),
            status: JobStatus(rawValue: try row["status"].decode(String.self)) ?? .unknown,
            providerStatus: try row["provider_status"].decode(String?.self),
            tracking: Tracking(rawValue: try row["tracking"].decode(String.self)) ?? .active,
            progress: try row["progress"].decode(Double?.self),
            currentTask: try row["current_task"].decode(String?.self),
            beginTime: try row["begin_time"].decode(String?.self), endTime: try row["end_time"].decode(String?.self),
            errorCode: try row["error_code"].decode(String?.self),
            failReason: try row["fail_reason"].decode(String?.self), imageID: try row["image_id"].decode(String?.self),
            imageName: try row["image_name"].decode(String?.self), entities: entities, labels: labels,
            registeredAtMillis: try row["registered_at"].decode(Int64.self),
            lastPolledAtMillis: try row["last_polled_at"].decode(Int64?.self),
            nextPollAtMillis: try row["next_poll_at"].decode(Int64?.self), polls: try row["polls"].decode(Int.self),
            subJobs: [], sinks: sinks, deadlineAtMillis: try row["deadline_at"].decode(Int64?.self),
            lastError: try row["last_error"].decode(String?.self),
            lastChangeAtMillis: try row["last_change_at"].decode(Int64?.self),
            stalledAtMillis: try row["stalled_at"].decode(Int64?.self))
        return StoredJob(
            rowID: try row["id"].decode(Int64.self), record: record,
            scheduling: SchedulingState(
                unchangedPolls: try row["unchanged_polls"].decode(Int.self),
                failures: try row["failures"].decode(Int.self),
                notFoundStreak: try row["not_found_streak"].decode(Int.self)))
    }
}
