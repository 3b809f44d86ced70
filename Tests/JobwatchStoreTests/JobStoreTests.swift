import Foundation
import JobwatchCore
import JobwatchStore
import JobwatchTestKit
import Testing

@Suite struct JobStoreTests {
    let sinks = [SinkSubscription(name: "stdout", filter: .terminal), SinkSubscription(name: "ops", filter: .all)]

    func registration(_ id: String = "job-1", api: JobAPI = .ims, sinks: [String]? = nil) -> Registration {
        Registration(
            jobID: id, api: api, account: "default", region: "cn-north-4", projectID: nil, labels: ["team": "a"],
            sinks: sinks, deadlineAtMillis: 1_000_000)
    }

    func snapshot(_ status: JobStatus, progress: Double? = nil, subs: [SubJobSnapshot] = []) -> JobSnapshot {
        JobSnapshot(
            jobID: "job-1", jobType: "imsCreateImageByInstance", status: status, providerStatus: status.rawValue,
            progress: progress, subJobs: subs)
    }

    func poll(
        _ store: JobStore, _ rowID: Int64, _ result: PollResult, at now: Int64
    ) async throws -> (job: StoredJob, events: [StoredEvent])? {
        try await store.applyPoll(rowID: rowID, sinks: sinks, nowMillis: now) { current in
            var random = SeededRandom(seed: 1)
            return PollEvaluation.evaluate(
                record: current.record, scheduling: current.scheduling, result: result, nowMillis: now,
                settings: PollSettings(policy: PollPolicy(), notFoundAfter: 5), random: &random)
        }
    }

    @Test func migratesAFreshDatabaseAndReopensAnExistingOne() async throws {
        let path = temporaryDatabasePath("jobwatch-store")
        do {
            let store = try JobStore(path: path)
            _ = try await store.register(registration(), sinks: sinks, nowMillis: 1000)
        }
        let reopened = try JobStore(path: path)
        #expect(try await reopened.jobs(withJobID: "job-1", api: nil).count == 1)
        #expect(try await reopened.lastEventSequence() == 1)
    }

    @Test func registrationIsIdempotentAndCreatesOneRegisteredEvent() async throws {
        let store = try JobStore(path: temporaryDatabasePath("jobwatch-store"))
        let first = try await store.register(registration(), sinks: sinks, nowMillis: 1000)
        let second = try await store.register(registration(), sinks: sinks, nowMillis: 2000)
        #expect(first.created && !second.created)
        #expect(second.job.record.registeredAtMillis == 1000)
        let events = try await store.events(since: 0, limit: 10)
        #expect(events.map(\.type) == [.registered])
        // `ops` subscribes to all events, `stdout` only to terminal ones.
        #expect(try await store.deliveries(state: .pending).map(\.sink) == ["ops"])
        // The same id under another api is another job.
        #expect(try await store.register(registration(api: .imsProject), sinks: sinks, nowMillis: 3000).created)
        #expect(try await store.jobs(withJobID: "job-1", api: nil).count == 2)
    }

