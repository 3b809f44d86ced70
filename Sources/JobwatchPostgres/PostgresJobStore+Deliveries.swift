import Foundation
import JobwatchCore
import JobwatchStore
import PostgresNIO

extension PostgresJobStore {
    /// Claims due pending deliveries of these sinks, oldest first, with a lease like jobs: each event goes
    /// to each sink from one daemon at a time, and the stdout sink's lines are printed by one daemon only.
    package func dueDeliveries(
        nowMillis: Int64, sinks: [String], limit: Int, excluding inFlight: Set<DeliveryKey>
    ) async throws -> [DueDelivery] {
        guard limit > 0, !sinks.isEmpty else { return [] }
        let owner = self.owner
        let lease = leaseMillis
        let busySequences = inFlight.map(\.eventSequence)
        let busySinks = inFlight.map(\.sink)
        let rows = try await transaction { c in
            try await c.query(
                """
                WITH due AS (
                    SELECT d.event_sequence, d.sink FROM delivery d
                    WHERE d.state = 'pending' AND d.next_attempt_at <= \(nowMillis) AND d.sink = ANY(\(sinks))
                        AND (d.lease_owner IS NULL OR d.lease_expires_at <= \(unescaped: serverNowMillis))
                        AND NOT EXISTS (SELECT 1 FROM unnest(\(busySequences)::bigint[], \(busySinks)::text[]) AS b(s,
                            k)
                            WHERE b.s = d.event_sequence AND b.k = d.sink)
                    ORDER BY d.next_attempt_at, d.event_sequence LIMIT \(limit)
                    FOR UPDATE SKIP LOCKED),
                claimed AS (
                    UPDATE delivery SET lease_owner = \(owner), lease_token = delivery.lease_token + 1,
                        lease_expires_at = \(unescaped: serverNowMillis) + \(lease)
                    FROM due WHERE delivery.event_sequence = due.event_sequence AND delivery.sink = due.sink
                    RETURNING delivery.event_sequence, delivery.sink, delivery.attempts, delivery.lease_token,
                        delivery.next_attempt_at)
                SELECT claimed.sink, claimed.attempts, claimed.lease_token, claimed.next_attempt_at, e.sequence, e.id,
                    e.type, e.created_at, e.body, j.job_id
                FROM claimed JOIN event e ON e.sequence = claimed.event_sequence JOIN job j ON j.id = e.job_row
                ORDER BY claimed.next_attempt_at, e.sequence
                """, logger: self.queryLogger
            ).collect().map { $0.makeRandomAccess() }
        }
        var claimed: [(DueDelivery, Int64)] = []
        for row in rows {
            claimed.append(
                (
                    DueDelivery(
                        event: try Self.decodeEvent(row), sink: try row["sink"].decode(String.self),
                        attempts: try row["attempts"].decode(Int.self)), try row["lease_token"].decode(Int64.self)
                ))
        }
        heldDeliveries.withLock { held in
            for (delivery, token) in claimed {
                held[DeliveryKey(eventSequence: delivery.event.sequence, sink: delivery.sink)] = token
            }
        }
        if !claimed.isEmpty { startRenewing() }
        return claimed.map(\.0)
    }

