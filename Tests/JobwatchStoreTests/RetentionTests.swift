import Foundation
import JobwatchCore
import JobwatchStore
import JobwatchTestKit
import Testing

/// `retention:` in the store: small batches, only what has ended, and counts that read indexes.
@Suite struct RetentionTests {
    let sinks = [SinkSubscription(name: "ops", filter: .terminal)]

    func registration(_ id: String) -> Registration {
        Registration(
            jobID: id, api: .ims, account: "default", region: "cn-north-4", projectID: nil, labels: [:], sinks: nil,
            deadlineAtMillis: 1_000_000)
    }

    /// A job registered at `at` that succeeded 1 s later; returns its row and terminal event.
    func finishedJob(_ store: JobStore, _ id: String, at: Int64) async throws -> (row: Int64, event: StoredEvent) {
        let row = try await store.register(registration(id), sinks: sinks, nowMillis: at).job.rowID
        let snapshot = JobSnapshot(jobID: id, status: .success, providerStatus: "SUCCESS")
        let events =
            try await store.applyPoll(rowID: row, sinks: sinks, nowMillis: at + 1000) { current in
                var random = SystemRandomNumberGenerator()
                return PollEvaluation.evaluate(
                    record: current.record, scheduling: current.scheduling, result: .snapshot(snapshot, rawBody: "{}"),
                    nowMillis: at + 1000, settings: PollSettings(policy: PollPolicy(), notFoundAfter: 5),
                    random: &random)
            }?.events ?? []
        return (row, try #require(events.first))
    }

    func attempt(_ state: DeliveryState, at: Int64) -> AttemptRecord {
        AttemptRecord(
            atMillis: at, statusCode: state == .delivered ? 200 : 410, error: nil, durationMillis: 3, newState: state,
            nextAttemptAtMillis: nil)
    }

    @Test func eventsGoOnlyOnceTheirDeliveriesEndedInBatchesAndTheNewestStay() async throws {
        let store = try JobStore(path: temporaryDatabasePath("jobwatch-store"))
        let delivered = try await finishedJob(store, "delivered", at: 1000)
        let dead = try await finishedJob(store, "dead", at: 2000)
        let pending = try await finishedJob(store, "pending", at: 3000)
        try await store.recordAttempt(
            DeliveryKey(eventSequence: delivered.event.sequence, sink: "ops"), attempt(.delivered, at: 5000))
        try await store.recordAttempt(
            DeliveryKey(eventSequence: dead.event.sequence, sink: "ops"), attempt(.dead, at: 5000))
        // Six events: a registered and a succeeded per job; only the succeeded ones have deliveries.
        #expect(try await store.events(since: 0, limit: 100).count == 6)

        // The newest events stay whatever their age.
        #expect(try await store.pruneEvents(beforeMillis: 1_000_000, limit: 100, keepNewest: 6).isEmpty)
        // Nothing newer than the cutoff goes.
        #expect(try await store.pruneEvents(beforeMillis: 1000, limit: 100, keepNewest: 0).isEmpty)

        let first = try await store.pruneEvents(beforeMillis: 1_000_000, limit: 2, keepNewest: 0)
        #expect(first == PruneCount(events: 2, deliveries: 1, attempts: 1))
        let rest = try await store.pruneEvents(beforeMillis: 1_000_000, limit: 100, keepNewest: 0)
        #expect(rest == PruneCount(events: 3, deliveries: 1, attempts: 1))
        // What is left is the event still owed to a sink; its delivery is intact.
        #expect(try await store.events(since: 0, limit: 100).map(\.id) == [pending.event.id])
        #expect(try await store.deliveries(state: nil).map(\.state) == [.pending])
        // Cursors go on from where they were: sequences are never reused.
        let next = try await finishedJob(store, "next", at: 6000)
        #expect(next.event.sequence > pending.event.sequence)
    }

    @Test func jobsThatEndedLongAgoGoWithTheirHistoryUnlessADeliveryIsPending() async throws {
        let store = try JobStore(path: temporaryDatabasePath("jobwatch-store"))
        let old = try await finishedJob(store, "old", at: 1000)
        let owed = try await finishedJob(store, "owed", at: 1000)
        let recent = try await finishedJob(store, "recent", at: 50_000)
        let active = try await store.register(registration("active"), sinks: sinks, nowMillis: 1000).job.rowID
        let stopped = try await store.register(registration("stopped"), sinks: sinks, nowMillis: 1000).job.rowID
        _ = try await store.unregister(rowID: stopped, nowMillis: 2000)
        try await store.recordAttempt(
            DeliveryKey(eventSequence: old.event.sequence, sink: "ops"), attempt(.delivered, at: 3000))

        let pruned = try await store.pruneJobs(endedBeforeMillis: 10_000, limit: 50)
        #expect(pruned == PruneCount(events: 3, deliveries: 1, attempts: 1, jobs: 2))
        #expect(try await store.jobs(withJobID: "old", api: nil).isEmpty)
        #expect(try await store.jobs(withJobID: "stopped", api: nil).isEmpty)
        #expect(try await store.history(rowID: old.row).isEmpty)
        for row in [owed.row, recent.row, active] { #expect(try await store.job(rowID: row) != nil) }
        #expect(try await store.pruneJobs(endedBeforeMillis: 10_000, limit: 50).isEmpty)
    }

    @Test func theStatusCountsReadTheirIndexes() async throws {
        let store = try JobStore(path: temporaryDatabasePath("jobwatch-store"))
        let a = try await finishedJob(store, "a", at: 1000)
        _ = try await finishedJob(store, "b", at: 1000)
        _ = try await store.register(registration("c"), sinks: sinks, nowMillis: 1000)
        try await store.recordAttempt(
            DeliveryKey(eventSequence: a.event.sequence, sink: "ops"), attempt(.dead, at: 3000))
        // `INDEXED BY` in every count query: it would fail, not scan, if an index could not serve it.
        let counts = try await store.counts()
        #expect(counts.activeJobs == 1 && counts.pendingDeliveries == 1 && counts.deadDeliveries == 1)
        #expect(JobStore.countQueries.allSatisfy { $0.contains("INDEXED BY") })
    }
}
