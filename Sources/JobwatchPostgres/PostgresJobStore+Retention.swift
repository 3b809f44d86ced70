import JobwatchStore
import PostgresNIO

extension PostgresJobStore {
    /// Deletes at most `limit` events created before `beforeMillis` whose deliveries all ended, with their
    /// deliveries and attempts, in one short transaction; the newest `keepNewest` stay. Rows another daemon
    /// is working on (locked) are left for the next batch.
    package func pruneEvents(beforeMillis: Int64, limit: Int, keepNewest: Int) async throws -> PruneCount {
        try await transaction { c in
            let rows = try await c.query(
                """
                WITH doomed AS (
                    SELECT e.sequence FROM event e
                    WHERE e.sequence <= (SELECT COALESCE(MAX(sequence), 0) FROM event) - \(max(0, keepNewest))
                        AND e.created_at < \(beforeMillis)
                        AND NOT EXISTS (
                            SELECT 1 FROM delivery d WHERE d.event_sequence = e.sequence AND d.state = 'pending')
                    ORDER BY e.sequence LIMIT \(max(0, limit)) FOR UPDATE SKIP LOCKED),
                counted AS (
                    SELECT (SELECT COUNT(*) FROM doomed) AS events,
                        (SELECT COUNT(*) FROM delivery
                            WHERE event_sequence IN (SELECT sequence FROM doomed)) AS deliveries,
                        (SELECT COUNT(*) FROM delivery_attempt WHERE event_sequence IN (SELECT sequence FROM doomed))
                            AS attempts),
                gone AS (DELETE FROM event WHERE sequence IN (SELECT sequence FROM doomed) RETURNING sequence)
                SELECT counted.events, counted.deliveries, counted.attempts, (SELECT COUNT(*) FROM gone) AS deleted
                FROM counted
                """, logger: self.queryLogger
            ).collect()
            guard let row = rows.first?.makeRandomAccess() else { return PruneCount() }
            return PruneCount(
                events: try row["deleted"].decode(Int.self), deliveries: try row["deliveries"].decode(Int.self),
                attempts: try row["attempts"].decode(Int.self))
        }
    }

    /// Deletes at most `limit` jobs whose tracking ended before `endedBeforeMillis` (none with a pending
    /// delivery), with their sub-jobs, history, events, deliveries and attempts, in one short transaction.
    package func pruneJobs(endedBeforeMillis: Int64, limit: Int) async throws -> PruneCount {
        try await transaction { c in
            let rows = try await c.query(
                """
                WITH doomed AS (
                    SELECT j.id FROM job j
                    WHERE j.tracking <> 'active' AND j.ended_at < \(endedBeforeMillis)
                        AND NOT EXISTS (
                            SELECT 1 FROM event e JOIN delivery d ON d.event_sequence = e.sequence
                            WHERE e.job_row = j.id AND d.state = 'pending')
                    ORDER BY j.ended_at LIMIT \(max(0, limit)) FOR UPDATE SKIP LOCKED),
                counted AS (
                    SELECT (SELECT COUNT(*) FROM event WHERE job_row IN (SELECT id FROM doomed)) AS events,
                        (SELECT COUNT(*) FROM delivery WHERE event_sequence IN (
                            SELECT sequence FROM event WHERE job_row IN (SELECT id FROM doomed))) AS deliveries,
                        (SELECT COUNT(*) FROM delivery_attempt WHERE event_sequence IN (
                            SELECT sequence FROM event WHERE job_row IN (SELECT id FROM doomed))) AS attempts),
                gone AS (DELETE FROM job WHERE id IN (SELECT id FROM doomed) RETURNING id)
                SELECT counted.events, counted.deliveries, counted.attempts, (SELECT COUNT(*) FROM gone) AS deleted
                FROM counted
                """, logger: self.queryLogger
            ).collect()
            guard let row = rows.first?.makeRandomAccess() else { return PruneCount() }
            return PruneCount(
                events: try row["events"].decode(Int.self), deliveries: try row["deliveries"].decode(Int.self),
                attempts: try row["attempts"].decode(Int.self), jobs: try row["deleted"].decode(Int.self))
        }
    }
}
