import Foundation

/// The built `jobwatch` binary, beside the test bundle.
let jobwatchBinary: URL = {
    var directory = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
    while !FileManager.default.fileExists(atPath: directory.appendingPathComponent("jobwatch").path),
        directory.path != "/"
    {
        directory = directory.deletingLastPathComponent()
    }
    return directory.appendingPathComponent("jobwatch")
}()

struct ProcessResult {
    var status: Int32
    var stdout: String
    var stderr: String
}

/// Runs `jobwatch` to completion and collects its output.
func spawnJobwatch(_ arguments: [String], environment: [String: String]) throws -> ProcessResult {
    let process = Process()
    process.executableURL = jobwatchBinary
    process.arguments = arguments
    process.environment = environment
    let out = Pipe(), err = Pipe()
    process.standardOutput = out
    process.standardError = err
    try process.run()
    // Both pipes at once (a child filling one while we block on the other would deadlock) and with
    // read(2) retried on EINTR: `readDataToEndOfFile` traps when a signal interrupts it.
    let group = DispatchGroup()
    group.enter()
    let errFD = err.fileHandleForReading.fileDescriptor
    let box = DataBox()
    DispatchQueue.global().async {
        box.data = readAll(errFD)
        group.leave()
    }
    let stdout = readAll(out.fileHandleForReading.fileDescriptor)
    group.wait()
    let stderr = box.data
    process.waitUntilExit()
    return ProcessResult(
        status: process.terminationStatus, stdout: String(decoding: stdout, as: UTF8.self),
        stderr: String(decoding: stderr, as: UTF8.self))
}

/// Everything until end of file, retrying reads that a signal interrupted.
func readAll(_ fd: Int32) -> Data {
    var data = Data()
    var buffer = [UInt8](repeating: 0, count: 65_536)
    while true {
        let count = buffer.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
        if count > 0 {
            data.append(contentsOf: buffer[0..<count])
        } else if count < 0 && errno == EINTR {
            continue
        } else {
            return data
        }
    }
}

private final class DataBox: @unchecked Sendable {
    var data = Data()
}

/// `spawnJobwatch` on a Dispatch thread: blocking on a child process must not starve the test's cooperative
/// threads, which also serve the in-process simulator and webhook receiver.
func spawnJobwatchAsync(_ arguments: [String], environment: [String: String]) async throws -> ProcessResult {
    try await withCheckedThrowingContinuation { continuation in
        DispatchQueue.global().async {
            continuation.resume(with: Result { try spawnJobwatch(arguments, environment: environment) })
        }
    }
}

/// A scratch directory with a config file and a database path, and a way to run the CLI against them.
struct Sandbox {
    let directory: URL
    var database: String { directory.appendingPathComponent("jobwatch.sqlite").path }
    var config: String { directory.appendingPathComponent("config.yaml").path }

    init(config: String = "") throws {
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("jobwatch-cli-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        try config.write(toFile: self.config, atomically: true, encoding: .utf8)
    }

    /// The environment of a clean user: no SDK variables, a HOME inside the sandbox.
    var environment: [String: String] {
        ["HOME": directory.path, "PATH": "/usr/bin:/bin", "LANG": "C.UTF-8"]
    }

    @discardableResult
    func run(_ arguments: [String], environment extra: [String: String] = [:]) throws -> ProcessResult {
        try spawnJobwatch(
            arguments + ["--config", config, "--db", database], environment: environment.merging(extra) { $1 })
    }

    /// `run` without blocking a cooperative thread (see `spawnJobwatchAsync`).
    func runAsync(_ arguments: [String], environment extra: [String: String] = [:]) async throws -> ProcessResult {
        try await spawnJobwatchAsync(
            arguments + ["--config", config, "--db", database], environment: environment.merging(extra) { $1 })
    }

    func databaseContentAsync() async throws -> String {
        try await withCheckedThrowingContinuation { continuation in
            DispatchQueue.global().async { continuation.resume(with: Result { try self.databaseContent() }) }
        }
    }

    /// Everything the database holds, as the CLI shows it, to prove a failed command wrote nothing.
    /// (The file's bytes are no measure: closing a connection checkpoints the WAL into the file.)
    func databaseContent() throws -> String {
        try ["list --tracking all --json", "events --json", "deliveries --json"].map {
            try run($0.split(separator: " ").map(String.init)).stdout
        }
        .joined(separator: "\n")
    }
}

/// Waits for a child process without blocking a cooperative thread.
func waitForExit(_ process: Process) async {
    while process.isRunning { try? await Task.sleep(for: .milliseconds(10)) }
}
