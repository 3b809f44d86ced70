import Foundation
import JobwatchTestKit
import Testing

/// Where the CLI finds things, and the read commands' filters, from outside the process.
@Suite struct LookupAndFilterTests {
    func launch(_ arguments: [String], environment: [String: String]) async throws -> ProcessResult {
        try await spawnJobwatchAsync(arguments, environment: environment)
    }

    @Test func configurationAndDatabaseAreFoundInTheContractOrder() async throws {
        let sandbox = try Sandbox()
        let configured = sandbox.directory.appendingPathComponent("from-config.sqlite").path
        try "database: \(configured)\n".write(toFile: sandbox.config, atomically: true, encoding: .utf8)
        // $JOBWATCH_CONFIG names the file, whose `database:` names the database.
        var env = sandbox.environment
        env["JOBWATCH_CONFIG"] = sandbox.config
        #expect(try await launch(["register", "a", "--api", "ims"], environment: env).status == 0)
        #expect(FileManager.default.fileExists(atPath: configured))
        // Without a configured database: $STATE_DIRECTORY (systemd), then $XDG_STATE_HOME.
        let state = sandbox.directory.appendingPathComponent("state").path
        try FileManager.default.createDirectory(atPath: state, withIntermediateDirectories: true)
        var systemd = sandbox.environment
        systemd["STATE_DIRECTORY"] = state
        #expect(try await launch(["register", "b", "--api", "ims"], environment: systemd).status == 0)
        #expect(FileManager.default.fileExists(atPath: state + "/jobwatch.sqlite"))
        var xdg = sandbox.environment
        xdg["XDG_STATE_HOME"] = sandbox.directory.appendingPathComponent("xdg").path
        #expect(try await launch(["register", "c", "--api", "ims"], environment: xdg).status == 0)
        #expect(
            FileManager.default.fileExists(
                atPath: sandbox.directory.appendingPathComponent("xdg/jobwatch/jobwatch.sqlite").path))
        // --db wins over all of them.
        #expect(try await launch(["show", "b", "--db", state + "/jobwatch.sqlite"], environment: env).status == 0)
    }

    @Test func aDatabaseThatIsNotOneExits74() async throws {
        let sandbox = try Sandbox()
        try String(repeating: "not a database ", count: 400).write(
            toFile: sandbox.database, atomically: true, encoding: .utf8)
        let result = try await sandbox.runAsync(["list"])
        #expect(result.status == 74, "\(result.stderr)")
        #expect(result.stderr.contains("is not a jobwatch database") && result.stderr.split(separator: "\n").count == 1)
    }

    @Test func eventsSinceIsACursorAndListFilters() async throws {
        let sandbox = try Sandbox(config: "sinks:\n  stdout:\n    events: all\n")
        #expect(try await sandbox.runAsync(["register", "one", "--api", "ims", "--label", "team=a"]).status == 0)
        #expect(
            try await sandbox.runAsync([
                "register", "two", "--api", "ims-project", "--project-id", "p1", "--label", "team=b",
            ]).status == 0)
        #expect(
            try await sandbox.runAsync([
                "register", "three", "--api", "workspace", "--project-id", "p1", "--label", "team=a",
            ]).status == 0)
        let all = try await sandbox.runAsync(["events", "--json"]).stdout.split(separator: "\n")
        #expect(all.count == 3)
        let after1 = try await sandbox.runAsync(["events", "--since", "1", "--json"]).stdout.split(separator: "\n")
        #expect(after1.count == 2 && after1.first?.contains("\"sequence\":\"2\"") == true)
        #expect(try await sandbox.runAsync(["events", "--since", "3", "--json"]).stdout.isEmpty)

        let teamA = try await sandbox.runAsync(["list", "--label", "team=a", "--json"]).stdout
        #expect(teamA.contains("\"one\"") && teamA.contains("\"three\"") && !teamA.contains("\"two\""))
        let projectAPI = try await sandbox.runAsync(["list", "--api", "ims-project"]).stdout
        #expect(projectAPI.contains("two") && !projectAPI.contains("three"))

        // Re-queue one event by id: its delivery to stdout (subscribed to all) is pending again.
        let first = try #require(
            all.first.flatMap { try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any] })
        let id = try #require(first["id"] as? String)
        let redeliver = try await sandbox.runAsync(["redeliver", id])
        #expect(redeliver.status == 0 && redeliver.stdout.contains("re-queued 1 delivery"))
    }
}

/// `events --follow` keeps printing what other processes add.
@Suite struct EventsFollowTests {
    @Test func followPrintsEventsAsTheyAreCreated() async throws {
        let sandbox = try Sandbox(config: "sinks:\n  stdout:\n    events: all\n")
        #expect(try await sandbox.runAsync(["register", "first", "--api", "ims"]).status == 0)
        let process = Process()
        process.executableURL = jobwatchBinary
        process.arguments = [
            "events", "--follow", "--json", "--since", "1", "--config", sandbox.config, "--db", sandbox.database,
        ]
        process.environment = sandbox.environment
        let out = Pipe()
        process.standardOutput = out
        process.standardError = Pipe()
        let lines = LineCollector()
        lines.follow(out)
        try process.run()
        defer { process.terminate() }
        try await Task.sleep(for: .milliseconds(500))
        #expect(lines.lines.isEmpty, "--since 1 skips the first event")
        #expect(try await sandbox.runAsync(["register", "second", "--api", "ims"]).status == 0)
        #expect(
            await eventually(timeout: .seconds(5)) { lines.lines.contains { $0.contains("\"subject\":\"second\"") } })
        #expect(process.isRunning, "--follow keeps waiting")
        let printed = lines.lines
        try #require(printed.count == 1)
        #expect(printed[0].contains("\"sequence\":\"2\""))
    }
}