    /// When this daemon should look at the outbox again: the next free delivery, or the end of a lease
    /// another daemon holds.
    package func earliestDelivery(sinks: [String], excluding inFlight: Set<DeliveryKey>) async throws -> Int64? {
        guard !sinks.isEmpty else { return nil }
        let busySequences = inFlight.map(\.eventSequence)
        let busySinks = inFlight.map(\.sink)
        let row = try await rows(
            """
            WITH busy AS (SELECT * FROM unnest(\(busySequences)::bigint[], \(busySinks)::text[]) AS b(s, k))
            SELECT
                (SELECT d.next_attempt_at FROM delivery d WHERE d.state = 'pending' AND d.sink = ANY(\(sinks))
                    AND (d.lease_owner IS NULL OR d.lease_expires_at <= \(unescaped: serverNowMillis))
                    AND NOT EXISTS (SELECT 1 FROM busy WHERE busy.s = d.event_sequence AND busy.k = d.sink)
                    ORDER BY d.next_attempt_at LIMIT 1) AS free_at,
                (SELECT MIN(GREATEST(d.next_attempt_at, d.lease_expires_at)) FROM delivery d
                    WHERE d.state = 'pending' AND d.sink = ANY(\(sinks)) AND d.lease_owner IS NOT NULL
                    AND d.lease_expires_at > \(unescaped: serverNowMillis)
                    AND NOT EXISTS (SELECT 1 FROM busy WHERE busy.s = d.event_sequence
                        AND busy.k = d.sink)) AS held_until
            """
        ).first
        guard let row else { return nil }
        return [try row["free_at"].decode(Int64?.self), try row["held_until"].decode(Int64?.self)].compactMap { $0 }
            .min()
    }

    /// Records an attempt and the delivery's new state, only while this daemon's lease holds; gives it back.
    package func recordAttempt(_ key: DeliveryKey, _ attempt: AttemptRecord) async throws {
        guard let token = heldDeliveries.withLock({ $0[key] }) else { return }
        let owner = self.owner
        defer { _ = heldDeliveries.withLock { $0.removeValue(forKey: key) } }
        try await transaction { c in
            let updated = try await c.query(
                """
                UPDATE delivery SET state = \(attempt.newState.rawValue), attempts = attempts + 1,
                    last_status = \(attempt.statusCode), last_error = \(attempt.error),
                    next_attempt_at = \(attempt.nextAttemptAtMillis),
                    delivered_at = CASE WHEN \(attempt.newState.rawValue) = 'delivered' THEN \(attempt.atMillis)
                        ELSE delivered_at END,
                    lease_owner = NULL, lease_expires_at = 0
                WHERE event_sequence = \(key.eventSequence) AND sink = \(key.sink) AND lease_owner = \(owner)
                    AND lease_token = \(token)
                RETURNING event_sequence
                """, logger: self.queryLogger
            ).collect()
            guard !updated.isEmpty else { return }
            try await c.query(
                """
                INSERT INTO delivery_attempt (event_sequence, sink, at, status, error, duration_ms)
                VALUES (\(key.eventSequence), \(key.sink), \(attempt.atMillis), \(attempt.statusCode), \(attempt.error),
                    \(attempt.durationMillis))
                """, logger: self.queryLogger)
        }
    }

    /// Marks a batch delivered (the stdout sink) in one transaction, each only while its lease holds.
    package func recordDelivered(_ keys: [DeliveryKey], atMillis: Int64) async throws {
        guard !keys.isEmpty else { return }
        let tokens = heldDeliveries.withLock { held in keys.compactMap { key in held[key].map { (key, $0) } } }
        defer { heldDeliveries.withLock { held in for key in keys { held[key] = nil } } }
        guard !tokens.isEmpty else { return }
        let owner = self.owner
        try await transaction { c in
            try await c.query(
                """
                WITH batch AS (
                    SELECT * FROM unnest(\(tokens.map(\.0.eventSequence))::bigint[], \(tokens.map(\.0.sink))::text[],
                        \(tokens.map(\.1))::bigint[]) AS b(s, k, t)),
                done AS (
                    UPDATE delivery SET state = 'delivered', attempts = attempts + 1, delivered_at = \(atMillis),
                        next_attempt_at = NULL, lease_owner = NULL, lease_expires_at = 0
                    FROM batch WHERE delivery.event_sequence = batch.s AND delivery.sink = batch.k
                        AND delivery.lease_owner = \(owner) AND delivery.lease_token = batch.t
                    RETURNING delivery.event_sequence, delivery.sink)
                INSERT INTO delivery_attempt (event_sequence, sink, at, status, error, duration_ms)
                SELECT event_sequence, sink, \(atMillis), NULL, NULL, 0 FROM done
                """, logger: self.queryLogger)
        }
    }

