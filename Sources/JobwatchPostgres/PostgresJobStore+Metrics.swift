import JobwatchCore
import PostgresNIO

extension PostgresJobStore {
    /// Jobs per tracking state, for the `jobwatch_jobs` gauge (read at scrape time).
    package func jobCountsByTracking() async throws -> [Tracking: Int] {
        var counts: [Tracking: Int] = [:]
        for row in try await rows("SELECT tracking, COUNT(*) AS n FROM job GROUP BY tracking") {
            if let tracking = Tracking(rawValue: try row["tracking"].decode(String.self)) {
                counts[tracking, default: 0] += try row["n"].decode(Int.self)
            }
        }
        return counts
    }

    /// Pending deliveries per sink, for the `jobwatch_outbox_pending` gauge.
    /// Events of one type past a cursor (the CLI's `registered` events for `jobwatch_events_total`).
    package func countEvents(
        of type: EventType, afterSequence: Int64
    ) async throws -> (
        count: Int, lastSequence: Int64
    ) {
        let row = try await rows(
            """
            SELECT COUNT(*) AS n, COALESCE(MAX(sequence), \(afterSequence)) AS last FROM event
            WHERE sequence > \(afterSequence) AND type = \(type.rawValue)
            """
        ).first
        return (try row?["n"].decode(Int.self) ?? 0, try row?["last"].decode(Int64.self) ?? afterSequence)
    }

    package func pendingDeliveriesBySink() async throws -> [String: Int] {
        var counts: [String: Int] = [:]
        for row in try await rows("SELECT sink, COUNT(*) AS n FROM delivery WHERE state = 'pending' GROUP BY sink") {
            counts[try row["sink"].decode(String.self)] = try row["n"].decode(Int.self)
        }
        return counts
    }
}
