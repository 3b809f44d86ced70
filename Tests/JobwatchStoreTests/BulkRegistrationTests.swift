import Foundation
import GRDB
import JobwatchCore
import JobwatchStore
import JobwatchTestKit
import Testing

@Suite struct BulkRegistrationTests {
    let sinks = [SinkSubscription(name: "stdout", filter: .terminal), SinkSubscription(name: "ops", filter: .all)]

    func registration(_ id: String, firstPollAt: Int64? = nil) -> Registration {
        Registration(
            jobID: id, api: .ims, account: "default", region: "cn-north-4", projectID: nil, labels: ["batch": "1"],
            sinks: nil, deadlineAtMillis: 1_000_000, firstPollAtMillis: firstPollAt)
    }

    @Test func registersEveryJobWithItsEventInOrder() async throws {
        let store = try JobStore(path: temporaryDatabasePath("jobwatch-store"))
        let results = try await store.registerJobs(
            [registration("a"), registration("b", firstPollAt: 5000), registration("c")], sinks: sinks,
            nowMillis: 1000)
        #expect(results.map(\.job.record.jobID) == ["a", "b", "c"])
        #expect(results.allSatisfy { $0.created })
        #expect(results.map(\.job.record.labels) == Array(repeating: ["batch": "1"], count: 3))
        let events = try await store.events(since: 0, limit: 10)
        #expect(events.map(\.type) == [.registered, .registered, .registered])
        #expect(events.map(\.jobID) == ["a", "b", "c"])
        #expect(try await store.deliveries(state: .pending).map(\.sink) == ["ops", "ops", "ops"])
        // `firstPollAtMillis` plans the first poll; without it the job is due at once.
        #expect(try await store.dueJobs(nowMillis: 1000, limit: 10, excluding: []).map(\.jobID) == ["a", "c"])
        #expect(try await store.dueJobs(nowMillis: 5000, limit: 10, excluding: []).count == 3)
    }

    @Test func isIdempotentPerJobLikeRegister() async throws {
        let store = try JobStore(path: temporaryDatabasePath("jobwatch-store"))
        let existing = try await store.register(registration("a"), sinks: sinks, nowMillis: 1000)
        let results = try await store.registerJobs(
            [registration("a"), registration("b"), registration("b")], sinks: sinks, nowMillis: 2000)
        #expect(results.map(\.created) == [false, true, false])
        let b = try #require(results.dropFirst().first).job.rowID
        #expect(results.map(\.job.rowID) == [existing.job.rowID, b, b])
        #expect(results.first?.job.record.registeredAtMillis == 1000)
        #expect(try await store.events(since: 0, limit: 10).map(\.jobID) == ["a", "b"])
        #expect(try await store.registerJobs([], sinks: sinks, nowMillis: 3000).isEmpty)
    }

    @Test func aFailureRegistersNothing() async throws {
        let path = temporaryDatabasePath("jobwatch-store")
        let store = try JobStore(path: path)
        _ = try await store.register(registration("before"), sinks: sinks, nowMillis: 1000)
        // Another connection makes the database refuse one job of the batch.
        let queue = try DatabaseQueue(path: path)
        try await queue.write { db in
            try db.execute(
                sql: """
                    CREATE TRIGGER refuse BEFORE INSERT ON job WHEN NEW.job_id = 'refused'
                    BEGIN SELECT RAISE(ABORT, 'refused by the test'); END
                    """)
        }
        try queue.close()
        await #expect(throws: StoreError.self) {
            _ = try await store.registerJobs(
                [registration("a"), registration("b"), registration("refused"), registration("c")], sinks: sinks,
                nowMillis: 2000)
        }
        #expect(try await store.list(tracking: .all, api: nil, labels: [:]).map(\.record.jobID) == ["before"])
        #expect(try await store.events(since: 0, limit: 10).map(\.jobID) == ["before"])
        #expect(try await store.deliveries(state: nil).count == 1)
    }
}