    /// `jobwatch deliveries`: optionally only one state, one sink, and events created at or after a time.
    package func deliveries(
        state: DeliveryState?, sink: String?, createdSinceMillis: Int64?
    ) async throws -> [Delivery] {
        try await rows(
            """
            SELECT d.event_sequence, d.sink, d.state, d.attempts, d.last_status, d.last_error, d.next_attempt_at,
                d.delivered_at, e.id AS event_id, e.type AS event_type
            FROM delivery d JOIN event e ON e.sequence = d.event_sequence
            WHERE (\(state?.rawValue)::text IS NULL OR d.state = \(state?.rawValue))
                AND (\(sink)::text IS NULL OR d.sink = \(sink))
                AND (\(createdSinceMillis)::bigint IS NULL OR e.created_at >= \(createdSinceMillis))
            ORDER BY d.event_sequence, d.sink
            """
        ).map { row in
            Delivery(
                eventSequence: try row["event_sequence"].decode(Int64.self),
                eventID: try row["event_id"].decode(String.self),
                eventType: EventType(rawValue: try row["event_type"].decode(String.self)) ?? .statusChanged,
                sink: try row["sink"].decode(String.self),
                state: DeliveryState(rawValue: try row["state"].decode(String.self)) ?? .pending,
                attempts: try row["attempts"].decode(Int.self), lastStatus: try row["last_status"].decode(Int?.self),
                lastError: try row["last_error"].decode(String?.self),
                nextAttemptAtMillis: try row["next_attempt_at"].decode(Int64?.self),
                deliveredAtMillis: try row["delivered_at"].decode(Int64?.self))
        }
    }

    /// `redeliver --since`: every failed delivery (dead, or pending after a failed attempt) of the events
    /// created at or after `createdSinceMillis`, optionally of one sink, is due again now.
    package func redeliverFailed(createdSinceMillis: Int64, sink: String?, nowMillis: Int64) async throws -> Int {
        try await transaction { c in
            let count = try await c.query(
                """
                UPDATE delivery SET state = 'pending', attempts = 0, next_attempt_at = \(nowMillis)
                WHERE (state = 'dead' OR (state = 'pending' AND attempts > 0))
                    AND event_sequence IN (SELECT sequence FROM event WHERE created_at >= \(createdSinceMillis))
                    AND (\(sink)::text IS NULL OR sink = \(sink))
                RETURNING event_sequence
                """, logger: self.queryLogger
            ).collect().count
            if count > 0 { try await self.notifyDaemons(c) }
            return count
        }
    }

    /// Re-queues the deliveries of these events (every sink), or every dead one; all ids must be known.
    package func redeliver(eventIDs: [String]?, nowMillis: Int64) async throws -> (requeued: Int, unknown: [String]) {
        try await transaction { c in
            guard let eventIDs else {
                let count = try await c.query(
                    """
                    UPDATE delivery SET state = 'pending', attempts = 0, next_attempt_at = \(nowMillis)
                    WHERE state = 'dead' RETURNING event_sequence
                    """, logger: self.queryLogger
                ).collect().count
                if count > 0 { try await self.notifyDaemons(c) }
                return (count, [])
            }
            let known = try await c.query(
                "SELECT id, sequence FROM event WHERE id = ANY(\(eventIDs))", logger: self.queryLogger
            ).collect().map { try $0.decode((String, Int64).self) }
            let knownIDs = Set(known.map(\.0))
            let unknown = eventIDs.filter { !knownIDs.contains($0) }
            guard unknown.isEmpty else { return (0, unknown) }
            let count = try await c.query(
                """
                UPDATE delivery SET state = 'pending', attempts = 0, next_attempt_at = \(nowMillis)
                WHERE event_sequence = ANY(\(known.map(\.1))) RETURNING event_sequence
                """, logger: self.queryLogger
            ).collect().count
            if count > 0 { try await self.notifyDaemons(c) }
            return (count, [])
        }
    }
}
