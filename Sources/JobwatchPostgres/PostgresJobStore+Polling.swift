import Foundation
import JobwatchCore
import JobwatchStore
import PostgresNIO

extension PostgresJobStore {
    /// Claims up to `limit` due active jobs for this daemon: rows another daemon holds (a live lease) or is
    /// claiming right now (`SKIP LOCKED`) are passed over. Each claim takes a new token; the lease lasts
    /// `leaseMillis` on the server's clock and is renewed while the poll runs. Jobs of `excludedAccounts` (they
    /// wait for their pace) are not claimed; claimed jobs the scheduler does not start go back with
    /// `releaseUnstarted`.
    package func dueJobs(
        nowMillis: Int64, limit: Int, excluding inFlight: Set<Int64>, excludingAccounts excludedAccounts: Set<String>
    ) async throws -> [DueJob] {
        guard limit > 0 else { return [] }
        let owner = self.owner
        let lease = leaseMillis
        let rows = try await transaction { c in
            try await c.query(
                """
                WITH due AS (
                    SELECT id FROM job
                    WHERE tracking = 'active' AND next_poll_at <= \(nowMillis)
                        AND (lease_owner IS NULL OR lease_expires_at <= \(unescaped: serverNowMillis))
                        AND NOT (id = ANY(\(Array(inFlight))))
                        AND NOT (account = ANY(\(Array(excludedAccounts))))
                    ORDER BY next_poll_at LIMIT \(limit)
                    FOR UPDATE SKIP LOCKED)
                UPDATE job SET lease_owner = \(owner), lease_token = job.lease_token + 1,
                    lease_expires_at = \(unescaped: serverNowMillis) + \(lease)
                FROM due WHERE job.id = due.id
                RETURNING job.id, job.next_poll_at, job.account, job.api, job.job_id, job.project_id, job.region,
                    job.deadline_at, job.lease_token
                """, logger: self.queryLogger
            ).collect().map { $0.makeRandomAccess() }
        }
        var claimed: [(DueJob, Int64)] = []
        for row in rows {
            let rowID = try row["id"].decode(Int64.self)
            let token = try row["lease_token"].decode(Int64.self)
            guard let api = JobAPI(rawValue: try row["api"].decode(String.self)) else {
                // Never written by jobwatch; give the lease back rather than hold it.
                try? await releaseJob(rowID, token: token)
                continue
            }
            let projectID = try row["project_id"].decode(String.self)
            claimed.append(
                (
                    DueJob(
                        rowID: rowID, nextPollAtMillis: try row["next_poll_at"].decode(Int64.self),
                        account: try row["account"].decode(String.self), api: api,
                        jobID: try row["job_id"].decode(String.self), projectID: projectID.isEmpty ? nil : projectID,
                        region: try row["region"].decode(String?.self),
                        deadlineAtMillis: try row["deadline_at"].decode(Int64?.self)), token
                ))
        }
        heldJobs.withLock { held in
            for (job, token) in claimed { held[job.rowID] = token }
        }
        if !claimed.isEmpty { startRenewing() }
        return claimed.map(\.0).sorted { $0.nextPollAtMillis < $1.nextPollAtMillis }
    }

    /// When this daemon should look again: the earliest planned poll of a job nobody holds, or the moment
    /// a lease another daemon holds runs out (so a dead daemon's job is taken over when its lease expires).
    package func earliestPoll(
        excluding inFlight: Set<Int64>, excludingAccounts excludedAccounts: Set<String>
    ) async throws -> Int64? {
        let busy = Array(inFlight)
        let paced = Array(excludedAccounts)
        let row = try await rows(
            """
            SELECT
                (SELECT next_poll_at FROM job WHERE tracking = 'active' AND next_poll_at IS NOT NULL
                    AND (lease_owner IS NULL OR lease_expires_at <= \(unescaped: serverNowMillis))
                    AND NOT (id = ANY(\(busy))) AND NOT (account = ANY(\(paced)))
                    ORDER BY next_poll_at LIMIT 1) AS free_at,
                (SELECT MIN(GREATEST(next_poll_at, lease_expires_at)) FROM job
                    WHERE tracking = 'active' AND next_poll_at IS NOT NULL AND lease_owner IS NOT NULL
                    AND lease_expires_at > \(unescaped: serverNowMillis) AND NOT (id = ANY(\(busy)))
                    AND NOT (account = ANY(\(paced)))) AS held_until
            """
        ).first
        guard let row else { return nil }
        let free = try row["free_at"].decode(Int64?.self)
        let held = try row["held_until"].decode(Int64?.self)
        return [free, held].compactMap { $0 }.min()
    }

