import Foundation
import GRDB
import JobwatchCore
import JobwatchSimulator
import JobwatchTestKit
import Testing

/// The real daemon against a cloud that sends poison: each poison job beside healthy ones. The daemon never
/// exits, healthy jobs finish on time, the poison jobs the cloud finishes end with the right verdict, and
/// the CLI reads whatever was stored.
@Suite(.serialized) struct PoisonJobTests {
    func json(_ text: String) -> Any? { try? JSONSerialization.jsonObject(with: Data(text.utf8)) }

    func records(_ sandbox: Sandbox) async throws -> [String: [String: Any]] {
        let list = json(try await sandbox.runAsync(["list", "--tracking", "all", "--json"]).stdout) as? [[String: Any]]
        var byID: [String: [String: Any]] = [:]
        for record in list ?? [] { byID[record["job_id"] as? String ?? ""] = record }
        return byID
    }

    @Test func poisonAnswersNeitherCrashNorStallTheDaemon() async throws {
        let cloud = try await CloudFixture()
        defer { Task { await cloud.shutdown() } }
        let sandbox = try Sandbox(config: cloud.config())
        let forever = 10_000  // the poison outlasts the job: it is in every answer, the verdict's included

        var healthy: [String] = []
        for (kind, api) in [
            ("imsCreateImageByInstance", JobAPI.ims), ("imsImportImageJob", .imsProject),
            ("workspace-success", .workspace),
        ] {
            healthy.append(try cloud.add(kind, api: api, durationMillis: 3000))
        }
        let poisons: [String: SimulatedFault] = [
            "nan-progress": SimulatedFault(
                .setField, count: forever, fields: ["entities.process_percent": .string("NaN")]),
            "tiny-progress-old-begin": SimulatedFault(
                .setField, count: forever,
                fields: ["entities.process_percent": .number(1e-300), "begin_time": .string("1970-01-01T00:00:00Z")]),
            "huge-progress": SimulatedFault(
                .setField, count: forever, fields: ["entities.process_percent": .number(1e308)]),
            "wrong-types": SimulatedFault(
                .setField, count: forever,
                fields: [
                    "job_type": .object(["a": .number(1)]), "begin_time": .number(5), "fail_reason": .array([]),
                    "entities.sub_jobs_result": .string("not a list"), "entities.current_task": .bool(true),
                ]),
            "sub-job-flood": SimulatedFault(.subJobFlood, count: forever, subJobs: 1100),
        ]
        var poisoned: [String: String] = [:]
        for (name, fault) in poisons {
            poisoned[name] = try cloud.add("imsImportImageJob", api: .ims, durationMillis: 3000, faults: [fault])
        }
        // Throttled once with an absurd Retry-After: the job waits the one-hour cap, then carries on.
        let throttled = try cloud.add(
            "imsImportImageJob", api: .ims, durationMillis: 3000,
            faults: [SimulatedFault(.throttled, retryAfterText: "99999999999999999999999999")])
        for id in healthy + poisoned.values + [throttled] {
            let api = healthy.firstIndex(of: id).map { [JobAPI.ims, .imsProject, .workspace][$0] } ?? .ims
            #expect(try await sandbox.runAsync(["register", id, "--api", api.rawValue]).status == 0)
        }

        let started = ContinuousClock.now
        let daemon = try DaemonProcess(sandbox: sandbox, environment: CloudFixture.environment)
        let finishing = healthy + poisoned.values
        let allDone = try await eventually(timeout: .seconds(40)) {
            let byID = try await self.records(sandbox)
            return finishing.allSatisfy { byID[$0]?["tracking"] as? String == "done" }
        }
        #expect(allDone)
        // Jobs of 3 s, polled every 200-600 ms: well inside 25 s even on a loaded machine.
        #expect(ContinuousClock.now - started < .seconds(40))
        #expect(daemon.process.isRunning, "the daemon exited: \(daemon.stderr.suffix(2000))")

        let byID = try await records(sandbox)
        for id in finishing {
            #expect(byID[id]?["status"] as? String == "SUCCESS", "\(id): \(byID[id] ?? [:])")
        }
        for name in ["nan-progress", "huge-progress"] {
            let record = byID[poisoned[name]!]
            #expect(record?["progress"] is NSNull, "\(name): progress \(record?["progress"] ?? "absent")")
        }
        // A tiny fraction is a fraction: kept, and its huge completion estimate did not stall the job.
        #expect((byID[poisoned["tiny-progress-old-begin"]!]?["progress"] as? Double).map { $0 >= 0 && $0 <= 1 } == true)
        let wrong = try #require(byID[poisoned["wrong-types"]!])
        #expect(wrong["job_type"] is NSNull && wrong["begin_time"] is NSNull)
        #expect(wrong["image_id"] as? String != nil)  // the rest of the answer was used
        let flood = try #require(byID[poisoned["sub-job-flood"]!])
        #expect((flood["sub_jobs"] as? [Any])?.count == 1000)

        // The throttled job waits at most an hour, and is still tracked.
        let waiting = try #require(byID[throttled])
        #expect(waiting["tracking"] as? String == "active")
        let nextPoll = try #require((waiting["next_poll_at"] as? String).flatMap(CloudTime.parseMillis))
        let now = Int64(Date().timeIntervalSince1970 * 1000)
        #expect(nextPoll <= now + 3_600_000 && nextPoll > now + 3_000_000)

        // The ignored fields are logged once per job, not once per poll.
        let warnings = daemon.stderr.components(separatedBy: "\n").filter { $0.contains("fields jobwatch ignores") }
        let wrongID = poisoned["wrong-types"]!
        #expect(warnings.filter { $0.contains(wrongID) }.count == 1, "\(warnings.filter { $0.contains(wrongID) })")

        // Every sub-job event is small: it carries its sub-job, not the other 999.
        let subEvents = daemon.stdoutLines.filter { $0.contains("jobwatch.subjob.status_changed") }
        #expect(subEvents.count >= 1000)
        #expect((subEvents.map(\.utf8.count).max() ?? 0) < 4000)

        for arguments in [["list"], ["list", "--tracking", "all", "--json"], ["events"], ["events", "--json"]] {
            let result = try await sandbox.runAsync(arguments)
            #expect(result.status == 0, "\(arguments): \(result.stderr)")
        }
        for id in finishing + [throttled] {
            #expect(try await sandbox.runAsync(["show", id]).status == 0)
        }
        #expect(daemon.process.isRunning)
        await daemon.stop()
        #expect(daemon.process.terminationStatus == 0)
    }

