import Foundation
import JobwatchTestKit
import Testing

@Suite struct RegisterCommandTests {
    let config = """
        accounts:
          default:
            region: cn-north-4
            project_id: 0123456789abcdef0123456789abcdef
            ak: AKEXAMPLE
            sk_env: JOBWATCH_TEST_SK
          noproject:
            region: cn-north-4
            ak: AKEXAMPLE
            sk_env: JOBWATCH_TEST_SK
        sinks:
          webhooks:
            - name: ops
              url: https://hooks.example.com/jobwatch
        """

    @Test func registeringTwiceChangesNothingAndPrintsTheSameRecord() async throws {
        let sandbox = try Sandbox(config: config)
        let first = try await sandbox.runAsync([
            "register", "9a175ac79d2a54ad019d2d11f02349b4", "--api", "ims", "--label", "pipeline=nightly", "--json",
        ])
        #expect(first.status == 0, "\(first.stderr)")
        let second = try await sandbox.runAsync([
            "register", "9a175ac79d2a54ad019d2d11f02349b4", "--api", "ims", "--label", "other=x", "--json",
        ])
        #expect(second.status == 0)
        #expect(first.stdout == second.stdout)
        let record = try #require(try JSONSerialization.jsonObject(with: Data(second.stdout.utf8)) as? [String: Any])
        #expect(record["labels"] as? [String: String] == ["pipeline": "nightly"])
        #expect(record["project_id"] as? String == "0123456789abcdef0123456789abcdef")
        #expect(record["tracking"] as? String == "active")
        let list = try await sandbox.runAsync(["list", "--json"])
        #expect((try JSONSerialization.jsonObject(with: Data(list.stdout.utf8)) as? [Any])?.count == 1)
        let events = try await sandbox.runAsync(["events", "--json"])
        #expect(events.stdout.split(separator: "\n").count == 1)
        #expect(events.stdout.contains("\"type\":\"jobwatch.job.registered\""))
    }

    @Test func badInputExitsWithTheContractCodeAndWritesNothing() async throws {
        let sandbox = try Sandbox(config: config)
        try await sandbox.runAsync(["register", "existing", "--api", "ims"])
        let before = try await sandbox.databaseContentAsync()
        let cases: [([String], Int32, String)] = [
            (["register", "x", "--api", "ecs"], 64, "'ecs' is invalid for '--api"),
            (["register", "", "--api", "ims"], 64, "the job id is empty"),
            (["register", "a b", "--api", "ims"], 64, "contains whitespace"),
            (["register", "a/b", "--api", "ims"], 64, "contains '/'"),
            (["register", String(repeating: "x", count: 129), "--api", "ims"], 64, "at most 128"),
            (["register", "x", "--api", "ims", "--label", "novalue"], 64, "--label 'novalue' is not K=V"),
            (["register", "x", "--api", "ims", "--deadline", "soon"], 64, "--deadline 'soon' is not a duration"),
            (["register", "x", "--api", "ims", "--account", "nobody"], 64, "unknown --account 'nobody'"),
            (["register", "x", "--api", "ims", "--sink", "pager"], 64, "unknown --sink 'pager'"),
            (["register", "x", "--api", "workspace", "--account", "noproject"], 64, "needs a project id"),
            (["register", "x"], 64, "--api is required: one of ims, ims-project, workspace"),
            (["register"], 64, "give a JOB_ID or --from-json FILE"),
            (["register", "x", "--api", "ims", "--frobnicate"], 64, "Unknown option '--frobnicate'"),
            (["show", "nothere"], 4, "no tracked job nothere"),
            (["wait", "nothere", "--timeout", "1s"], 4, "no tracked job nothere"),
            (["unregister", "nothere"], 4, "no tracked job nothere"),
            (["redeliver", "no-such-event"], 4, "no event with id no-such-event"),
            (["redeliver"], 64, "give exactly one of: event ids, --dead, --since DUR"),
            (["redeliver", "--since", "1h", "--sink", "pager"], 64, "unknown --sink 'pager'"),
            (["deliveries", "--since", "forever"], 64, "--since 'forever' is not a duration"),
        ]
        for (arguments, status, message) in cases {
            let result = try await sandbox.runAsync(arguments, environment: ["JOBWATCH_TEST_SK": "s"])
            #expect(result.status == status, "\(arguments): \(result.stderr)")
            #expect(result.stderr.contains(message), "\(arguments): \(result.stderr)")
            #expect(result.stderr.split(separator: "\n").count == 1, "\(arguments): one line, got \(result.stderr)")
            #expect(!result.stderr.contains("Usage:"))
        }
        #expect(try await sandbox.databaseContentAsync() == before)
    }

