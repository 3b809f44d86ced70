import Foundation
import JobwatchCore
import JobwatchPostgres
import JobwatchStore
import Testing

/// `jobwatch migrate-store`: a SQLite database copied into PostgreSQL reads back the same, and work goes on.
@Suite struct MigrateStoreTests {
    let sinks = [SinkSubscription(name: "stdout", filter: .terminal), SinkSubscription(name: "ops", filter: .all)]

    func evaluate(
        _ status: JobStatus, subs: [SubJobSnapshot] = [], at now: Int64
    ) -> @Sendable (StoredJob) -> PollUpdate? {
        { current in
            var random = SeededRandom(seed: 7)
            return PollEvaluation.evaluate(
                record: current.record, scheduling: current.scheduling,
                result: .snapshot(
                    JobSnapshot(
                        jobID: current.record.jobID, jobType: "imsImportOvaImageJob", status: status,
                        providerStatus: status.rawValue, progress: status == .success ? 1 : 0.4, subJobs: subs),
                    rawBody: "{}"), nowMillis: now, settings: PollSettings(policy: PollPolicy(), notFoundAfter: 5),
                random: &random)
        }
    }

    /// A SQLite database with five jobs (one with a sub-job, one succeeded, one failed), a dead and a
    /// delivered delivery; its store and the jobs' row ids.
    func makeSQLite() async throws -> (store: JobStore, rows: [Int64]) {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent(
            "jobwatch-migrate-\(UUID().uuidString)/jobwatch.sqlite"
        ).path
        let sqlite = try JobStore(path: path)
        var rows: [Int64] = []
        for index in 0..<5 {
            let registration = Registration(
                jobID: "job-\(index)", api: index % 2 == 0 ? .ims : .workspace, account: "default",
                region: "cn-north-4", projectID: index % 2 == 0 ? nil : "p1", labels: ["n": "\(index)"],
                sinks: index == 4 ? ["ops"] : nil, deadlineAtMillis: 9_000_000)
            rows.append(try await sqlite.register(registration, sinks: sinks, nowMillis: 1000 + Int64(index)).job.rowID)
        }
        let sub = SubJobSnapshot(jobID: "sub-1", status: .running, providerStatus: "RUNNING")
        try await sqlite.applyPoll(
            rowID: rows[0], sinks: sinks, nowMillis: 2000, decide: evaluate(.running, subs: [sub], at: 2000))
        try await sqlite.applyPoll(rowID: rows[0], sinks: sinks, nowMillis: 3000, decide: evaluate(.success, at: 3000))
        try await sqlite.applyPoll(rowID: rows[1], sinks: sinks, nowMillis: 3000, decide: evaluate(.fail, at: 3000))
        let due = try await sqlite.dueDeliveries(nowMillis: 5000, sinks: ["ops"], limit: 100, excluding: [])
        try await sqlite.recordAttempt(
            DeliveryKey(eventSequence: due[0].event.sequence, sink: "ops"),
            AttemptRecord(
                atMillis: 4000, statusCode: 500, error: "HTTP 500", durationMillis: 3, newState: .dead,
                nextAttemptAtMillis: nil))
        try await sqlite.recordDelivered(
            [DeliveryKey(eventSequence: due[1].event.sequence, sink: "ops")], atMillis: 4100)

        return (sqlite, rows)
    }

    @Test func everythingCopiedReadsBackTheSameAndSequencesContinue() async throws {
        let (sqlite, rows) = try await makeSQLite()
        let database = try await PostgresDatabase()
        let postgres = try await database.open()
        defer { Task { await postgres.close() } }
        let counts = try await postgres.importAll(try sqlite.exportAll())
        #expect(counts.first { $0.table == "job" }?.rows == 5)

        // The same records, history, events and deliveries, as the CLI would print them.
        let before = try await sqlite.list(tracking: .all, api: nil, labels: [:])
        let after = try await postgres.list(tracking: .all, api: nil, labels: [:])
        #expect(after.map(\.record) == before.map(\.record))
        #expect(after.map(\.scheduling) == before.map(\.scheduling))
        #expect(try await postgres.history(rowID: rows[0]) == (try await sqlite.history(rowID: rows[0])))
        #expect(try await postgres.events(since: 0, limit: 100) == (try await sqlite.events(since: 0, limit: 100)))
        let deliveriesBefore = try await sqlite.deliveries(state: nil).map { "\($0.eventID) \($0.sink) \($0.state)" }
        #expect(
            try await postgres.deliveries(state: nil).map { "\($0.eventID) \($0.sink) \($0.state)" } == deliveriesBefore
        )

