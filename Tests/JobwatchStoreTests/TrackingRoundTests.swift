import Foundation
import JobwatchCore
import JobwatchStore
import JobwatchTestKit
import Testing

/// Terminal event ids that survive a rolled-back commit, tracking rounds, and guarded delivery bookkeeping.
@Suite struct TrackingRoundTests {
    let sinks = [SinkSubscription(name: "stdout", filter: .terminal), SinkSubscription(name: "ops", filter: .all)]

    func registration(_ id: String = "job-1", deadline: Int64 = 1_000_000) -> Registration {
        Registration(
            jobID: id, api: .ims, account: "default", region: "cn-north-4", projectID: nil, labels: [:], sinks: nil,
            deadlineAtMillis: deadline)
    }

    func poll(_ store: JobStore, _ rowID: Int64, _ status: JobStatus, at now: Int64) async throws -> [StoredEvent] {
        let snapshot = JobSnapshot(jobID: "job-1", status: status, providerStatus: status.rawValue)
        return try await store.applyPoll(rowID: rowID, sinks: sinks, nowMillis: now) { current in
            var random = SystemRandomNumberGenerator()
            return PollEvaluation.evaluate(
                record: current.record, scheduling: current.scheduling, result: .snapshot(snapshot, rawBody: "{}"),
                nowMillis: now, settings: PollSettings(policy: PollPolicy(), notFoundAfter: 5), random: &random)
        }?.events ?? []
    }

    func expire(_ store: JobStore, _ rowID: Int64, at now: Int64) async throws -> [StoredEvent] {
        try await store.applyPoll(rowID: rowID, sinks: sinks, nowMillis: now) { current in
            PollEvaluation.expire(record: current.record, scheduling: current.scheduling, nowMillis: now)
        }?.events ?? []
    }

    @Test func uuidV5MatchesTheRFCExample() {
        let dns = UUID(uuidString: "6ba7b810-9dad-11d1-80b4-00c04fd430c8")!
        #expect(
            TerminalEventID.uuidV5(namespace: dns, name: "www.example.com") == "2ed6657d-e927-568b-95e1-2665a8aea6a2")
    }

    @Test func aTerminalEventCreatedAgainAfterARollbackHasTheSameID() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("jobwatch-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let path = directory.appendingPathComponent("a.sqlite").path
        let rolledBack = directory.appendingPathComponent("b.sqlite").path
        let rowID: Int64
        do {
            let store = try JobStore(path: path)
            rowID = try await store.register(registration(), sinks: sinks, nowMillis: 1000).job.rowID
            _ = try await poll(store, rowID, .running, at: 2000)
        }
        // The database as a power cut would leave it: the terminal transaction below never happened.
        try FileManager.default.copyItem(atPath: path, toPath: rolledBack)

        let first = try await poll(try JobStore(path: path), rowID, .success, at: 3000)
        let again = try await poll(try JobStore(path: rolledBack), rowID, .success, at: 4000)
        let firstID = try #require(first.first { $0.type == .succeeded }?.id)
        #expect(again.first { $0.type == .succeeded }?.id == firstID)
        // A valid version 5 UUID, and another job's verdict has another id.
        #expect(firstID.count == 36 && Array(firstID)[14] == "5")
        let other = try JobStore(path: path)
        let otherRow = try await other.register(registration("job-2"), sinks: sinks, nowMillis: 5000).job.rowID
        #expect(try await poll(other, otherRow, .success, at: 6000).first?.id != firstID)
        // Non-terminal events keep time-ordered UUIDv7 ids.
        #expect(
            try await other.events(since: 0, limit: 10).filter { !$0.type.isTerminal }.allSatisfy {
                Array($0.id)[14] == "7"
            })
    }

    @Test func aJobEndedWithoutAVerdictIsTrackedAgainWhenRegisteredAgain() async throws {
        let store = try JobStore(path: temporaryDatabasePath("jobwatch-store"))
        let rowID = try await store.register(registration(), sinks: sinks, nowMillis: 1000).job.rowID
        _ = try await poll(store, rowID, .running, at: 2000)
        let expired = try await expire(store, rowID, at: 3000)
        #expect(expired.map(\.type) == [.expired])

        let again = try await store.register(registration(deadline: 9_000_000), sinks: sinks, nowMillis: 4000)
        #expect(again.created && again.job.rowID == rowID)
        #expect(again.job.record.tracking == .active && again.job.record.deadlineAtMillis == 9_000_000)
        #expect(try await store.dueJobs(nowMillis: 4000, limit: 10, excluding: []).map(\.rowID) == [rowID])
        // The new round ends with its own verdict, once, with an id of its own.
        let done = try await poll(store, rowID, .success, at: 5000)
        #expect(done.map(\.type) == [.succeeded])
        #expect(done.first?.id != expired.first?.id)
        #expect(
            try await store.events(since: 0, limit: 20).map(\.type) == [
                .registered, .statusChanged, .expired, .registered, .succeeded,
            ])
        // `done` stays idempotent.
        let once = try await store.register(registration(), sinks: sinks, nowMillis: 6000)
        #expect(!once.created && once.job.record.tracking == .done)
        #expect(try await store.events(since: 0, limit: 20).count == 5)

        // Unregistered (stopped) jobs come back the same way.
        let other = try await store.register(registration("job-2"), sinks: sinks, nowMillis: 7000).job.rowID
        #expect(try await store.unregister(rowID: other, nowMillis: 7500)?.record.tracking == .stopped)
        #expect(
            try await store.register(registration("job-2"), sinks: sinks, nowMillis: 8000).job.record.tracking
                == .active)
    }

    @Test func aLateFailureNeverTurnsADeliveredDeliveryBackIntoPending() async throws {
        let store = try JobStore(path: temporaryDatabasePath("jobwatch-store"))
        let rowID = try await store.register(registration(), sinks: sinks, nowMillis: 1000).job.rowID
        let event = try #require(try await poll(store, rowID, .success, at: 2000).first { $0.type == .succeeded })
        let key = DeliveryKey(eventSequence: event.sequence, sink: "ops")
        try await store.recordDelivered([key], atMillis: 2100)
        try await store.recordAttempt(
            key,
            AttemptRecord(
                atMillis: 2200, statusCode: 503, error: "HTTP 503", durationMillis: 5, newState: .pending,
                nextAttemptAtMillis: 9000))
        let ops = try await store.deliveries(state: nil).filter { $0.sink == "ops" && $0.eventID == event.id }
        #expect(ops.map(\.state) == [.delivered])
        #expect(
            try await store.dueDeliveries(nowMillis: .max, sinks: ["ops"], limit: 10, excluding: []).allSatisfy {
                $0.event.id != event.id
            })
    }
}

