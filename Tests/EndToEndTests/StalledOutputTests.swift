import Foundation
import JobwatchCore
import JobwatchTestKit
import Testing

/// A reader of the daemon's standard output and standard error that stops reading (a frozen terminal, a
/// stuck log shipper, `jobwatch daemon | less` left alone): both pipes fill up. The schedulers must go on
/// polling and delivering to webhooks, SIGTERM must still end the daemon promptly, and once the reader
/// reads again the events and log lines come out whole.
@Suite(.serialized) struct StalledOutputTests {
    /// The smallest pipe Linux allows (one page), so a few lines fill it.
    private static func shrink(_ pipe: Pipe) {
        _ = fcntl(pipe.fileHandleForWriting.fileDescriptor, 1031 /* F_SETPIPE_SZ */, 4096)
    }

    /// `jobwatch daemon` with its stdout and stderr on one-page pipes that the caller holds but does not read.
    private static func daemonWithUnreadPipes(_ sandbox: Sandbox) throws -> (Process, out: Pipe, err: Pipe) {
        let process = Process()
        process.executableURL = jobwatchBinary
        process.arguments = ["daemon", "--config", sandbox.config, "--db", sandbox.database]
        process.environment = sandbox.environment.merging(CloudFixture.environment) { $1 }
        let out = Pipe()
        let err = Pipe()
        shrink(out)
        shrink(err)
        process.standardOutput = out
        process.standardError = err
        try process.run()
        return (process, out, err)
    }

    /// Waits for the process to end, at most `limit`; then kills it (a wedged daemon must not hang the suite).
    private static func exits(_ process: Process, within limit: Duration) async -> Bool {
        let deadline = ContinuousClock.now + limit
        while process.isRunning && ContinuousClock.now < deadline { try? await Task.sleep(for: .milliseconds(20)) }
        guard process.isRunning else { return true }
        kill(process.processIdentifier, SIGKILL)
        await waitForExit(process)
        return false
    }

    @Test func aReaderThatStopsReadingStallsNeitherPollingNorWebhooksNorShutdown() async throws {
        let cloud = try await CloudFixture()
        defer { Task { await cloud.shutdown() } }
        // Debug logging: a line per event and per delivery, so standard error fills at once.
        let config = cloud.config().replacingOccurrences(of: "log_level: info", with: "log_level: debug")
        let sandbox = try Sandbox(config: config)
        let first = try (0..<20).map { _ in try cloud.add("imsCreateImageByInstance", api: .ims, durationMillis: 1500) }
        let listFile = sandbox.directory.appendingPathComponent("first.json")
        try Data(#"{"job_ids": [\#(first.map { "\"\($0)\"" }.joined(separator: ", "))]}"#.utf8).write(to: listFile)
        #expect(try await sandbox.runAsync(["register", "--from-json", listFile.path, "--api", "ims"]).status == 0)

        // Both pipes stay open and nobody reads them, for now.
        let (process, out, err) = try Self.daemonWithUnreadPipes(sandbox)
        defer {
            if process.isRunning { kill(process.processIdentifier, SIGKILL) }
        }

        let succeeded = { (ids: [String]) in
            let bodies = cloud.receiver.requests.map(\.bodyText).filter { $0.contains("jobwatch.job.succeeded") }
            return ids.allSatisfy { id in bodies.contains { $0.contains(id) } }
        }
        // Each verdict reaches the webhook although both pipes are full (20 jobs: > 4 KiB of events and logs).
        #expect(try await eventually(timeout: .seconds(40)) { succeeded(first) })
        // A job registered now, while the pipes are still full, is picked up and polled to its end too.
        let late = try cloud.add("imsCreateImageByInstance", api: .ims, durationMillis: 1000)
        #expect(try await sandbox.runAsync(["register", late, "--api", "ims"]).status == 0)
        #expect(try await eventually(timeout: .seconds(30)) { succeeded([late]) }, "the late job's verdict")
        #expect(process.isRunning)

        // The reader comes back: every event comes out as a whole line, the lost log lines are counted.
        let stdout = LineCollector()
        let stderr = LineCollector()
        stdout.follow(out)
        stderr.follow(err)
        let printed = {
            stdout.lines.filter { $0.contains("jobwatch.job.succeeded") }
        }
        #expect(
            try await eventually(timeout: .seconds(20)) { printed().count >= first.count + 1 },
            "stdout prints the verdicts once it is read again: \(printed().count)")
        for line in stdout.lines {
            #expect(
                (try? JSONSerialization.jsonObject(with: Data(line.utf8))) != nil, "a torn line: \(line.prefix(200))")
        }
        // The log comes out too, whole lines in order (what did not fit in the backlog is counted, see
        // QueuedLinesTests), including the late job's verdict.
        #expect(
            try await eventually(timeout: .seconds(10)) {
                stderr.lines.contains { $0.contains("job is SUCCESS") && $0.contains(late) }
            }, "\(stderr.lines.suffix(5))")
        #expect(stderr.lines.allSatisfy { $0.hasPrefix("20") || $0.hasPrefix("jobwatch: ") }, "a torn log line")

        kill(process.processIdentifier, SIGTERM)
        #expect(await Self.exits(process, within: .seconds(10)), "SIGTERM did not end the daemon within 10 s")
        #expect(process.terminationStatus == 0, "\(stderr.lines.suffix(10))")
    }

    /// Still stalled at SIGTERM: the daemon does not wait for the reader either.
    @Test func sigtermEndsADaemonWhoseReaderNeverReads() async throws {
        let cloud = try await CloudFixture()
        defer { Task { await cloud.shutdown() } }
        let config = cloud.config().replacingOccurrences(of: "log_level: info", with: "log_level: debug")
        let sandbox = try Sandbox(config: config)
        for _ in 0..<10 {
            let id = try cloud.add("imsCreateImageByInstance", api: .ims, durationMillis: 1000)
            #expect(try await sandbox.runAsync(["register", id, "--api", "ims"]).status == 0)
        }
        let (process, out, err) = try Self.daemonWithUnreadPipes(sandbox)
        defer {
            if process.isRunning { kill(process.processIdentifier, SIGKILL) }
        }
        #expect(
            try await eventually(timeout: .seconds(40)) {
                cloud.receiver.requests.filter { $0.bodyText.contains("jobwatch.job.succeeded") }.count >= 10
            })
        kill(process.processIdentifier, SIGTERM)
        #expect(await Self.exits(process, within: .seconds(10)), "SIGTERM did not end the daemon within 10 s")
        #expect(process.terminationStatus == 0)
        withExtendedLifetime((out, err)) {}
    }
}
