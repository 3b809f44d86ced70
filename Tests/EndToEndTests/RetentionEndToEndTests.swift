import Foundation
import JobwatchCore
import JobwatchStore
import Testing

extension SharedServiceTests {
    /// The daemon applies `retention:` on start: months-old records go, in batches, and the log says so.
    @Suite(.serialized) struct RetentionEndToEndTests {
        @Test func theDaemonPrunesOldEventsAndJobsAndLogsIt() async throws {
            let cloud = try await CloudFixture()
            defer { Task { await cloud.shutdown() } }
            let sandbox = try Sandbox(config: cloud.config())
            // A database as a long-running service leaves it: 1,200 jobs whose tracking expired 100 days ago
            // (2,400 events, none owed to a sink), and one that ended just now.
            let day: Int64 = 86_400_000
            let now = Int64(Date().timeIntervalSince1970 * 1000)
            // (GRDB's async API: the writes never block a cooperative thread.)
            let store = try JobStore(path: sandbox.database)
            func track(_ id: String, at time: Int64) async throws {
                let registration = Registration(
                    jobID: id, api: .ims, account: "default", region: "test-1", projectID: nil, labels: [:],
                    sinks: [], deadlineAtMillis: time + 1000)
                let row = try await store.register(registration, sinks: [], nowMillis: time).job.rowID
                _ = try await store.applyPoll(rowID: row, sinks: [], nowMillis: time + 1000) { current in
                    PollEvaluation.expire(
                        record: current.record, scheduling: current.scheduling, nowMillis: time + 1000)
                }
            }
            for index in 0..<1200 { try await track("old-\(index)", at: now - 100 * day + Int64(index)) }
            try await track("recent", at: now - 1000)

            let daemon = try DaemonProcess(sandbox: sandbox, environment: CloudFixture.environment)
            defer { Task { await daemon.stop() } }
            #expect(
                await eventually(timeout: .seconds(30)) { daemon.stderr.contains("pruned 1200 jobs") },
                "\(daemon.stderr)")
            // Events older than 30 days go first, except the newest 1,000 (of 2,402); then the jobs, with the rest of theirs.
            #expect(daemon.stderr.contains("retention: pruned 1402 events older than 30d"), "\(daemon.stderr)")
            #expect(daemon.stderr.contains("ago, with their history and 998 events"), "\(daemon.stderr)")

            let list = try await sandbox.runAsync(["list", "--tracking", "all", "--json"])
            let jobs = try #require(try JSONSerialization.jsonObject(with: Data(list.stdout.utf8)) as? [[String: Any]])
            #expect(jobs.map { $0["job_id"] as? String } == ["recent"])
            let events = try await sandbox.runAsync(["events", "--json"]).stdout.split(separator: "\n")
            #expect(events.count == 2)
        }
    }
}
