import Foundation
import JobwatchCore
import JobwatchSimulator
import JobwatchTestKit
import Testing

/// `register --from-json`, `wait` on several jobs, `deliveries --sink/--since`, `redeliver --since`, stall
/// alerts: the real binary against the simulated cloud.
@Suite(.serialized) struct OperatorCommandTests {
    func json(_ text: String) -> Any? {
        try? JSONSerialization.jsonObject(with: Data(text.utf8))
    }

    func events(_ sandbox: Sandbox) async throws -> [[String: Any]] {
        try await sandbox.runAsync(["events", "--json"]).stdout.split(separator: "\n").compactMap {
            json(String($0)) as? [String: Any]
        }
    }

    @Test func registerFromJSONTakesWhatCreateCallsPrintAllOrNothing() async throws {
        let cloud = try await CloudFixture()
        defer { Task { await cloud.shutdown() } }
        let sandbox = try Sandbox(config: cloud.config())
        let ims = try cloud.add("imsCreateImageByInstance", api: .ims, durationMillis: 1500)
        let ws = try cloud.add("workspace-success", api: .workspace, durationMillis: 1500)

        // What an IMS create call (and hcloud) prints, from a file; the API comes from --api.
        let file = sandbox.directory.appendingPathComponent("create.json").path
        try #"{"job_id": "\#(ims)"}"#.write(toFile: file, atomically: true, encoding: .utf8)
        let fromFile = try await sandbox.runAsync(["register", "--from-json", file, "--api", "ims", "--json"])
        #expect(fromFile.status == 0, "\(fromFile.stderr)")
        let records = try #require(json(fromFile.stdout) as? [[String: Any]])
        #expect(records.count == 1 && records.first?["job_id"] as? String == ims)
        #expect(records.first?["api"] as? String == "ims")

        // A Workspace answer on standard input: the API and the project id come from the JSON.
        let workspaceAnswer = """
            {"id": "\(ws)", "job_type": "CREATE_SERVER_IMAGE", "status": "WAITING",
             "sub_jobs": [{"id": "1", "project_id": "\(CloudFixture.projectID)", "job_id": "\(ws)",
                           "status": "WAITING"}]}
            """
        let fromStdin = try await runWithInput(
            sandbox, ["register", "--from-json", "-", "--label", "batch=7", "--json"], input: workspaceAnswer)
        #expect(fromStdin.status == 0, "\(fromStdin.stderr)")
        let workspace = try #require((json(fromStdin.stdout) as? [[String: Any]])?.first)
        #expect(workspace["api"] as? String == "workspace" && workspace["job_id"] as? String == ws)
        #expect(workspace["project_id"] as? String == CloudFixture.projectID)
        #expect((workspace["labels"] as? [String: String])?["batch"] == "7")

        // Nothing is written when any part is wrong.
        let before = try await sandbox.databaseContentAsync()
        let bad: [(String, [String], Int32, String)] = [
            (#"{"image_id": "x"}"#, ["--api", "ims"], 65, "expected {\"job_id\""),
            (#"[{"job_id": "good1"}, {"job_id": "bad/id"}]"#, ["--api", "ims"], 65, "contains '/'"),
            ("not json at all", ["--api", "ims"], 65, "is not JSON"),
            (#"[{"job_id": "fresh1"}]"#, [], 64, "add --api"),
            (workspaceAnswer, ["--api", "ims"], 65, "as a workspace job but --api ims"),
        ]
        for (input, extra, status, message) in bad {
            let result = try await runWithInput(sandbox, ["register", "--from-json", "-"] + extra, input: input)
            #expect(result.status == status, "\(input): \(result.stderr)")
            #expect(result.stderr.contains(message), "\(input): \(result.stderr)")
            #expect(result.stderr.split(separator: "\n").count == 1, "\(result.stderr)")
        }
        let missing = try await sandbox.runAsync(["register", "--from-json", "/nonexistent/create.json"])
        #expect(missing.status == 65 && missing.stderr.contains("cannot read /nonexistent/create.json"))
        #expect(try await sandbox.databaseContentAsync() == before)

        // An array of several: all registered in one go (the one already registered stays unchanged).
        let second = try cloud.add("imsCopyImageInRegionJob", api: .ims, durationMillis: 1500)
        let array = try await runWithInput(
            sandbox, ["register", "--from-json", "-", "--api", "ims"],
            input: #"[{"job_id": "\#(ims)"}, {"job_id": "\#(second)"}]"#)
        #expect(array.status == 0, "\(array.stderr)")
        #expect(array.stdout.contains("registered 1 of 2 jobs (1 already registered, unchanged)"))
        let registered = try await events(sandbox).filter { $0["type"] as? String == "jobwatch.job.registered" }
        #expect(registered.count == 3)

        // And the daemon tracks them all to their verdicts.
        let daemon = try DaemonProcess(sandbox: sandbox, environment: CloudFixture.environment)
        let wait = try await sandbox.runAsync(["wait", ims, ws, second, "--timeout", "30s"])
        #expect(wait.status == 0, "\(wait.stderr)")
        await daemon.stop()
    }

    @Test func waitOnSeveralJobsExitsWithTheWorstVerdict() async throws {
        let cloud = try await CloudFixture()
        defer { Task { await cloud.shutdown() } }
        let sandbox = try Sandbox(config: cloud.config())
        let good = try cloud.add("imsNativeImportImageJob", api: .ims, durationMillis: 1200)
        let failing = try cloud.add("ims-fail", api: .ims, durationMillis: 1500)
        // The job FAILED while its sub-job went ROLLBACK → ABNORMAL.
        let abnormal = try cloud.add("workspace-abnormal", api: .workspace, durationMillis: 1800)
        for (id, api) in [(good, "ims"), (failing, "ims"), (abnormal, "workspace")] {
            #expect(try await sandbox.runAsync(["register", id, "--api", api, "--label", "run=42"]).status == 0)
        }
        let daemon = try DaemonProcess(sandbox: sandbox, environment: CloudFixture.environment)
        // By label: all three; two failed, so exit 1, with one line naming them.
        let all = try await sandbox.runAsync(["wait", "--label", "run=42", "--timeout", "30s"])
        #expect(all.status == 1, "\(all.stderr)")
        #expect(all.stderr.contains("2 of 3 jobs did not succeed") && all.stderr.contains("ended FAIL"))
        #expect(all.stderr.split(separator: "\n").count == 1)
        for id in [good, failing, abnormal] { #expect(all.stdout.contains(id)) }
        // By id: SUCCESS and FAIL is 1; SUCCESS alone is 0.
        #expect(try await sandbox.runAsync(["wait", good, failing]).status == 1)
        #expect(try await sandbox.runAsync(["wait", good, "--label", "run=42", "--api", "ims"]).status == 1)
        #expect(try await sandbox.runAsync(["wait", good]).status == 0)
        // Several still running at the timeout: 124 naming how many.
        let slow1 = try cloud.add("imsCreateWholeImageByInstanceJob", api: .ims, durationMillis: 60_000)
        let slow2 = try cloud.add("imsCreateWholeImageByInstanceJob", api: .ims, durationMillis: 60_000)
        for id in [slow1, slow2] { #expect(try await sandbox.runAsync(["register", id, "--api", "ims"]).status == 0) }
        let timedOut = try await sandbox.runAsync(["wait", slow1, slow2, good, "--timeout", "1s"])
        #expect(timedOut.status == 124 && timedOut.stderr.contains("2 of 3 jobs still running"), "\(timedOut.stderr)")
        // Unregistered: no verdict, 3, which beats FAIL.
        #expect(try await sandbox.runAsync(["unregister", slow1]).status == 0)
        #expect(try await sandbox.runAsync(["wait", slow1, failing]).status == 3)
        #expect(try await sandbox.runAsync(["wait", "--label", "run=nothing"]).status == 4)
        #expect(try await sandbox.runAsync(["wait"]).status == 64)
        await daemon.stop()
    }

    @Test func waitDrawsOneProgressBarPerJobOnATerminal() async throws {
        let cloud = try await CloudFixture()
        defer { Task { await cloud.shutdown() } }
        let sandbox = try Sandbox(config: cloud.config())
        let first = try cloud.add("imsImportImageJob", api: .ims, durationMillis: 2500, initMillis: 300)
        let second = try cloud.add("imsCopyImageInRegionJob", api: .ims, durationMillis: 3500, initMillis: 300)
        for id in [first, second] { #expect(try await sandbox.runAsync(["register", id, "--api", "ims"]).status == 0) }
        let daemon = try DaemonProcess(sandbox: sandbox, environment: CloudFixture.environment)
        let screen = try await runUnderPTY(
            sandbox, ["wait", first, second, "--timeout", "30s"], columns: 100)
        #expect(screen.status == 0, "\(screen.output)")
        // Redrawn in place: the cursor goes back up over the two rows, each row is cleared and redrawn.
        #expect(screen.output.contains("\u{1B}[2F"), "cursor up two lines")
        #expect(screen.output.contains("\r\u{1B}[2K"))
        // The final frame has one bar row per job, both full, then one verdict line each.
        // (The terminal turns each "\n" into "\r\n".)
        let frames = screen.output.replacingOccurrences(of: "\r\n", with: "\n").components(separatedBy: "\u{1B}[2F")
        let last = try #require(frames.last)
        let rows = last.components(separatedBy: "\n").map { $0.replacingOccurrences(of: "\r\u{1B}[2K", with: "") }
            .filter { $0.contains("█") || $0.contains("░") }
        #expect(rows.count == 2, "\(rows)")
        #expect(rows.first?.hasPrefix(first) == true && rows.last?.hasPrefix(second) == true, "\(rows)")
        #expect(rows.allSatisfy { $0.contains(String(repeating: "█", count: 24)) && $0.contains("SUCCESS") })
        #expect(rows.allSatisfy { $0.count < 100 }, "rows fit the terminal width")
        // Intermediate frames showed progress below 100 %.
        #expect(frames.dropLast().contains { $0.contains("░") && $0.contains("RUNNING") }, "\(screen.output)")
        #expect(last.contains("\(first): SUCCESS after waiting") && last.contains("\(second): SUCCESS after waiting"))
        await daemon.stop()
    }

    @Test func deliveriesFilterBySinkAndAgeAndRedeliverSinceRequeuesWhatFailed() async throws {
        let cloud = try await CloudFixture()
        defer { Task { await cloud.shutdown() } }
        cloud.receiver.respond { _ in .text(500, "down") }
        let config = cloud.config().replacingOccurrences(of: "max_attempts: 50", with: "max_attempts: 2")
        let sandbox = try Sandbox(config: config)
        let ids = try (0..<2).map { _ in try cloud.add("imsNativeExportImageJob", api: .ims, durationMillis: 800) }
        for id in ids { #expect(try await sandbox.runAsync(["register", id, "--api", "ims"]).status == 0) }
        let daemon = try DaemonProcess(sandbox: sandbox, environment: CloudFixture.environment)
        func deliveries(_ arguments: [String]) async throws -> [[String: Any]] {
            let result = try await sandbox.runAsync(["deliveries", "--json"] + arguments)
            #expect(result.status == 0, "\(result.stderr)")
            return json(result.stdout) as? [[String: Any]] ?? []
        }
        #expect(
            try await eventually {
                try await deliveries(["--sink", "ops", "--state", "dead"]).count == 2
            })
        let ops = try await deliveries(["--sink", "ops"])
        #expect(ops.count == 2 && ops.allSatisfy { $0["sink"] as? String == "ops" })
        let stdout = try await deliveries(["--sink", "stdout"])
        #expect(!stdout.isEmpty && stdout.allSatisfy { $0["sink"] as? String == "stdout" })
        #expect(try await deliveries(["--since", "1h"]).count == ops.count + stdout.count)
        try await Task.sleep(for: .milliseconds(1200))
        #expect(try await deliveries(["--since", "1s"]).isEmpty, "nothing younger than a second")
        let none = try await sandbox.runAsync(["deliveries", "--since", "1s", "--sink", "ops"])
        #expect(none.stdout.contains("no deliveries to ops of events from the last 1s"))
        #expect(try await sandbox.runAsync(["deliveries", "--since", "soon"]).status == 64)

        // The receiver is back: re-queue what failed in the last hour for ops; it is delivered.
        cloud.receiver.respond { _ in .text(200, "ok") }
        let before = cloud.receiver.requests.count
        #expect(
            try await sandbox.runAsync(["redeliver", "--since", "1s", "--sink", "ops"]).stdout.contains("re-queued 0"))
        let requeued = try await sandbox.runAsync(["redeliver", "--since", "1h", "--sink", "ops"])
        #expect(requeued.status == 0 && requeued.stdout.contains("re-queued 2 failed deliveries"), "\(requeued.stderr)")
        #expect(
            try await eventually {
                try await deliveries(["--sink", "ops", "--state", "delivered"]).count == 2
            })
        #expect(cloud.receiver.requests.count == before + 2)
        let usage = try await sandbox.runAsync(["redeliver", "--since", "1h", "--dead"])
        #expect(usage.status == 64 && usage.stderr.contains("give exactly one of"))
        #expect(try await sandbox.runAsync(["redeliver", "--since", "1h", "--sink", "pager"]).status == 64)
        await daemon.stop()
    }

    @Test func aJobThatStopsChangingIsAnnouncedAsStalledOnce() async throws {
        let cloud = try await CloudFixture()
        defer { Task { await cloud.shutdown() } }
        let sandbox = try Sandbox(config: cloud.config(extraPolling: "  stall_after: 1500ms"))
        // Sits in INIT, answering the same thing, until the test finishes it.
        let quiet = try cloud.add("imsImportImageJob", api: .ims, durationMillis: 120_000, initMillis: 110_000)
        let busy = try cloud.add("imsCopyImageInRegionJob", api: .ims, durationMillis: 30_000, initMillis: 0)
        for id in [quiet, busy] { #expect(try await sandbox.runAsync(["register", id, "--api", "ims"]).status == 0) }
        let daemon = try DaemonProcess(sandbox: sandbox, environment: CloudFixture.environment)
        func stalls() -> [[String: Any]] {
            daemon.events.filter { $0["type"] as? String == "jobwatch.job.stalled" }
        }
        #expect(try await eventually { !stalls().isEmpty }, "\(daemon.stderr)")
        let stall = try #require(stalls().first)
        #expect(stall["subject"] as? String == quiet)
        let data = try #require(stall["data"] as? [String: Any])
        #expect((data["job"] as? [String: Any])?["status"] as? String == "INIT")
        #expect(data["previous_status"] as? String == "INIT")
        // list and show mark it; the job is still tracked.
        let list = try await sandbox.runAsync(["list"])
        let quietRow = try #require(list.stdout.split(separator: "\n").first { $0.contains(quiet) })
        #expect(quietRow.contains("active (stalled)"), "\(list.stdout)")
        #expect(list.stdout.split(separator: "\n").first { $0.contains(busy) }?.contains("stalled") == false)
        let show = try await sandbox.runAsync(["show", quiet])
        #expect(show.stdout.contains("stalled: no change for"), "\(show.stdout)")
        // Once per stall: more quiet polls announce nothing more.
        let polls = cloud.simulator.pollCount(jobID: quiet)
        #expect(try await eventually { cloud.simulator.pollCount(jobID: quiet) >= polls + 4 })
        #expect(stalls().count == 1)
        // A change ends the stall: the mark goes, and the job's verdict comes as usual.
        _ = cloud.simulator.finish(jobID: quiet, status: "SUCCESS")
        #expect(
            try await eventually { try await sandbox.runAsync(["show", quiet, "--json"]).stdout.contains("\"done\"") })
        #expect(try await sandbox.runAsync(["list", "--tracking", "all"]).stdout.contains("stalled") == false)
        #expect(stalls().count == 1)
        await daemon.stop()
    }

    // MARK: - Helpers

    /// Runs the CLI with `input` on its standard input.
    func runWithInput(_ sandbox: Sandbox, _ arguments: [String], input: String) async throws -> ProcessResult {
        try await withCheckedThrowingContinuation { continuation in
            DispatchQueue.global().async {
                continuation.resume(
                    with: Result {
                        let process = Process()
                        process.executableURL = jobwatchBinary
                        process.arguments = arguments + ["--config", sandbox.config, "--db", sandbox.database]
                        process.environment = sandbox.environment
                        let stdin = Pipe(), out = Pipe(), err = Pipe()
                        process.standardInput = stdin
                        process.standardOutput = out
                        process.standardError = err
                        try process.run()
                        stdin.fileHandleForWriting.write(Data(input.utf8))
                        try stdin.fileHandleForWriting.close()
                        let stdout = out.fileHandleForReading.readDataToEndOfFile()
                        let stderr = err.fileHandleForReading.readDataToEndOfFile()
                        process.waitUntilExit()
                        return ProcessResult(
                            status: process.terminationStatus, stdout: String(decoding: stdout, as: UTF8.self),
                            stderr: String(decoding: stderr, as: UTF8.self))
                    })
            }
        }
    }

    /// Runs the CLI on a pseudo-terminal of `columns` columns (Python's `pty` module does the plumbing) and
    /// returns everything it drew.
    func runUnderPTY(
        _ sandbox: Sandbox, _ arguments: [String], columns: Int
    ) async throws -> (
        status: Int32, output: String
    ) {
        let script = """
            import fcntl, os, pty, struct, sys, termios
            argv = sys.argv[1:]
            pid, fd = pty.fork()
            if pid == 0:
                fcntl.ioctl(sys.stdout.fileno(), termios.TIOCSWINSZ, struct.pack("HHHH", 24, \(columns), 0, 0))
                os.execv(argv[0], argv)
            out = b""
            while True:
                try:
                    chunk = os.read(fd, 65536)
                except OSError:
                    break
                if not chunk:
                    break
                out += chunk
            _, status = os.waitpid(pid, 0)
            sys.stdout.buffer.write(out)
            sys.exit(os.waitstatus_to_exitcode(status))
            """
        let result = try await spawnAsync(
            "/usr/bin/env",
            ["python3", "-c", script, jobwatchBinary.path] + arguments + [
                "--config", sandbox.config, "--db", sandbox.database,
            ],
            environment: sandbox.environment.merging(["PATH": ProcessInfo.processInfo.environment["PATH"] ?? ""]) {
                $1
            })
        return (result.status, result.stdout)
    }
}

/// Runs any program to completion on a Dispatch thread.
func spawnAsync(
    _ executable: String, _ arguments: [String], environment: [String: String]
) async throws
    -> ProcessResult
{
    try await withCheckedThrowingContinuation { continuation in
        DispatchQueue.global().async {
            continuation.resume(
                with: Result {
                    let process = Process()
                    process.executableURL = URL(fileURLWithPath: executable)
                    process.arguments = arguments
                    process.environment = environment
                    let out = Pipe(), err = Pipe()
                    process.standardOutput = out
                    process.standardError = err
                    try process.run()
                    let stdout = out.fileHandleForReading.readDataToEndOfFile()
                    let stderr = err.fileHandleForReading.readDataToEndOfFile()
                    process.waitUntilExit()
                    return ProcessResult(
                        status: process.terminationStatus, stdout: String(decoding: stdout, as: UTF8.self),
                        stderr: String(decoding: stderr, as: UTF8.self))
                })
        }
    }
}