/// The database file's mode, for operators sharing it through the group.
@Suite struct DatabaseModeTests {
    func mode(_ path: String) throws -> Int {
        (try FileManager.default.attributesOfItem(atPath: path)[.posixPermissions] as? Int) ?? -1
    }

    func sharedDirectory() throws -> String {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("jobwatch-mode-\(UUID())").path
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        #expect(chmod(directory, 0o2770) == 0)
        return directory
    }

    @Test func aNewDatabaseInASetGIDDirectoryIsGroupReadWritable() async throws {
        let path = try sharedDirectory() + "/jobwatch.sqlite"
        let store = try JobStore(path: path)
        _ = try await store.register(
            Registration(
                jobID: "j", api: .ims, account: "default", region: nil, projectID: nil, labels: [:], sinks: nil,
                deadlineAtMillis: 10),
            sinks: [], nowMillis: 1)
        for suffix in ["", "-wal", "-shm"] { #expect(try mode(path + suffix) & 0o660 == 0o660, "\(suffix)") }
        #expect(DatabaseFile.mode(directorySetGID: true, umask: 0o077) == 0o660)
        #expect(DatabaseFile.mode(directorySetGID: false, umask: 0o007) == 0o660)
        #expect(DatabaseFile.mode(directorySetGID: false, umask: 0o022) == 0o644)
        #expect(DatabaseFile.mode(directorySetGID: false, umask: 0o077) == 0o600)
    }

    @Test func aDatabaseCreatedBeforeTheFixIsSharedWhenItsOwnerOpensIt() throws {
        let path = try sharedDirectory() + "/jobwatch.sqlite"
        // What SQLite made under UMask=0007 before jobwatch created the file itself.
        let fd = open(path, O_WRONLY | O_CREAT | O_EXCL, 0o600)
        #expect(fd >= 0 && fchmod(fd, 0o640) == 0)
        close(fd)
        _ = try JobStore(path: path)
        #expect(try mode(path) == 0o660)
    }
}
