import Foundation
import JobwatchCore
import JobwatchStore
import PostgresNIO

extension PostgresJobStore {
    /// Creates events and their deliveries inside the caller's transaction. Sequences are taken from the
    /// counter row, which stays locked until this transaction ends: every smaller sequence is already
    /// committed (or rolled back and given out again), so readers following `--since` miss nothing.
    @discardableResult
    func appendEvents(
        _ pending: [PendingEvent], for job: StoredJob, sinks: [SinkSubscription], nowMillis: Int64,
        _ c: PostgresConnection
    ) async throws -> [StoredEvent] {
        guard !pending.isEmpty else { return [] }
        let last = try await c.query(
            "UPDATE event_counter SET last_sequence = last_sequence + \(pending.count) RETURNING last_sequence",
            logger: queryLogger
        ).collect().first.map { try $0.decode(Int64.self) }
        guard let last else { throw StoreError("the event counter row is missing; the schema is damaged") }
        let round =
            try await c.query("SELECT round FROM job WHERE id = \(job.rowID)", logger: queryLogger).collect()
            .first.map { try $0.decode(Int64.self) } ?? 0
        var created: [StoredEvent] = []
        var random = SystemRandomNumberGenerator()
        for (offset, event) in pending.enumerated() {
            let sequence = last - Int64(pending.count) + 1 + Int64(offset)
            // Terminal events: a name-based id, the same if the event is ever created again.
            let r = job.record
            let id =
                event.type.isTerminal
                ? TerminalEventID.make(
                    account: r.account, api: r.api, projectID: r.projectID, jobID: r.jobID, round: round,
                    type: event.type)
                : UUIDv7.make(millis: nowMillis, random: &random)
            let cloudEvent = CloudEvent(
                id: id, source: CloudEvent.source(hostname: hostname, account: job.record.account), type: event.type,
                subject: job.record.jobID, timeMillis: nowMillis, sequence: sequence,
                data: EventData(
                    job: event.type == .subJobStatusChanged ? EventSize.jobForSubJobEvent(job.record) : job.record,
                    previousStatus: event.previousStatus, subJob: event.subJob))
            let body = try JSONStyle.string(cloudEvent)
            try await c.query(
                """
                INSERT INTO event (sequence, id, job_row, type, created_at, body, round)
                VALUES (\(sequence), \(id), \(job.rowID), \(event.type.rawValue), \(nowMillis), \(body), \(round))
                """, logger: queryLogger)
            let recipients = SinkSubscription.recipients(of: event.type, jobSinks: job.record.sinks, among: sinks)
            if !recipients.isEmpty {
                try await c.query(
                    """
                    INSERT INTO delivery (event_sequence, sink, state, next_attempt_at)
                    SELECT \(sequence), sink, 'pending', \(nowMillis) FROM unnest(\(recipients)::text[]) AS sink
                    """, logger: queryLogger)
            }
            created.append(
                StoredEvent(
                    sequence: sequence, id: id, type: event.type, jobID: job.record.jobID, createdAtMillis: nowMillis,
                    body: body))
        }
        return created
    }

    package func events(since: Int64, limit: Int) async throws -> [StoredEvent] {
        try await rows(
            """
            SELECT e.sequence, e.id, e.type, e.created_at, e.body, j.job_id FROM event e JOIN job j ON j.id = e.job_row
            WHERE e.sequence > \(since) ORDER BY e.sequence LIMIT \(max(0, limit))
            """
        ).map(Self.decodeEvent)
    }

    package func lastEventSequence() async throws -> Int64 {
        try await rows("SELECT COALESCE(MAX(sequence), 0) AS last FROM event").first.map {
            try $0["last"].decode(Int64.self)
        } ?? 0
    }

    static func decodeEvent(_ row: PostgresRandomAccessRow) throws -> StoredEvent {
        StoredEvent(
            sequence: try row["sequence"].decode(Int64.self), id: try row["id"].decode(String.self),
            type: EventType(rawValue: try row["type"].decode(String.self)) ?? .statusChanged,
            jobID: try row["job_id"].decode(String.self), createdAtMillis: try row["created_at"].decode(Int64.self),
            body: try row["body"].decode(String.self))
    }
}
