import Foundation
import GRDB
import JobwatchCore
import JobwatchStore
import JobwatchTestKit
import Testing

extension SharedServiceTests {
    /// The daemon applies `retention:` on start: months-old records go, in batches, and the log says so.
    @Suite(.serialized) struct RetentionEndToEndTests {
        @Test func theDaemonPrunesOldEventsAndJobsAndLogsIt() async throws {
            let cloud = try await CloudFixture()
            defer { Task { await cloud.shutdown() } }
            let sandbox = try Sandbox(config: cloud.config())
            // A database as a long-running service leaves it: 1,100 jobs registered 100 days ago whose tracking
            // expired then (1,100 events, none owed to a sink), and one that ended just now (2 more events).
            // Prepared in two statements, so the test process does not spend seconds of CPU on it.
            let day: Int64 = 86_400_000
            let now = Int64(Date().timeIntervalSince1970 * 1000)
            let old = now - 100 * day
            let store = try JobStore(path: sandbox.database)
            func registration(_ id: String, at time: Int64) -> Registration {
                Registration(
                    jobID: id, api: .ims, account: "default", region: "test-1", projectID: nil, labels: [:],
                    sinks: [], deadlineAtMillis: time + 1000)
            }
            _ = try await store.registerJobs(
                (0..<1100).map { registration("old-\($0)", at: old) }, sinks: [], nowMillis: old)
            let path = sandbox.database
            try await offCooperativePool {
                try DatabaseQueue(path: path).write { db in
                    try db.execute(
                        sql: "UPDATE job SET tracking = 'expired', next_poll_at = NULL, ended_at = ?",
                        arguments: [old + 1000])
                }
            }
            let recent = try await store.register(
                registration("recent", at: now - 2000), sinks: [], nowMillis: now - 2000)
            _ = try await store.applyPoll(rowID: recent.job.rowID, sinks: [], nowMillis: now - 1000) { current in
                PollEvaluation.expire(record: current.record, scheduling: current.scheduling, nowMillis: now - 1000)
            }

            let daemon = try DaemonProcess(sandbox: sandbox, environment: CloudFixture.environment)
            defer { Task { await daemon.stop() } }
            #expect(
                await eventually(timeout: .seconds(30)) { daemon.stderr.contains("pruned 1100 jobs") },
                "\(daemon.stderr)")
            // Events older than 30 days go first, except the newest 1,000 (of 1,102): 102. Then the jobs, 50 per
            // transaction, with the rest of their events.
            #expect(daemon.stderr.contains("retention: pruned 102 events older than 30d"), "\(daemon.stderr)")
            #expect(daemon.stderr.contains("ago, with their history and 998 events"), "\(daemon.stderr)")

            let list = try await sandbox.runAsync(["list", "--tracking", "all", "--json"])
            let jobs = try #require(try JSONSerialization.jsonObject(with: Data(list.stdout.utf8)) as? [[String: Any]])
            #expect(jobs.map { $0["job_id"] as? String } == ["recent"])
            let events = try await sandbox.runAsync(["events", "--json"]).stdout.split(separator: "\n")
            #expect(events.count == 2)
        }
    }
}
