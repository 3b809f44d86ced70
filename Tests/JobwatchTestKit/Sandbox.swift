import Foundation

/// A scratch directory with a config file and a database path, and a way to run the CLI against them.
package struct Sandbox: Sendable {
    package let directory: URL
    package var database: String { directory.appendingPathComponent("jobwatch.sqlite").path }
    package var config: String { directory.appendingPathComponent("config.yaml").path }

    package init(config: String = "") throws {
        directory = try makeTemporaryDirectory("jobwatch-cli")
        try config.write(toFile: self.config, atomically: true, encoding: .utf8)
    }

    /// The environment of a clean user: no SDK variables, a HOME inside the sandbox.
    package var environment: [String: String] {
        ["HOME": directory.path, "PATH": "/usr/bin:/bin", "LANG": "C.UTF-8"]
    }

    @discardableResult
    package func run(_ arguments: [String], environment extra: [String: String] = [:]) throws -> ProcessResult {
        try spawnJobwatch(
            arguments + ["--config", config, "--db", database], environment: environment.merging(extra) { $1 })
    }

    /// `run` without blocking a cooperative thread (see `spawnJobwatchAsync`).
    package func runAsync(
        _ arguments: [String], environment extra: [String: String] = [:]
    ) async throws -> ProcessResult {
        try await spawnJobwatchAsync(
            arguments + ["--config", config, "--db", database], environment: environment.merging(extra) { $1 })
    }

    package func databaseContentAsync() async throws -> String {
        try await withCheckedThrowingContinuation { continuation in
            DispatchQueue.global().async { continuation.resume(with: Result { try self.databaseContent() }) }
        }
    }

    /// Everything the database holds, as the CLI shows it, to prove a failed command wrote nothing.
    /// (The file's bytes are no measure: closing a connection checkpoints the WAL into the file.)
    package func databaseContent() throws -> String {
        try ["list --tracking all --json", "events --json", "deliveries --json"].map {
            try run($0.split(separator: " ").map(String.init)).stdout
        }
        .joined(separator: "\n")
    }
}
