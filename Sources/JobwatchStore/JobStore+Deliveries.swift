import Foundation
import GRDB
import JobwatchCore

/// One event's delivery to one sink (`jobwatch deliveries`).
package struct Delivery: Sendable, Encodable {
    package var eventSequence: Int64
    package var eventID: String
    package var eventType: EventType
    package var sink: String
    package var state: DeliveryState
    package var attempts: Int
    package var lastStatus: Int?
    package var lastError: String?
    package var nextAttemptAtMillis: Int64?
    package var deliveredAtMillis: Int64?

    package init(
        eventSequence: Int64, eventID: String, eventType: EventType, sink: String, state: DeliveryState, attempts: Int,
        lastStatus: Int?, lastError: String?, nextAttemptAtMillis: Int64?, deliveredAtMillis: Int64?
    ) {
        self.eventSequence = eventSequence
        self.eventID = eventID
        self.eventType = eventType
        self.sink = sink
        self.state = state
        self.attempts = attempts
        self.lastStatus = lastStatus
        self.lastError = lastError
        self.nextAttemptAtMillis = nextAttemptAtMillis
        self.deliveredAtMillis = deliveredAtMillis
    }

    enum CodingKeys: String, CodingKey {
        case eventID = "event_id", sink, state, attempts, lastStatus = "last_status", lastError = "last_error"
        case nextAttemptAt = "next_attempt_at", deliveredAt = "delivered_at"
    }

    package func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(eventID, forKey: .eventID)
        try c.encode(sink, forKey: .sink)
        try c.encode(state, forKey: .state)
        try c.encode(attempts, forKey: .attempts)
        try c.encode(lastStatus, forKey: .lastStatus)
        try c.encode(lastError, forKey: .lastError)
        try c.encode(
            state == .pending ? nextAttemptAtMillis.map(CloudTime.format(millis:)) : nil, forKey: .nextAttemptAt)
        try c.encode(deliveredAtMillis.map(CloudTime.format(millis:)), forKey: .deliveredAt)
    }
}

/// A pending delivery that is due, with the event it carries.
package struct DueDelivery: Sendable {
    package var event: StoredEvent
    package var sink: String
    package var attempts: Int

    package init(event: StoredEvent, sink: String, attempts: Int) {
        self.event = event
        self.sink = sink
        self.attempts = attempts
    }
}

extension JobStore {
    static let deliveryColumns = """
        d.event_sequence, d.sink, d.state, d.attempts, d.last_status, d.last_error, d.next_attempt_at, d.delivered_at,
        e.id AS event_id, e.type AS event_type
        """

    /// Due pending deliveries of the given sinks, oldest event first, skipping those already in flight.
    package func dueDeliveries(
        nowMillis: Int64, sinks: [String], limit: Int, excluding inFlight: Set<DeliveryKey>
    ) async throws -> [DueDelivery] {
        guard limit > 0, !sinks.isEmpty else { return [] }
        return try await read { db in
            let placeholders = sinks.map { _ in "?" }.joined(separator: ", ")
            let rows = try db.rows(
                sql: """
                    SELECT d.sink, d.attempts, e.sequence, e.id, e.type, e.created_at, e.body, j.job_id
                    FROM delivery d JOIN event e ON e.sequence = d.event_sequence JOIN job j ON j.id = e.job_row
                    WHERE d.state = 'pending' AND d.next_attempt_at <= ? AND d.sink IN (\(placeholders))
                    ORDER BY d.next_attempt_at, d.event_sequence LIMIT ?
                    """,
                arguments: StatementArguments([nowMillis] + sinks + [limit + inFlight.count]))
            return rows.compactMap { row -> DueDelivery? in
                let event = Self.decodeEvent(row)
                let sink: String = row["sink"]
                if inFlight.contains(DeliveryKey(eventSequence: event.sequence, sink: sink)) { return nil }
                return DueDelivery(event: event, sink: sink, attempts: row.count("attempts"))
            }.prefix(limit).map { $0 }
        }
    }

    /// When the next pending delivery of these sinks is due.
    package func earliestDelivery(sinks: [String], excluding inFlight: Set<DeliveryKey>) async throws -> Int64? {
        guard !sinks.isEmpty else { return nil }
        return try await read { db in
            let placeholders = sinks.map { _ in "?" }.joined(separator: ", ")
            let rows = try db.rows(
                sql: """
                    SELECT event_sequence, sink, next_attempt_at FROM delivery
                    WHERE state = 'pending' AND sink IN (\(placeholders)) ORDER BY next_attempt_at LIMIT ?
                    """,
                arguments: StatementArguments(sinks + [inFlight.count + 1]))
            return rows.first { !inFlight.contains(DeliveryKey(eventSequence: $0["event_sequence"], sink: $0["sink"])) }
                .map { $0["next_attempt_at"] }
        }
    }

    /// Records an attempt and the delivery's new state in one transaction. Only a pending delivery changes
    /// state: a late answer never turns a `delivered` (or `dead`) delivery back into `pending`.
    package func recordAttempt(_ key: DeliveryKey, _ attempt: AttemptRecord) async throws {
        try await write { db in
            try db.executeCached(
                sql:
                    "INSERT INTO delivery_attempt (event_sequence, sink, at, status, error, duration_ms) "
                    + "VALUES (?, ?, ?, ?, ?, ?)",
                arguments: [
                    key.eventSequence, key.sink, attempt.atMillis, attempt.statusCode, attempt.error,
                    attempt.durationMillis,
                ])
            try db.executeCached(
                sql: """
                    UPDATE delivery SET state = ?, attempts = attempts + 1, last_status = ?, last_error = ?,
                        next_attempt_at = ?, delivered_at = CASE WHEN ? = 'delivered' THEN ? ELSE delivered_at END
                    WHERE event_sequence = ? AND sink = ? AND state = 'pending'
                    """,
                arguments: [
                    attempt.newState.rawValue, attempt.statusCode, attempt.error, attempt.nextAttemptAtMillis,
                    attempt.newState.rawValue, attempt.atMillis, key.eventSequence, key.sink,
                ])
        }
    }