    @Test func configurationProblemsExit78() async throws {
        let missing = try Sandbox()
        let process = Process()
        process.executableURL = jobwatchBinary
        process.arguments = ["list", "--config", missing.directory.appendingPathComponent("absent.yaml").path]
        process.environment = missing.environment
        let err = Pipe()
        process.standardError = err
        process.standardOutput = Pipe()
        try process.run()
        await waitForExit(process)
        #expect(process.terminationStatus == 78)
        #expect(
            String(decoding: err.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self).contains("does not exist"))

        let typo = try Sandbox(config: "polling:\n  max_intervall: 60s\n")
        let result = try await typo.runAsync(["list"])
        #expect(result.status == 78)
        #expect(result.stderr.contains("polling.max_intervall is not a known key"))
    }

    @Test func theDaemonRefusesToStartWithoutCredentials() async throws {
        let sandbox = try Sandbox()
        let result = try await sandbox.runAsync(["daemon"])
        #expect(result.status == 78)
        #expect(
            result.stderr.contains(
                "account 'default' has no credentials: set HUAWEICLOUD_SDK_AK and HUAWEICLOUD_SDK_SK"))
        let missingSecret = try Sandbox(config: config)
        let noSK = try await missingSecret.runAsync(["daemon"])
        #expect(noSK.status == 78 && noSK.stderr.contains("sk_env names the environment variable JOBWATCH_TEST_SK"))
    }

    @Test func configCheckRedactsEverySecret() async throws {
        let sandbox = try Sandbox(config: config + "\n      secret: whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw\n")
        let result = try await sandbox.runAsync(
            ["config", "check"], environment: ["JOBWATCH_TEST_SK": "TOP-SECRET-SK"])
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stdout.contains("sk: <redacted> # from env JOBWATCH_TEST_SK"))
        #expect(!result.stdout.contains("TOP-SECRET-SK"))
        #expect(!result.stdout.contains("MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"))
        #expect(!result.stdout.contains("AKEXAMPLE") || result.stdout.contains("ak: <redacted>"))
    }

    @Test func globalOptionsWorkBeforeTheSubcommand() async throws {
        let sandbox = try Sandbox(config: config)
        let process = Process()
        process.executableURL = jobwatchBinary
        process.arguments = ["--db", sandbox.database, "--config", sandbox.config, "register", "j1", "--api", "ims"]
        process.environment = sandbox.environment
        process.standardOutput = Pipe()
        process.standardError = Pipe()
        try process.run()
        await waitForExit(process)
        #expect(process.terminationStatus == 0)
        #expect(try await sandbox.runAsync(["show", "j1"]).status == 0)
    }

    @Test func ambiguousJobIDsNeedAnAPI() async throws {
        let sandbox = try Sandbox(config: config)
        try await sandbox.runAsync(["register", "same", "--api", "ims"])
        try await sandbox.runAsync(["register", "same", "--api", "workspace"])
        let ambiguous = try await sandbox.runAsync(["show", "same"])
        #expect(ambiguous.status == 64 && ambiguous.stderr.contains("ambiguous"))
        let chosen = try await sandbox.runAsync(["show", "same", "--api", "workspace", "--json"])
        #expect(chosen.status == 0 && chosen.stdout.contains("\"api\" : \"workspace\""))
        let stop = try await sandbox.runAsync(["unregister", "same", "--api", "ims"])
        #expect(stop.status == 0)
        let stopped = try await sandbox.runAsync(["list", "--tracking", "done", "--json"])
        #expect(stopped.stdout.contains("\"tracking\" : \"stopped\""))
    }

    /// The CLI and the daemon share the database: several writers at once must all succeed.
    @Test func concurrentWritersFromSeveralProcessesAllSucceed() async throws {
        let sandbox = try Sandbox(config: config)
        try await sandbox.runAsync(["list"])
        let writers = 4, jobsEach = 25
        let failures = try await withThrowingTaskGroup(of: [String].self) { group in
            for writer in 0..<writers {
                group.addTask {
                    var failed: [String] = []
                    for job in 0..<jobsEach {
                        let result = try await sandbox.runAsync(["register", "w\(writer)-\(job)", "--api", "ims"])
                        if result.status != 0 { failed.append(result.stderr) }
                    }
                    return failed
                }
            }
            return try await group.reduce(into: [String]()) { $0 += $1 }
        }
        #expect(failures.isEmpty, "\(failures.prefix(3))")
        let list = try await sandbox.runAsync(["list", "--json"])
        #expect((try JSONSerialization.jsonObject(with: Data(list.stdout.utf8)) as? [Any])?.count == writers * jobsEach)
    }
}
