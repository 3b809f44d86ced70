import Foundation

/// The built `jobwatch` binary, beside the test bundle.
package let jobwatchBinary: URL = {
    var directory = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
    while !FileManager.default.fileExists(atPath: directory.appendingPathComponent("jobwatch").path),
        directory.path != "/"
    {
        directory = directory.deletingLastPathComponent()
    }
    return directory.appendingPathComponent("jobwatch")
}()

package struct ProcessResult: Sendable {
    package var status: Int32
    package var stdout: String
    package var stderr: String

    package init(status: Int32, stdout: String, stderr: String) {
        self.status = status
        self.stdout = stdout
        self.stderr = stderr
    }
}

/// Runs `jobwatch` to completion and collects its output.
package func spawnJobwatch(_ arguments: [String], environment: [String: String]) throws -> ProcessResult {
    let process = Process()
    process.executableURL = jobwatchBinary
    process.arguments = arguments
    process.environment = environment
    let out = Pipe(), err = Pipe()
    process.standardOutput = out
    process.standardError = err
    try process.run()
    // Both pipes at once (a child filling one while we block on the other would deadlock), with read(2)
    // retried on EINTR: `readDataToEndOfFile` traps when a signal interrupts it (seen on a loaded machine).
    let group = DispatchGroup()
    let box = DataBox()
    let errFD = err.fileHandleForReading.fileDescriptor
    group.enter()
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
package func readAll(_ fd: Int32) -> Data {
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
package func spawnJobwatchAsync(_ arguments: [String], environment: [String: String]) async throws -> ProcessResult {
    try await withCheckedThrowingContinuation { continuation in
        DispatchQueue.global().async {
            continuation.resume(with: Result { try spawnJobwatch(arguments, environment: environment) })
        }
    }
}

/// Waits for a child process without blocking a cooperative thread.
package func waitForExit(_ process: Process) async {
    while process.isRunning { try? await Task.sleep(for: .milliseconds(10)) }
}

/// Runs blocking work (direct database access, a child process) on a Dispatch thread, so that it never
/// starves the test's cooperative threads, which also serve the in-process simulator and receivers.
package func offCooperativePool<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
    try await withCheckedThrowingContinuation { continuation in
        DispatchQueue.global().async { continuation.resume(with: Result { try body() }) }
    }
}