        // Work continues from there: new rows get new ids and sequences after the copied ones.
        let last = try await sqlite.lastEventSequence()
        let next = try await postgres.register(
            Registration(
                jobID: "job-new", api: .ims, account: "default", region: nil, projectID: nil, labels: [:], sinks: nil,
                deadlineAtMillis: 9_000_000), sinks: sinks, nowMillis: 6000)
        #expect(next.job.rowID > rows.max()!)
        #expect(try await postgres.lastEventSequence() == last + 1)
        // A second copy into a database that has jobs is refused, and changes nothing.
        await #expect(throws: StoreError.self) { try await postgres.importAll(try sqlite.exportAll()) }
        #expect(try await postgres.list(tracking: .all, api: nil, labels: [:]).count == 6)
    }

    /// The same things as the CLI shows them: records and scheduling, history, events, deliveries.
    func view(_ store: any JobStoring, rows: [Int64]) async throws -> [String] {
        var lines = try await store.list(tracking: .all, api: nil, labels: [:]).map { "\($0.record) \($0.scheduling)" }
        for row in rows { lines += try await store.history(rowID: row).map { "\(row) \($0)" } }
        lines += try await store.events(since: 0, limit: 1000).map { "\($0)" }
        lines += try await store.deliveries(state: nil).map { "\($0)" }
        return lines
    }

    @Test func aPostgreSQLDatabaseCopiedBackToSQLiteReadsTheSameAndSequencesContinue() async throws {
        let (sqlite, rows) = try await makeSQLite()
        let database = try await PostgresDatabase()
        let postgres = try await database.open()
        defer { Task { await postgres.close() } }
        _ = try await postgres.importAll(try sqlite.exportAll())
        // Work on PostgreSQL after the move (a daemon's leases are taken and given back on the way).
        let sub = SubJobSnapshot(jobID: "sub-2", status: .running, providerStatus: "RUNNING")
        _ = try await postgres.dueJobs(nowMillis: .max, limit: 100, excluding: [])
        _ = try await postgres.applyPoll(
            rowID: rows[2], sinks: sinks, nowMillis: 7000, decide: evaluate(.running, subs: [sub], at: 7000))
        _ = try await postgres.applyPoll(
            rowID: rows[3], sinks: sinks, nowMillis: 7100, decide: evaluate(.success, at: 7100))
        let due = try await postgres.dueDeliveries(nowMillis: 8000, sinks: ["ops"], limit: 100, excluding: [])
        try await postgres.recordAttempt(
            DeliveryKey(eventSequence: try #require(due.first).event.sequence, sink: "ops"),
            AttemptRecord(
                atMillis: 8000, statusCode: 503, error: "HTTP 503", durationMillis: 4, newState: .pending,
                nextAttemptAtMillis: 9000))
        let expected = try await view(postgres, rows: rows)

        let path = FileManager.default.temporaryDirectory.appendingPathComponent(
            "jobwatch-migrate-back-\(UUID().uuidString)/jobwatch.sqlite"
        ).path
        try FileManager.default.createDirectory(
            atPath: (path as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
        let back = try JobStore(path: path)
        let counts = try await back.importAll(try await postgres.exportAll())
        #expect(counts.map(\.table) == StoreExport.tableOrder)
        #expect(counts.first { $0.table == "sub_job" }?.rows == 1)
        #expect(counts.first { $0.table == "delivery_attempt" }?.rows == 3)
        #expect(try await view(back, rows: rows) == expected)

        // Sequences continue after the copied ones; a second copy into it is refused and changes nothing.
        let last = try await postgres.lastEventSequence()
        let next = try await back.register(
            Registration(
                jobID: "job-after", api: .ims, account: "default", region: nil, projectID: nil, labels: [:],
                sinks: nil, deadlineAtMillis: 9_000_000), sinks: sinks, nowMillis: 9500)
        #expect(next.job.rowID > rows.max()!)
        #expect(try await back.lastEventSequence() == last + 1)
        await #expect(throws: StoreError.self) { try await back.importAll(try await postgres.exportAll()) }
        #expect(try await back.list(tracking: .all, api: nil, labels: [:]).count == 6)
    }
}
