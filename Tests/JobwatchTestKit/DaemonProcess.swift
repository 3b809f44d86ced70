import Foundation
import Synchronization

/// A running `jobwatch daemon`: its stdout lines (events) collected as they come, stderr kept in a file.
package final class DaemonProcess: Sendable {
    package let process: Process
    private let collector = LineCollector()
    package let stderrPath: String

    /// `wrapper` runs the daemon through another program (e.g. `sh -c 'umask 0007 && exec "$0" "$@"'`).
    package convenience init(sandbox: Sandbox, environment extra: [String: String] = [:], wrapper: [String] = []) throws
    {
        try self.init(
            arguments: ["daemon", "--config", sandbox.config, "--db", sandbox.database], directory: sandbox.directory,
            environment: sandbox.environment.merging(extra) { $1 }, wrapper: wrapper)
    }

    /// `jobwatch ARGUMENTS` (through `wrapper` when given), its stderr in a file in `directory`.
    package init(arguments: [String], directory: URL, environment: [String: String], wrapper: [String] = []) throws {
        let process = Process()
        if let program = wrapper.first {
            process.executableURL = URL(fileURLWithPath: program)
            process.arguments = Array(wrapper.dropFirst()) + [jobwatchBinary.path] + arguments
        } else {
            process.executableURL = jobwatchBinary
            process.arguments = arguments
        }
        process.environment = environment
        stderrPath = directory.appendingPathComponent("daemon-\(UUID().uuidString.prefix(8)).log").path
        FileManager.default.createFile(atPath: stderrPath, contents: nil)
        process.standardError = FileHandle(forWritingAtPath: stderrPath)
        let out = Pipe()
        process.standardOutput = out
        self.process = process
        collector.follow(out)
        try process.run()
    }

    /// Every line the daemon printed on stdout so far.
    package var stdoutLines: [String] { collector.lines }

    /// The events printed on stdout, decoded.
    package var events: [[String: Any]] {
        stdoutLines.compactMap { try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any] }
    }

    package var stderr: String { (try? String(contentsOfFile: stderrPath, encoding: .utf8)) ?? "" }

    package func signal(_ signal: Int32) {
        kill(process.processIdentifier, signal)
    }

    /// Waits for the process to exit; nil when it is still running after `timeout`.
    package func waitForExit(timeout: Duration) async -> Int32? {
        let deadline = ContinuousClock.now + timeout
        while process.isRunning {
            if ContinuousClock.now > deadline { return nil }
            try? await Task.sleep(for: .milliseconds(20))
        }
        return process.terminationStatus
    }

    package func stop() async {
        guard process.isRunning else { return }
        signal(SIGTERM)
        if await waitForExit(timeout: .seconds(12)) == nil {
            // SIGKILL always ends it: wait until it is reaped, however busy the machine, so that a test reads
            // its (failing) termination status instead of trapping on a process still running.
            signal(SIGKILL)
            while process.isRunning { try? await Task.sleep(for: .milliseconds(20)) }
        }
    }
}
