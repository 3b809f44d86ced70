import Foundation
import GRDB
import JobwatchCore
import JobwatchTestKit
import Testing

/// A poll whose outcome the database refuses (here a trigger that aborts every write of one job's row, as
/// a full disk or a damaged page would) backs off like a failed request instead of being fetched again at
/// every tick, is logged once, and leaves the other jobs alone.
@Suite(.serialized) struct UnrecordablePollTests {
    @Test func aJobWhosePollCannotBeRecordedBacksOffAndIsLoggedOnce() async throws {
        let cloud = try await CloudFixture()
        defer { Task { await cloud.shutdown() } }
        let sandbox = try Sandbox(config: cloud.config())
        let refused = try cloud.add("imsImportImageJob", api: .ims, durationMillis: 120_000)
        // A busy neighbour: its polls every 200-600 ms keep the scheduler looking at the schedule.
        let healthy = try cloud.add("imsCreateImageByInstance", api: .ims, durationMillis: 120_000)
        for id in [refused, healthy] {
            #expect(try await sandbox.runAsync(["register", id, "--api", "ims"]).status == 0)
        }
        let queue = try DatabaseQueue(path: sandbox.database)
        try await queue.write { db in
            try db.execute(
                sql: """
                    CREATE TRIGGER refuse_poll BEFORE UPDATE ON job WHEN OLD.job_id = '\(refused)'
                    BEGIN SELECT RAISE(ABORT, 'database or disk is full (simulated)'); END
                    """)
        }

        let daemon = try DaemonProcess(sandbox: sandbox, environment: CloudFixture.environment)
        defer { Task { await daemon.stop() } }
        #expect(try await eventually(timeout: .seconds(20)) { cloud.simulator.pollCount(jobID: refused) >= 1 })
        try await Task.sleep(for: .seconds(8))
        // Fetched at every look at the schedule it would be 15 or more by now; backing off from 1 s
        // (doubling, full jitter) it is a handful — and still more than one: the backoff ends.
        let fetches = cloud.simulator.pollCount(jobID: refused)
        #expect(fetches >= 2 && fetches <= 8, "fetched \(fetches) times")
        #expect(cloud.simulator.pollCount(jobID: healthy) >= 5, "the neighbour was polled as usual")
        #expect(daemon.process.isRunning)
        let complaints = daemon.stderr.components(separatedBy: "\n").filter { $0.contains("cannot record a poll") }
        #expect(complaints.count == 1, "\(complaints)")
        await daemon.stop()
        #expect(daemon.process.terminationStatus == 0)
    }
}
