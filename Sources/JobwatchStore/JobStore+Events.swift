import Foundation
import GRDB
import JobwatchCore

extension JobStore {
    /// Creates events and their deliveries inside the caller's transaction.
    @discardableResult
    static func appendEvents(
        _ pending: [PendingEvent], for job: StoredJob, sinks: [SinkSubscription], nowMillis: Int64, hostname: String,
        db: Database
    ) throws -> [StoredEvent] {
        // Most polls create no event: no need to read the round.
        guard !pending.isEmpty else { return [] }
        var created: [StoredEvent] = []
        var random = SystemRandomNumberGenerator()
        let round =
            try db.value(Int64.self, sql: "SELECT round FROM job WHERE id = ?", arguments: [job.rowID]) ?? 0
        for event in pending {
            // Terminal events: a name-based id, the same if a power cut makes us create the event again.
            let r = job.record
            let id =
                event.type.isTerminal
                ? TerminalEventID.make(
                    account: r.account, api: r.api, projectID: r.projectID, jobID: r.jobID, round: round,
                    type: event.type)
                : UUIDv7.make(millis: nowMillis, random: &random)
            // The sequence is the row id, known only after the insert; the body that carries it follows.
            try db.executeCached(
                sql: "INSERT INTO event (id, job_row, type, created_at, body, round) VALUES (?, ?, ?, ?, '', ?)",
                arguments: [id, job.rowID, event.type.rawValue, nowMillis, round])
            let sequence = db.lastInsertedRowID
            let cloudEvent = CloudEvent(
                id: id, source: CloudEvent.source(hostname: hostname, account: job.record.account), type: event.type,
                subject: job.record.jobID, timeMillis: nowMillis, sequence: sequence,
                data: EventData(
                    job: event.type == .subJobStatusChanged ? EventSize.jobForSubJobEvent(job.record) : job.record,
                    previousStatus: event.previousStatus, subJob: event.subJob))
            let body = try JSONStyle.string(cloudEvent)
            try db.executeCached(sql: "UPDATE event SET body = ? WHERE sequence = ?", arguments: [body, sequence])
            for sink in SinkSubscription.recipients(of: event.type, jobSinks: job.record.sinks, among: sinks) {
                try db.executeCached(
                    sql:
                        "INSERT INTO delivery (event_sequence, sink, state, next_attempt_at) VALUES (?, ?, "
                        + "'pending', ?)",
                    arguments: [sequence, sink, nowMillis])
            }
            created.append(
                StoredEvent(
                    sequence: sequence, id: id, type: event.type, jobID: job.record.jobID, createdAtMillis: nowMillis,
                    body: body))
        }
        return created
    }

    /// Events with a sequence greater than `since`, oldest first.
    package func events(since: Int64, limit: Int) async throws -> [StoredEvent] {
        try await read { db in
            try db.rows(
                sql: """
                    SELECT e.sequence, e.id, e.type, e.created_at, e.body, j.job_id
                    FROM event e JOIN job j ON j.id = e.job_row
                    WHERE e.sequence > ? ORDER BY e.sequence LIMIT ?
                    """,
                arguments: [since, limit]
            ).map(Self.decodeEvent)
        }
    }

    package func lastEventSequence() async throws -> Int64 {
        try await read { db in try db.value(Int64.self, sql: "SELECT COALESCE(MAX(sequence), 0) FROM event") ?? 0 }
    }

    static func decodeEvent(_ row: Row) -> StoredEvent {
        StoredEvent(
            sequence: row.int64("sequence") ?? 0, id: row.text("id") ?? "",
            type: row.text("type").flatMap(EventType.init(rawValue:)) ?? .statusChanged,
            jobID: row.text("job_id") ?? "", createdAtMillis: row.int64("created_at") ?? 0,
            body: row.text("body") ?? "")
    }
}