    /// Marks a batch delivered in one transaction (the stdout sink prints many lines per wake-up).
    package func recordDelivered(_ keys: [DeliveryKey], atMillis: Int64) async throws {
        guard !keys.isEmpty else { return }
        try await write { db in
            for key in keys {
                try db.executeCached(
                    sql:
                        "INSERT INTO delivery_attempt (event_sequence, sink, at, status, error, duration_ms) "
                        + "VALUES (?, ?, ?, NULL, NULL, 0)",
                    arguments: [key.eventSequence, key.sink, atMillis])
                try db.executeCached(
                    sql: """
                        UPDATE delivery SET state = 'delivered', attempts = attempts + 1, delivered_at = ?,
                            next_attempt_at = NULL
                        WHERE event_sequence = ? AND sink = ? AND state = 'pending'
                        """,
                    arguments: [atMillis, key.eventSequence, key.sink])
            }
        }
    }

    /// `jobwatch deliveries`: optionally only one state, one sink, and events created at or after a time.
    package func deliveries(
        state: DeliveryState?, sink: String?, createdSinceMillis: Int64?
    ) async throws -> [Delivery] {
        try await read { db in
            var sql = "SELECT \(Self.deliveryColumns) FROM delivery d JOIN event e ON e.sequence = d.event_sequence"
            var conditions: [String] = []
            var arguments: StatementArguments = []
            if let state {
                conditions.append("d.state = ?")
                arguments += [state.rawValue]
            }
            if let sink {
                conditions.append("d.sink = ?")
                arguments += [sink]
            }
            if let createdSinceMillis {
                conditions.append("e.created_at >= ?")
                arguments += [createdSinceMillis]
            }
            if !conditions.isEmpty { sql += " WHERE " + conditions.joined(separator: " AND ") }
            return try db.rows(sql: sql + " ORDER BY d.event_sequence, d.sink", arguments: arguments).map { row in
                Delivery(
                    eventSequence: row.int64("event_sequence") ?? 0, eventID: row.text("event_id") ?? "",
                    eventType: row.text("event_type").flatMap(EventType.init(rawValue:)) ?? .statusChanged,
                    sink: row.text("sink") ?? "",
                    state: row.text("state").flatMap(DeliveryState.init(rawValue:)) ?? .pending,
                    attempts: row.count("attempts"),
                    lastStatus: row.int64("last_status").map { Int(clamping: $0) }, lastError: row.text("last_error"),
                    nextAttemptAtMillis: row.int64("next_attempt_at"), deliveredAtMillis: row.int64("delivered_at"))
            }
        }
    }

    /// `jobwatch redeliver --since DUR [--sink NAME]` (Svix's "recover"): every delivery of an event created
    /// at or after `createdSinceMillis` that failed (dead, or pending after a failed attempt) is due again now,
    /// with a new round of `max_attempts`. Returns how many were re-queued.
    package func redeliverFailed(createdSinceMillis: Int64, sink: String?, nowMillis: Int64) async throws -> Int {
        try await write { db in
            var sql = """
                UPDATE delivery SET state = 'pending', attempts = 0, next_attempt_at = ?
                WHERE (state = 'dead' OR (state = 'pending' AND attempts > 0))
                    AND event_sequence IN (SELECT sequence FROM event WHERE created_at >= ?)
                """
            var arguments: StatementArguments = [nowMillis, createdSinceMillis]
            if let sink {
                sql += " AND sink = ?"
                arguments += [sink]
            }
            try db.execute(sql: sql, arguments: arguments)
            return db.changesCount
        }
    }

    /// Re-queues the deliveries of these events (every sink), or every dead delivery; a new round of
    /// `max_attempts` starts, earlier attempts stay recorded. Returns the number re-queued, or (when some ids
    /// match no event) nothing re-queued and those ids.
    package func redeliver(eventIDs: [String]?, nowMillis: Int64) async throws -> (requeued: Int, unknown: [String]) {
        try await write { db in
            guard let eventIDs else {
                try db.executeCached(
                    sql:
                        "UPDATE delivery SET state = 'pending', attempts = 0, next_attempt_at = ? WHERE state = 'dead'",
                    arguments: [nowMillis])
                return (db.changesCount, [])
            }
            // Every id must name an event before anything is re-queued: a typo changes nothing.
            var sequences: [Int64] = []
            var unknown: [String] = []
            for id in eventIDs {
                if let sequence = try db.value(
                    Int64.self, sql: "SELECT sequence FROM event WHERE id = ?", arguments: [id])
                {
                    sequences.append(sequence)
                } else {
                    unknown.append(id)
                }
            }
            guard unknown.isEmpty else { return (0, unknown) }
            var count = 0
            for sequence in sequences {
                try db.executeCached(
                    sql:
                        "UPDATE delivery SET state = 'pending', attempts = 0, next_attempt_at = ? WHERE "
                        + "event_sequence = ?",
                    arguments: [nowMillis, sequence])
                count += db.changesCount
            }
            return (count, unknown)
        }
    }
}

/// A delivery's identity: one event to one sink.
package struct DeliveryKey: Sendable, Hashable {
    package var eventSequence: Int64
    package var sink: String
    package init(eventSequence: Int64, sink: String) {
        self.eventSequence = eventSequence
        self.sink = sink
    }
}
