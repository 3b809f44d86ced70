import Foundation
import GRDB

/// What one pruning batch removed.
package struct PruneCount: Sendable, Hashable {
    package var events = 0
    package var deliveries = 0
    package var attempts = 0
    package var jobs = 0

    package init(events: Int = 0, deliveries: Int = 0, attempts: Int = 0, jobs: Int = 0) {
        self.events = events
        self.deliveries = deliveries
        self.attempts = attempts
        self.jobs = jobs
    }

    package var isEmpty: Bool { events == 0 && jobs == 0 }

    package static func + (a: PruneCount, b: PruneCount) -> PruneCount {
        PruneCount(
            events: a.events + b.events, deliveries: a.deliveries + b.deliveries, attempts: a.attempts + b.attempts,
            jobs: a.jobs + b.jobs)
    }
}

extension JobStore {
    /// The newest events are never pruned, whatever their age, so a reader's `events --since` cursor and
    /// `events --follow` always find the recent past.
    package static let keptNewestEvents = 1000

    /// Deletes at most `limit` events created before `beforeMillis` whose deliveries all ended (delivered or
    /// dead; none pending), with their deliveries and attempts, in one short transaction. The newest
    /// `keepNewest` stay.
    package func pruneEvents(
        beforeMillis: Int64, limit: Int, keepNewest: Int = JobStore.keptNewestEvents
    ) async throws -> PruneCount {
        try await write { db in
            let newest = try db.value(Int64.self, sql: "SELECT COALESCE(MAX(sequence), 0) FROM event") ?? 0
            let sequences = try Int64.fetchAll(
                db,
                sql: """
                    SELECT e.sequence FROM event e
                    WHERE e.sequence <= ? AND e.created_at < ?
                        AND NOT EXISTS (SELECT 1 FROM delivery d WHERE d.event_sequence = e.sequence
                        AND d.state = 'pending')
                    ORDER BY e.sequence LIMIT ?
                    """,
                arguments: [newest - Int64(max(0, keepNewest)), beforeMillis, limit])
            guard !sequences.isEmpty else { return PruneCount() }
            let list = sequences.map(String.init).joined(separator: ",")
            var count = PruneCount(events: sequences.count)
            count.deliveries =
                try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM delivery WHERE event_sequence IN (\(list))") ?? 0
            count.attempts =
                try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM delivery_attempt WHERE event_sequence IN (\(list))")
                ?? 0
            // Deliveries and attempts go with their event (ON DELETE CASCADE).
            try db.execute(sql: "DELETE FROM event WHERE sequence IN (\(list))")
            return count
        }
    }

    /// Deletes at most `limit` jobs whose tracking ended before `endedBeforeMillis`, with their sub-jobs,
    /// history, events, deliveries and attempts, in one short transaction. A job with a delivery still
    /// pending stays until it ends.
    package func pruneJobs(endedBeforeMillis: Int64, limit: Int) async throws -> PruneCount {
        try await write { db in
            let rows = try Int64.fetchAll(
                db,
                sql: """
                    SELECT j.id FROM job j
                    WHERE j.tracking <> 'active' AND j.ended_at < ?
                        AND NOT EXISTS (
                            SELECT 1 FROM event e JOIN delivery d ON d.event_sequence = e.sequence
                            WHERE e.job_row = j.id AND d.state = 'pending')
                    ORDER BY j.ended_at LIMIT ?
                    """,
                arguments: [endedBeforeMillis, limit])
            guard !rows.isEmpty else { return PruneCount() }
            let list = rows.map(String.init).joined(separator: ",")
            var count = PruneCount(jobs: rows.count)
            count.events = try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM event WHERE job_row IN (\(list))") ?? 0
            count.deliveries =
                try Int.fetchOne(
                    db,
                    sql:
                        "SELECT COUNT(*) FROM delivery WHERE event_sequence IN (SELECT sequence FROM event WHERE "
                        + "job_row IN (\(list)))"
                ) ?? 0
            count.attempts =
                try Int.fetchOne(
                    db,
                    sql:
                        "SELECT COUNT(*) FROM delivery_attempt WHERE event_sequence IN (SELECT sequence FROM event "
                        + "WHERE job_row IN (\(list)))"
                ) ?? 0
            try db.execute(sql: "DELETE FROM job WHERE id IN (\(list))")
            return count
        }
    }
}