    @Test func theCLIReadsStoredExtremeValuesWithoutAStackTrace() async throws {
        let sandbox = try Sandbox(config: "")
        #expect(try await sandbox.runAsync(["register", "odd-job", "--api", "ims", "--label", "k=v"]).status == 0)
        // Another program (or an older version) left values no current code writes.
        let queue = try DatabaseQueue(path: sandbox.database)
        try await queue.write { db in
            try db.execute(
                sql: """
                    UPDATE job SET progress = 1e308, polls = 'many', next_poll_at = 9.3e18, registered_at = -9.3e18,
                        last_polled_at = 'yesterday', deadline_at = 9223372036854775807, status = 'RUNNING',
                        provider_status = 'RUNNING', labels = '{"k": "a\\u001b[31mred"}'
                    """)
            try db.execute(
                sql: """
                    INSERT INTO transition (job_row, at, sub_job_id, from_status, to_status, provider_status, progress)
                    SELECT id, -9223372036854775808, NULL, 'INIT', 'RUNNING', 'RUNNING', -1e308 FROM job
                    """)
            try db.execute(
                sql: """
                    UPDATE event SET created_at = 9.3e18,
                        body = '{"data":{"job":{"status":"RUNNING","progress":1e308}},"type":"jobwatch.job.progress"}'
                    """)
        }
        for arguments in [
            ["list"], ["list", "--json"], ["show", "odd-job"], ["show", "odd-job", "--json"], ["events"],
            ["events", "--json"], ["deliveries"],
        ] {
            let result = try await sandbox.runAsync(arguments)
            #expect(result.status == 0, "\(arguments): \(result.stderr)")
            #expect(!result.stdout.contains("\u{1B}"), "\(arguments) printed an escape sequence")
        }
        let shown = try await sandbox.runAsync(["show", "odd-job"]).stdout
        #expect(shown.contains("\\u{1b}[31mred"))
    }

    @Test func idsThatLeaveTheirPathSegmentAndOutOfBoundFlagsAreUsageErrors() async throws {
        let sandbox = try Sandbox(config: "")
        for (arguments, fragment) in [
            (["register", "..", "--api", "ims"], "not an id"),
            (["register", ".", "--api", "ims"], "not an id"),
            (["register", "a%2Fb", "--api", "ims"], "'%'"),
            (["register", "job\u{7}", "--api", "ims"], "control character"),
            (["register", "ok", "--api", "ims-project", "--project-id", ".."], "project id"),
            (["register", "ok", "--api", "ims", "--deadline", "400d"], "365d"),
            (["register", "ok", "--api", "ims", "--deadline", "99999999999999999999999999h"], "365d"),
            (["register", "ok", "--api", "ims", "--label", "k=a\u{1B}b"], "--label"),
            (["wait", "ok", "--timeout", "9999999d"], "365d"),
        ] {
            let result = try await sandbox.runAsync(arguments)
            #expect(result.status == 64, "\(arguments): \(result.status) \(result.stderr)")
            #expect(result.stderr.contains(fragment), "\(arguments): \(result.stderr)")
            #expect(result.stderr.split(separator: "\n").count == 1, "\(arguments): \(result.stderr)")
        }
    }
}
