import Foundation
import JobwatchCore
import JobwatchTestKit
import Testing

/// `jobwatch daemon | head`: the reader of standard output goes away. The daemon logs it, keeps the events
/// pending for stdout, and delivers to its webhooks as usual.
@Suite(.serialized) struct ClosedStdoutTests {
    @Test func aClosedStandardOutputIsLoggedAndWebhooksGoOn() async throws {
        let cloud = try await CloudFixture()
        defer { Task { await cloud.shutdown() } }
        let sandbox = try Sandbox(config: cloud.config())
        let id = try cloud.add("imsCreateImageByInstance", api: .ims, durationMillis: 1500)
        #expect(try await sandbox.runAsync(["register", id, "--api", "ims"]).status == 0)

        let process = Process()
        process.executableURL = jobwatchBinary
        process.arguments = ["daemon", "--config", sandbox.config, "--db", sandbox.database]
        process.environment = sandbox.environment.merging(CloudFixture.environment) { $1 }
        let stderrPath = sandbox.directory.appendingPathComponent("daemon.log").path
        FileManager.default.createFile(atPath: stderrPath, contents: nil)
        process.standardError = FileHandle(forWritingAtPath: stderrPath)
        let out = Pipe()
        process.standardOutput = out
        try process.run()
        // Nobody will ever read: every write to stdout fails with EPIPE.
        try out.fileHandleForReading.close()
        defer {
            if process.isRunning {
                kill(process.processIdentifier, SIGKILL)
            }
        }

        // The webhook still gets the verdict.
        let delivered = try await eventually(timeout: .seconds(30)) {
            cloud.receiver.requests.contains { $0.bodyText.contains("jobwatch.job.succeeded") }
        }
        #expect(delivered)
        #expect(process.isRunning)
        let log = { (try? String(contentsOfFile: stderrPath, encoding: .utf8)) ?? "" }
        #expect(
            try await eventually(timeout: .seconds(10)) { log().contains("cannot print events on standard output") })
        // Logged once for the run of failures, not once per retry.
        try await Task.sleep(for: .seconds(3))
        let complaints = log().components(separatedBy: "\n").filter {
            $0.contains("cannot print events on standard output")
        }
        #expect(complaints.count == 1, "\(complaints)")
        // The stdout events stay pending, to be printed when stdout works again.
        let pending = try await sandbox.runAsync(["deliveries", "--state", "pending", "--json"])
        let rows = (try? JSONSerialization.jsonObject(with: Data(pending.stdout.utf8)) as? [[String: Any]]) ?? []
        #expect(rows.contains { $0["sink"] as? String == "stdout" }, "\(pending.stdout)")

        kill(process.processIdentifier, SIGTERM)
        await waitForExit(process)
        #expect(process.terminationStatus == 0, "\(log().suffix(1500))")
    }
}