    @Test func onePollWritesTheJobItsTransitionsEventsAndDeliveriesTogether() async throws {
        let store = try JobStore(path: temporaryDatabasePath("jobwatch-store"))
        let rowID = try await store.register(registration(), sinks: sinks, nowMillis: 1000).job.rowID
        _ = try await poll(
            store, rowID, .snapshot(snapshot(.running, progress: 0.2), rawBody: "{\"status\":\"RUNNING\"}"), at: 2000)
        let done = try #require(
            try await poll(
                store, rowID,
                .snapshot(
                    snapshot(
                        .success, progress: 1,
                        subs: [SubJobSnapshot(jobID: "s1", status: .success, providerStatus: "SUCCESS")]), rawBody: "{}"
                ),
                at: 3000))
        #expect(done.job.record.tracking == .done)
        #expect(done.events.map(\.type) == [.subJobStatusChanged, .succeeded])
        let history = try await store.history(rowID: rowID)
        #expect(
            history.map { "\($0.subJobID ?? "job"):\($0.from?.rawValue ?? "-")>\($0.to.rawValue)" } == [
                "job:->RUNNING", "s1:->SUCCESS", "job:RUNNING>SUCCESS",
            ])
        let stored = try #require(try await store.job(rowID: rowID))
        #expect(stored.record.subJobs.map(\.jobID) == ["s1"] && stored.record.polls == 2)
        // The terminal event reached both sinks; the sub-job event only `ops`.
        let pending = try await store.deliveries(state: .pending)
        #expect(pending.filter { $0.eventType == .succeeded }.map(\.sink).sorted() == ["ops", "stdout"])
        #expect(pending.filter { $0.eventType == .subJobStatusChanged }.map(\.sink) == ["ops"])
        // The event body is the CloudEvent, with the sequence the store gave it.
        let terminal = try #require(done.events.last)
        let body = try #require(try JSONSerialization.jsonObject(with: Data(terminal.body.utf8)) as? [String: Any])
        #expect(body["sequence"] as? String == String(terminal.sequence))
        #expect(body["type"] as? String == "jobwatch.job.succeeded" && body["subject"] as? String == "job-1")
        let data = try #require(body["data"] as? [String: Any])
        #expect(data["previous_status"] as? String == "RUNNING")
        #expect((data["job"] as? [String: Any])?["status"] as? String == "SUCCESS")
    }

    @Test func aFinishedJobTakesNoFurtherPollsOrTerminalEvents() async throws {
        let store = try JobStore(path: temporaryDatabasePath("jobwatch-store"))
        let rowID = try await store.register(registration(), sinks: sinks, nowMillis: 1000).job.rowID
        _ = try await poll(store, rowID, .snapshot(snapshot(.fail), rawBody: "{}"), at: 2000)
        #expect(try await poll(store, rowID, .snapshot(snapshot(.fail), rawBody: "{}"), at: 3000) == nil)
        #expect(try await store.events(since: 0, limit: 10).filter { $0.type.isTerminal }.count == 1)
        #expect(try await store.dueJobs(nowMillis: .max, limit: 10, excluding: []).isEmpty)
    }

    @Test func dueJobsAreEarliestFirstAndSkipThoseInFlight() async throws {
        let store = try JobStore(path: temporaryDatabasePath("jobwatch-store"))
        let a = try await store.register(registration("a"), sinks: sinks, nowMillis: 1000).job.rowID
        let b = try await store.register(registration("b"), sinks: sinks, nowMillis: 2000).job.rowID
        _ = try await store.register(registration("c"), sinks: sinks, nowMillis: 9000)
        #expect(try await store.dueJobs(nowMillis: 5000, limit: 10, excluding: []).map(\.rowID) == [a, b])
        #expect(try await store.dueJobs(nowMillis: 5000, limit: 10, excluding: [a]).map(\.rowID) == [b])
        #expect(try await store.earliestPoll(excluding: [a, b]) == 9000)
    }

    @Test func deliveriesRecordAttemptsAndCanBeRequeued() async throws {
        let store = try JobStore(path: temporaryDatabasePath("jobwatch-store"))
        let rowID = try await store.register(registration(), sinks: sinks, nowMillis: 1000).job.rowID
        let event = try #require(
            try await poll(store, rowID, .snapshot(snapshot(.success), rawBody: "{}"), at: 2000)?.events.first)
        let due = try await store.dueDeliveries(nowMillis: 2000, sinks: ["ops"], limit: 10, excluding: [])
        #expect(due.map(\.event.id).contains(event.id))
        let key = DeliveryKey(eventSequence: event.sequence, sink: "ops")
        try await store.recordAttempt(
            key,
            AttemptRecord(
                atMillis: 2100, statusCode: 503, error: "HTTP 503", durationMillis: 12, newState: .pending,
                nextAttemptAtMillis: 9000))
        try await store.recordAttempt(
            key,
            AttemptRecord(
                atMillis: 9000, statusCode: 410, error: "HTTP 410 Gone", durationMillis: 9, newState: .dead,
                nextAttemptAtMillis: nil))
        let dead = try await store.deliveries(state: .dead)
        try #require(dead.count == 1)
        #expect(dead[0].attempts == 2 && dead[0].lastStatus == 410)
        #expect(try await store.redeliver(eventIDs: ["no-such-event"], nowMillis: 10_000).unknown == ["no-such-event"])
        #expect(try await store.deliveries(state: .dead).count == 1)
        #expect(try await store.redeliver(eventIDs: nil, nowMillis: 10_000).requeued == 1)
        #expect(try await store.deliveries(state: .dead).isEmpty)
    }
}