    /// Applies one poll's outcome in one transaction, only while this daemon's lease on the job still holds
    /// (its token unchanged): a daemon that stalled past its lease writes nothing and logs nothing as done.
    /// The lease is given back in the same transaction.
    package func applyPoll(
        rowID: Int64, sinks: [SinkSubscription], nowMillis: Int64,
        decide: @escaping @Sendable (StoredJob) -> PollUpdate?
    ) async throws -> (job: StoredJob, events: [StoredEvent])? {
        guard let token = heldJobs.withLock({ $0[rowID] }) else { return nil }
        let owner = self.owner
        defer { _ = heldJobs.withLock { $0.removeValue(forKey: rowID) } }
        return try await transaction { c in
            let lease = try await c.query(
                "SELECT lease_owner, lease_token FROM job WHERE id = \(rowID) FOR UPDATE", logger: self.queryLogger
            ).collect().first?.makeRandomAccess()
            guard let lease, try lease["lease_owner"].decode(String?.self) == owner,
                try lease["lease_token"].decode(Int64.self) == token
            else { return nil }
            try await c.query(
                "UPDATE job SET lease_owner = NULL, lease_expires_at = 0 WHERE id = \(rowID)", logger: self.queryLogger)
            guard let current = try await self.fetchJob(c, rowID: rowID), current.record.tracking == .active,
                let update = decide(current)
            else { return nil }
            return try await self.write(update, current: current, sinks: sinks, nowMillis: nowMillis, c)
        }
    }

    private func write(
        _ update: PollUpdate, current: StoredJob, sinks: [SinkSubscription], nowMillis: Int64, _ c: PostgresConnection
    ) async throws -> (job: StoredJob, events: [StoredEvent]) {
        let rowID = current.rowID
        let record = update.record
        let s = update.scheduling
        if update.stateChanged {
            let entities = try record.entities.map { try JSONStyle.string($0) }
            try await c.query(
                """
                UPDATE job SET job_type = \(record.jobType), status = \(record.status.rawValue),
                    provider_status = \(record.providerStatus), progress = \(record.progress),
                    current_task = \(record.currentTask), begin_time = \(record.beginTime),
                        end_time = \(record.endTime),
                    error_code = \(record.errorCode), fail_reason = \(record.failReason), image_id = \(record.imageID),
                    image_name = \(record.imageName), entities = \(entities),
                    last_response = COALESCE(\(update.rawResponse), last_response),
                        tracking = \(record.tracking.rawValue),
                    ended_at = CASE WHEN \(record.tracking.rawValue) = 'active' THEN NULL ELSE \(nowMillis)::bigint END,
                    last_polled_at = \(record.lastPolledAtMillis), next_poll_at = \(record.nextPollAtMillis),
                    polls = \(record.polls), unchanged_polls = \(s.unchangedPolls), failures = \(s.failures),
                    not_found_streak = \(s.notFoundStreak), last_error = \(record.lastError),
                    last_change_at = \(record.lastChangeAtMillis), stalled_at = \(record.stalledAtMillis)
                WHERE id = \(rowID)
                """, logger: queryLogger)
            if record.subJobs != current.record.subJobs {
                try await replaceSubJobs(c, rowID: rowID, subJobs: record.subJobs)
            }
        } else {
            try await c.query(
                """
                UPDATE job SET last_polled_at = \(record.lastPolledAtMillis), next_poll_at = \(record.nextPollAtMillis),
                    polls = \(record.polls), unchanged_polls = \(s.unchangedPolls), failures = \(s.failures),
                    not_found_streak = \(s.notFoundStreak), last_error = \(record.lastError),
                    last_change_at = \(record.lastChangeAtMillis), stalled_at = \(record.stalledAtMillis)
                WHERE id = \(rowID)
                """, logger: queryLogger)
        }
        for t in update.transitions {
            try await c.query(
                """
                INSERT INTO transition (job_row, at, sub_job_id, from_status, to_status, provider_status, progress,
                    current_task)
                VALUES (\(rowID), \(nowMillis), \(t.subJobID), \(t.from?.rawValue), \(t.to.rawValue),
                    \(t.providerStatus),
                    \(t.progress), \(t.currentTask))
                """, logger: queryLogger)
        }
        var job = StoredJob(rowID: rowID, record: record, scheduling: s)
        job.record.registeredAtMillis = current.record.registeredAtMillis
        let events = try await appendEvents(update.events, for: job, sinks: sinks, nowMillis: nowMillis, c)
        return (job, events)
    }

