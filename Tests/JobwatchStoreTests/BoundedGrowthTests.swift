import Foundation
import GRDB
import JobwatchCore
import JobwatchStore
import JobwatchTestKit
import Testing

/// What one poll may cost, and what reading back an odd row does.
@Suite struct BoundedGrowthTests {
    let sinks = [SinkSubscription(name: "ops", filter: .all)]

    @Test func aPollWithAThousandSubJobChangesWritesEventsOfBoundedSize() async throws {
        let store = try JobStore(path: temporaryDatabasePath("jobwatch-store"))
        let registration = Registration(
            jobID: "big", api: .ims, account: "default", region: "r", projectID: nil, labels: [:], sinks: nil,
            deadlineAtMillis: 10_000_000)
        let rowID = try await store.register(registration, sinks: sinks, nowMillis: 1000).job.rowID
        let subs = (0..<1000).map {
            SubJobSnapshot(jobID: "sub-\($0)", status: .success, providerStatus: "SUCCESS", imageID: "image-\($0)")
        }
        let entities = JSONValue.object(["sub_jobs_list": .array(subs.map { .string($0.jobID) })])
        let snapshot = JobSnapshot(
            jobID: "big", status: .running, providerStatus: "RUNNING", entities: entities, subJobs: subs)
        let written = try #require(
            try await store.applyPoll(rowID: rowID, sinks: sinks, nowMillis: 2000) { current in
                var random = SeededRandom(seed: 1)
                return PollEvaluation.evaluate(
                    record: current.record, scheduling: current.scheduling,
                    result: .snapshot(snapshot, rawBody: "{}"), nowMillis: 2000,
                    settings: PollSettings(policy: PollPolicy(), notFoundAfter: 5), random: &random)
            })
        let subEvents = written.events.filter { $0.type == .subJobStatusChanged }
        #expect(subEvents.count == 1000)
        // Each sub-job event carries its sub-job, and the job without the list of all the others.
        let largest = subEvents.map(\.body.utf8.count).max() ?? 0
        #expect(largest < 2000, "a sub-job event is \(largest) bytes")
        let total = written.events.map(\.body.utf8.count).reduce(0, +)
        #expect(total < 3_000_000, "one poll wrote \(total) bytes of events")
        let first = try #require(
            try JSONSerialization.jsonObject(with: Data(subEvents[0].body.utf8)) as? [String: Any])
        let data = try #require(first["data"] as? [String: Any])
        #expect((data["sub_job"] as? [String: Any])?["job_id"] as? String == "sub-0")
        #expect(((data["job"] as? [String: Any])?["sub_jobs"] as? [Any])?.isEmpty == true)
    }

    @Test func aRowHoldingExtremeOrMistypedValuesReadsBackWithoutATrap() async throws {
        let path = temporaryDatabasePath("jobwatch-store")
        let store = try JobStore(path: path)
        let registration = Registration(
            jobID: "odd", api: .ims, account: "default", region: "r", projectID: nil, labels: ["k": "v"], sinks: nil,
            deadlineAtMillis: 10_000_000)
        let rowID = try await store.register(registration, sinks: sinks, nowMillis: 1000).job.rowID
        let other = try DatabaseQueue(path: path)
        try await other.write { db in
            try db.execute(
                sql: """
                    UPDATE job SET progress = 1e308, polls = 'many', next_poll_at = -1e300, registered_at = 9.9e18,
                        last_polled_at = 'yesterday', failures = 1e300, labels = '{"k": 1}', status = 'WEIRD'
                    WHERE id = ?
                    """, arguments: [rowID])
            try db.execute(sql: "UPDATE event SET created_at = 'x' WHERE job_row = ?", arguments: [rowID])
        }
        let job = try #require(try await store.job(rowID: rowID))
        #expect(job.record.progress == nil)
        #expect(job.record.polls == 0)
        #expect(job.record.status == .unknown)
        #expect(job.scheduling.failures == 1_000_000_000)
        #expect(try await store.list(tracking: .all, api: nil, labels: [:]).count == 1)
        #expect(try await store.events(since: 0, limit: 10).count == 1)
        #expect((try? JSONStyle.string(job.record)) != nil)
        // The mistyped row is still due and can be polled (and written) again.
        #expect(try await store.dueJobs(nowMillis: 5000, limit: 10, excluding: []).map(\.rowID) == [rowID])
    }
}
