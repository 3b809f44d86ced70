import GRDB
import JobwatchCore

extension JobStore {
    /// Jobs per tracking state, for the `jobwatch_jobs` gauge (read at scrape time).
    package func jobCountsByTracking() async throws -> [Tracking: Int] {
        try await read { db in
            var counts: [Tracking: Int] = [:]
            for row in try db.rows(sql: "SELECT tracking, COUNT(*) AS n FROM job GROUP BY tracking") {
                if let tracking = Tracking(rawValue: row["tracking"]) { counts[tracking, default: 0] += row["n"] }
            }
            return counts
        }
    }

    /// Events of one type past a cursor: the CLI's `jobwatch.job.registered` events, which the daemon does not
    /// create itself, are counted this way at scrape time (served by the `event` primary key).
    package func countEvents(
        of type: EventType, afterSequence: Int64
    ) async throws -> (
        count: Int, lastSequence: Int64
    ) {
        try await read { db in
            let row = try db.row(
                sql: "SELECT COUNT(*) AS n, MAX(sequence) AS last FROM event WHERE sequence > ? AND type = ?",
                arguments: [afterSequence, type.rawValue])
            return (row?["n"] ?? 0, row?["last"] ?? afterSequence)
        }
    }

    /// Pending deliveries per sink, for the `jobwatch_outbox_pending` gauge (served by the `delivery_due`
    /// partial index).
    package func pendingDeliveriesBySink() async throws -> [String: Int] {
        try await read { db in
            var counts: [String: Int] = [:]
            for row in try db.rows(
                sql: "SELECT sink, COUNT(*) AS n FROM delivery WHERE state = 'pending' GROUP BY sink")
            {
                counts[row["sink"]] = row["n"]
            }
            return counts
        }
    }
}