    /// Moves only a job's next poll (and its last error), for a poll whose outcome could not be recorded.
    /// Like every result, only while this daemon holds the job's lease, which it gives back.
    package func deferPoll(rowID: Int64, untilMillis: Int64, lastError: String) async throws {
        guard let token = heldJobs.withLock({ $0[rowID] }) else { return }
        let owner = self.owner
        defer { _ = heldJobs.withLock { $0.removeValue(forKey: rowID) } }
        try await transaction { c in
            try await c.query(
                """
                UPDATE job SET next_poll_at = GREATEST(COALESCE(next_poll_at, 0), \(untilMillis)),
                    last_error = \(String(lastError.prefix(500))), lease_owner = NULL, lease_expires_at = 0
                WHERE id = \(rowID) AND tracking = 'active' AND lease_owner = \(owner) AND lease_token = \(token)
                """, logger: self.queryLogger)
        }
    }

    /// Pushes every active job of an account to at least `untilMillis` (its credentials were rejected).
    /// Gives back the leases of claimed jobs the scheduler did not start, so they are due again at once
    /// (for this daemon when its pace allows, or for another).
    package func releaseUnstarted(_ rowIDs: [Int64]) async throws {
        let tokens = heldJobs.withLock { held in
            rowIDs.compactMap { id in held.removeValue(forKey: id).map { (id, $0) } }
        }
        guard !tokens.isEmpty else { return }
        let owner = self.owner
        try await transaction { c in
            try await c.query(
                """
                UPDATE job SET lease_owner = NULL, lease_expires_at = 0
                FROM unnest(\(tokens.map(\.0))::bigint[], \(tokens.map(\.1))::bigint[]) AS held(id, token)
                WHERE job.id = held.id AND job.lease_owner = \(owner) AND job.lease_token = held.token
                """, logger: self.queryLogger)
        }
    }

    /// The schedule in PostgreSQL is shared by daemons on several hosts, whose wall clocks are kept in step
    /// by NTP: one daemon's clock step is not a reason to move everyone's plan, so nothing moves (the daemon
    /// follows its own clock; docs/ha.md says why the hosts' clocks must agree).
    package func shiftSchedule(byMillis millis: Int64, registeredBefore: Int64) async throws {}

    package func pauseAccount(_ account: String, untilMillis: Int64) async throws {
        try await transaction { c in
            try await c.query(
                """
                UPDATE job SET next_poll_at = \(untilMillis)
                WHERE account = \(account) AND tracking = 'active' AND next_poll_at < \(untilMillis)
                """, logger: self.queryLogger)
        }
    }

    func replaceSubJobs(_ c: PostgresConnection, rowID: Int64, subJobs: [SubJobSnapshot]) async throws {
        try await c.query("DELETE FROM sub_job WHERE job_row = \(rowID)", logger: queryLogger)
        for (position, sub) in subJobs.enumerated() {
            try await c.query(
                """
                INSERT INTO sub_job (job_row, position, sub_job_id, job_type, status, provider_status, begin_time,
                    end_time, error_code, fail_reason, image_id, image_name, resource_id, resource_name)
                VALUES (\(rowID), \(position), \(sub.jobID), \(sub.jobType), \(sub.status.rawValue),
                    \(sub.providerStatus),
                    \(sub.beginTime), \(sub.endTime), \(sub.errorCode), \(sub.failReason), \(sub.imageID),
                        \(sub.imageName),
                    \(sub.resourceID), \(sub.resourceName))
                ON CONFLICT (job_row, sub_job_id) DO UPDATE SET position = EXCLUDED.position,
                    job_type = EXCLUDED.job_type, status = EXCLUDED.status, provider_status = EXCLUDED.provider_status,
                    begin_time = EXCLUDED.begin_time, end_time = EXCLUDED.end_time, error_code = EXCLUDED.error_code,
                    fail_reason = EXCLUDED.fail_reason, image_id = EXCLUDED.image_id, image_name = EXCLUDED.image_name,
                    resource_id = EXCLUDED.resource_id, resource_name = EXCLUDED.resource_name
                """, logger: queryLogger)
        }
    }
}
