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
