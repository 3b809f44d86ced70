import AsyncHTTPClient
import Foundation
import JobwatchCore
import JobwatchSimulator
import JobwatchTestKit
import Testing

/// The real `jobwatch daemon` and CLI, as separate processes, against the simulated cloud.
@Suite(.serialized) struct DaemonEndToEndTests {
    func json(_ text: String) -> [String: Any]? {
        try? JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any]
    }

    func record(_ sandbox: Sandbox, _ jobID: String) async throws -> [String: Any]? {
        json(try await sandbox.runAsync(["show", jobID, "--json"]).stdout)
    }

    func tracking(_ sandbox: Sandbox, _ jobID: String) async throws -> String? {
        try await record(sandbox, jobID)?["tracking"] as? String
    }

    @Test func aJobIsTrackedFromInitToSuccessAndAnnouncedOnce() async throws {
        let cloud = try await CloudFixture()
        defer { Task { await cloud.shutdown() } }
        let sandbox = try Sandbox(config: cloud.config())
        // A long INIT phase, so that even a slow start sees it (a loaded machine with the parallel suite takes
        // seconds to spawn the debug CLI and daemon).
        let id = try cloud.add("imsCreateImageByInstance", api: .ims, durationMillis: 10_000, initMillis: 7000)
        #expect(try await sandbox.runAsync(["register", id, "--api", "ims", "--label", "team=e2e"]).status == 0)
        let daemon = try DaemonProcess(sandbox: sandbox, environment: CloudFixture.environment)
        #expect(try await eventually { try await self.tracking(sandbox, id) == "done" })
        #expect(
            try await eventually(timeout: .seconds(5)) {
                daemon.events.contains { $0["type"] as? String == "jobwatch.job.succeeded" }
            })

        let shown = try #require(try await record(sandbox, id))
        #expect(shown["status"] as? String == "SUCCESS" && shown["image_id"] as? String != nil)
        #expect(shown["job_type"] as? String == "imsCreateImageByInstance")
        let statusChanges = (shown["history"] as? [[String: Any]] ?? []).filter {
            ($0["from"] as? String) != ($0["to"] as? String)
        }
        .map { "\($0["from"] as? String ?? "-")>\($0["to"] as? String ?? "-")" }
        #expect(statusChanges == ["->INIT", "INIT>RUNNING", "RUNNING>SUCCESS"])

        // stdout carries events and nothing else, and the terminal event once.
        #expect(daemon.stdoutLines.allSatisfy { json($0)?["specversion"] as? String == "1.0" })
        let terminal = daemon.events.filter { ($0["type"] as? String)?.hasSuffix("succeeded") == true }
        #expect(terminal.count == 1)
        #expect(terminal.first?["subject"] as? String == id)
        #expect((terminal.first?["data"] as? [String: Any])?["previous_status"] as? String == "RUNNING")
        // The webhook got it, signed, with the event id as webhook-id.
        #expect(try await eventually(timeout: .seconds(5)) { !cloud.receiver.requests.isEmpty })
        let delivered = try #require(cloud.receiver.requests.first)
        #expect(delivered.header("webhook-id") == terminal.first?["id"] as? String)
        #expect(delivered.header("webhook-signature")?.hasPrefix("v1,") == true)
        #expect(delivered.header("content-type") == "application/cloudevents+json")
        #expect(delivered.header("user-agent")?.hasPrefix("jobwatch/") == true)

        await daemon.stop()
        #expect(daemon.process.terminationStatus == 0)
        // The secret key never reaches the logs or the database.
        #expect(!daemon.stderr.contains(CloudFixture.secretKey))
        let everything =
            try sandbox.databaseContent() + (try String(contentsOfFile: sandbox.database, encoding: .isoLatin1))
        #expect(!everything.contains(CloudFixture.secretKey))
    }

    @Test func systemdIsToldReadyReloadingAndStopping() async throws {
        let cloud = try await CloudFixture()
        defer { Task { await cloud.shutdown() } }
        let sandbox = try Sandbox(config: cloud.config())
        let socket = try NotifySocket(directory: sandbox.directory)
        let daemon = try DaemonProcess(
            sandbox: sandbox,
            environment: CloudFixture.environment.merging(["NOTIFY_SOCKET": socket.path, "WATCHDOG_USEC": "400000"]) {
                $1
            })
        let ready = await socket.receive(until: { $0.contains("READY=1") }, timeout: .seconds(15))
        #expect(ready.contains { $0.contains("READY=1") }, "\(ready) \(daemon.stderr)")
        // WATCHDOG_USEC/2 = 200 ms between pings.
        let pings = await socket.receive(until: { _ in false }, timeout: .milliseconds(900))
        #expect(pings.filter { $0.contains("WATCHDOG=1") }.count >= 3, "\(pings)")
        #expect((ready + pings).contains { $0.contains("STATUS=0 active jobs") }, "\(ready + pings)")

        // SIGHUP with a valid configuration: RELOADING=1, then READY=1 again.
        daemon.signal(SIGHUP)
        let reload = await socket.receive(until: { $0.contains("READY=1") }, timeout: .seconds(10))
        #expect(reload.contains { $0.contains("RELOADING=1") && $0.contains("MONOTONIC_USEC=") })

        // A broken configuration is rejected and the old one keeps working.
        try "polling:\n  initial_interval: soon\n".write(toFile: sandbox.config, atomically: true, encoding: .utf8)
        daemon.signal(SIGHUP)
        #expect(try await eventually(timeout: .seconds(10)) { daemon.stderr.contains("configuration reload rejected") })
        #expect(daemon.stderr.contains("polling.initial_interval 'soon' is not a duration"))
        let id = try cloud.add("imsNativeExportImageJob", api: .ims, durationMillis: 1000)
        try cloud.config().write(toFile: sandbox.config, atomically: true, encoding: .utf8)
        #expect(try await sandbox.runAsync(["register", id, "--api", "ims"]).status == 0)
        #expect(try await eventually { try await self.tracking(sandbox, id) == "done" })

        // Read the pings that queued up meanwhile: the socket holds 10 datagrams (net.unix.max_dgram_qlen)
        // and drops what comes after, as it would STOPPING=1. (systemd reads its socket all the time.)
        _ = await socket.receive(until: { _ in false }, timeout: .milliseconds(300))
        daemon.signal(SIGTERM)
        let stopping = await socket.receive(until: { $0.contains("STOPPING=1") }, timeout: .seconds(10))
        #expect(stopping.contains { $0.contains("STOPPING=1") })
        #expect(await daemon.waitForExit(timeout: .seconds(10)) == 0)
    }

    @Test func aJobRegisteredWhileTheDaemonRunsIsPolledWithinASecond() async throws {
        let cloud = try await CloudFixture()
        defer { Task { await cloud.shutdown() } }
        let sandbox = try Sandbox(config: cloud.config())
        let daemon = try DaemonProcess(sandbox: sandbox, environment: CloudFixture.environment)
        #expect(try await eventually { daemon.stderr.contains("is polling") })
        try await Task.sleep(for: .milliseconds(500))
        let id = try cloud.add("imsCopyImageInRegionJob", api: .ims, durationMillis: 30_000)
        #expect(try await sandbox.runAsync(["register", id, "--api", "ims"]).status == 0)
        // Within 1 s of the registration's commit (the CLI has exited, so it is committed): the time to spawn
        // the CLI is not the daemon's.
        let registered = ContinuousClock.now
        #expect(try await eventually(timeout: .seconds(1)) { cloud.simulator.pollCount(jobID: id) > 0 })
        #expect(ContinuousClock.now - registered < .seconds(1.2))
        await daemon.stop()
        #expect(daemon.process.terminationStatus == 0)
    }

    @Test func everySeedLifecycleEndsWithTheRightRecord() async throws {
        let cloud = try await CloudFixture()
        defer { Task { await cloud.shutdown() } }
        let sandbox = try Sandbox(config: cloud.config())
        var jobs: [(id: String, kind: String, api: JobAPI)] = []
        for kind in Simulator.catalog {
            let api: JobAPI = kind.hasPrefix("workspace") ? .workspace : .ims
            jobs.append((try cloud.add(kind, api: api, durationMillis: 2000), kind, api))
        }
        // The project-scoped IMS API too, for one success and one failure.
        for kind in ["imsImportOvaImageJob", "ims-fail"] {
            jobs.append((try cloud.add(kind, api: .imsProject, durationMillis: 2000), kind, .imsProject))
        }
        for job in jobs {
            #expect(try await sandbox.runAsync(["register", job.id, "--api", job.api.rawValue]).status == 0)
        }
        let daemon = try DaemonProcess(sandbox: sandbox, environment: CloudFixture.environment)
        #expect(
            try await eventually(timeout: .seconds(30)) {
                try await sandbox.runAsync(["list", "--json"]).stdout.trimmingCharacters(in: .whitespacesAndNewlines)
                    == "[\n\n]"
            })
        await daemon.stop()
        for job in jobs {
            let shown = try #require(try await record(sandbox, job.id), "\(job.kind)")
            let status = shown["status"] as? String
            let fails = job.kind.contains("fail") || job.kind == "workspace-abnormal"
            #expect(status == (fails ? "FAIL" : "SUCCESS"), "\(job.kind) ended \(status ?? "nil")")
            #expect(shown["tracking"] as? String == "done")
            #expect(shown["end_time"] as? String != nil, "\(job.kind)")
            let subJobs = shown["sub_jobs"] as? [[String: Any]] ?? []
            if fails && job.api != .workspace {
                #expect(shown["error_code"] as? String != nil && shown["fail_reason"] as? String != nil, "\(job.kind)")
            }
            if job.kind == "imsImportOvaImageJob" { #expect(subJobs.count == 2, "\(job.kind) sub-jobs") }
            if job.kind == "workspace-abnormal" { #expect(subJobs.contains { $0["status"] as? String == "ABNORMAL" }) }
            if !fails && !job.kind.contains("Members") && job.api != .workspace {
                let hasImage =
                    shown["image_id"] as? String != nil || subJobs.contains { $0["image_id"] as? String != nil }
                #expect(hasImage, "\(job.kind) has no image id")
            }
            // History: the job's statuses only move forward, and no change is recorded twice.
            let history = shown["history"] as? [[String: Any]] ?? []
            let keys = history.map {
                "\($0["sub_job_id"] as? String ?? "job") \($0["from"] as? String ?? "-") "
                    + "\($0["to"] as? String ?? "-") \($0["provider_status"] as? String ?? "-") "
                    + "\($0["progress"] as? Double ?? -1) \($0["current_task"] as? String ?? "-")"
            }
            #expect(Set(keys).count == keys.count, "\(job.kind) has duplicate history rows")
            #expect(history.last { $0["sub_job_id"] is NSNull }?["to"] as? String == status)
        }
        // One terminal event per job, on stdout and in the event log.
        let terminal = daemon.events.filter {
            ["jobwatch.job.succeeded", "jobwatch.job.failed"].contains($0["type"] as? String)
        }
        #expect(terminal.count == jobs.count)
        #expect(Set(terminal.compactMap { $0["subject"] as? String }).count == jobs.count)
    }

    @Test func faultsAreRiddenOutAndPersistent404sEndAsNotFound() async throws {
        let cloud = try await CloudFixture()
        defer { Task { await cloud.shutdown() } }
        let sandbox = try Sandbox(config: cloud.config(notFoundAfter: 3))
        let faults: [(String, SimulatedFault)] = [
            ("throttled", SimulatedFault(.throttled, count: 2, retryAfterSeconds: 1)),
            ("500", SimulatedFault(.serverError, count: 2)),
            ("503", SimulatedFault(.unavailable, count: 2)),
            ("slow", SimulatedFault(.slow, count: 1, delayMillis: 3000)),
            ("truncated", SimulatedFault(.truncatedJSON, count: 2)),
            ("html", SimulatedFault(.htmlPage, count: 1)),
            ("dropped", SimulatedFault(.dropConnection, count: 2)),
            ("404 twice", SimulatedFault(.notFound, count: 2)),
        ]
        var ids: [(String, String)] = []
        for (name, fault) in faults {
            ids.append((name, try cloud.add("imsImportImageJob", api: .ims, durationMillis: 1500, faults: [fault])))
        }
        let lost = try cloud.add(
            "imsImportImageJob", api: .ims, durationMillis: 1500, faults: [SimulatedFault(.notFound, count: 50)])
        for id in ids.map(\.1) + [lost] {
            #expect(try await sandbox.runAsync(["register", id, "--api", "ims"]).status == 0)
        }
        let daemon = try DaemonProcess(sandbox: sandbox, environment: CloudFixture.environment)
        for (name, id) in ids {
            #expect(
                try await eventually(timeout: .seconds(40)) { try await self.tracking(sandbox, id) == "done" },
                "\(name)")
            #expect(try await record(sandbox, id)?["status"] as? String == "SUCCESS", "\(name)")
        }
        #expect(try await eventually(timeout: .seconds(30)) { try await self.tracking(sandbox, lost) == "not_found" })
        #expect(
            try await eventually(timeout: .seconds(5)) {
                daemon.events.contains { $0["type"] as? String == "jobwatch.job.not_found" }
            })
        await daemon.stop()
        #expect(daemon.process.terminationStatus == 0)
        #expect(daemon.stderr.contains("throttled by the gateway"))
        #expect(!daemon.stderr.contains(CloudFixture.secretKey))
    }

    @Test func aWrongSecretKeyPausesTheAccountLoudly() async throws {
        let cloud = try await CloudFixture()
        defer { Task { await cloud.shutdown() } }
        let sandbox = try Sandbox(config: cloud.config())
        let id = try cloud.add("imsCreateImageByInstance", api: .ims, durationMillis: 5000)
        #expect(try await sandbox.runAsync(["register", id, "--api", "ims"]).status == 0)
        let daemon = try DaemonProcess(sandbox: sandbox, environment: ["JOBWATCH_E2E_SK": "not-the-right-key"])
        #expect(try await eventually(timeout: .seconds(10)) { daemon.stderr.contains("rejected the credentials") })
        try await Task.sleep(for: .seconds(1))
        // Paused: one failed request, not a hammering that would lock the AK.
        let shown = try #require(try await record(sandbox, id))
        #expect(shown["polls"] as? Int == 1)
        #expect(
            (shown["next_poll_at"] as? String).flatMap(CloudTime.parseMillis)! > Int64(
                Date().timeIntervalSince1970 * 1000) + 240_000)
        #expect(daemon.stderr.contains("APIGW.0301") && !daemon.stderr.contains("not-the-right-key"))
        await daemon.stop()
    }

    @Test func waitExitsWithTheVerdictWhetherTheDaemonStartsBeforeOrAfter() async throws {
        let cloud = try await CloudFixture()
        defer { Task { await cloud.shutdown() } }
        let sandbox = try Sandbox(config: cloud.config())
        let good = try cloud.add("imsNativeImportImageJob", api: .ims, durationMillis: 1500)
        let bad = try cloud.add("ims-fail", api: .ims, durationMillis: 1500)
        for id in [good, bad] { #expect(try await sandbox.runAsync(["register", id, "--api", "ims"]).status == 0) }
        // `wait` starts first; the daemon comes later.
        async let goodResult = sandbox.runAsync(["wait", good, "--timeout", "30s"])
        async let badResult = sandbox.runAsync(["wait", bad, "--timeout", "30s"])
        try await Task.sleep(for: .milliseconds(500))
        let daemon = try DaemonProcess(sandbox: sandbox, environment: CloudFixture.environment)
        let (g, b) = try await (goodResult, badResult)
        #expect(g.status == 0, "\(g.stderr)")
        #expect(g.stdout.contains("SUCCESS"))
        #expect(b.status == 1 && b.stderr.contains("ended FAIL"))
        // Timeout: 124.
        let slow = try cloud.add("imsCreateWholeImageByInstanceJob", api: .ims, durationMillis: 60_000)
        #expect(try await sandbox.runAsync(["register", slow, "--api", "ims"]).status == 0)
        let timedOut = try await sandbox.runAsync(["wait", slow, "--timeout", "1s"])
        #expect(timedOut.status == 124 && timedOut.stderr.contains("gave up after 1s"))
        // Stopped tracking: 3.
        #expect(try await sandbox.runAsync(["unregister", slow]).status == 0)
        #expect(try await sandbox.runAsync(["wait", slow]).status == 3)
        await daemon.stop()
    }

    /// CONTRACT §1 `unregister` (tracking becomes `stopped`, §2): the CLI stops a job the daemon polls every
    /// few hundred milliseconds with unchanged answers (rows its writer remembers). Tracking stays `stopped`:
    /// not one more poll is recorded, and when the cloud's job ends afterwards there is no event for it.
    @Test func aJobUnregisteredWhileItIsPolledIsPolledNoMore() async throws {
        let cloud = try await CloudFixture()
        defer { Task { await cloud.shutdown() } }
        let sandbox = try Sandbox(config: cloud.config())
        // A long INIT phase answers the same every time: polls that only move the schedule.
        let id = try cloud.add("imsCreateImageByInstance", api: .ims, durationMillis: 9000, initMillis: 6000)
        #expect(try await sandbox.runAsync(["register", id, "--api", "ims"]).status == 0)
        let daemon = try DaemonProcess(sandbox: sandbox, environment: CloudFixture.environment)
        #expect(try await eventually { (try await self.record(sandbox, id)?["polls"] as? Int ?? 0) >= 4 })
        #expect(try await sandbox.runAsync(["unregister", id]).status == 0)
        // A poll under way at that moment is refused when it comes to be recorded.
        let polls = try #require(try await record(sandbox, id)?["polls"] as? Int)
        try await Task.sleep(for: .seconds(7))  // past the end of the job in the simulated cloud
        let shown = try #require(try await record(sandbox, id))
        #expect(shown["tracking"] as? String == "stopped")
        #expect(shown["polls"] as? Int == polls)
        #expect(shown["status"] as? String != "SUCCESS", "the end was not recorded")
        #expect(!daemon.events.contains { ($0["type"] as? String)?.hasSuffix("succeeded") == true })
        await daemon.stop()
    }

    /// CONTRACT §5 "SIGTERM: … commit, exit 0": unchanged polls are written behind (up to 250 ms later), and
    /// a stopping daemon writes them before it exits. Every request the cloud answered is in the file after
    /// SIGTERM, but at most one per job cut short by the shutdown (nothing recorded, by design).
    @Test func sigtermWritesThePollsStillWaitingToBeWritten() async throws {
        let cloud = try await CloudFixture()
        defer { Task { await cloud.shutdown() } }
        let sandbox = try Sandbox(config: cloud.config())
        // Long INIT phases: every answer is the same, so every poll after the first only moves the schedule.
        var ids: [String] = []
        for _ in 0..<20 {
            let id = try cloud.add("imsCreateImageByInstance", api: .ims, durationMillis: 600_000, initMillis: 590_000)
            #expect(try await sandbox.runAsync(["register", id, "--api", "ims"]).status == 0)
            ids.append(id)
        }
        let daemon = try DaemonProcess(sandbox: sandbox, environment: CloudFixture.environment)
        #expect(try await eventually { ids.allSatisfy { cloud.simulator.pollCount(jobID: $0) >= 5 } })
        await daemon.stop()
        #expect(daemon.process.terminationStatus == 0)
        var missing = 0
        for id in ids {
            let answered = cloud.simulator.pollCount(jobID: id)
            let recorded = try #require(try await record(sandbox, id)?["polls"] as? Int)
            #expect(recorded <= answered)
            #expect(recorded >= answered - 1, "\(id): \(recorded) of \(answered) answered polls recorded")
            missing += answered - recorded
        }
        // Requests in flight at SIGTERM are few (the simulator answers at once); polls left unwritten would
        // be several per second of polling.
        #expect(missing <= 3, "\(missing) answered polls not recorded")
    }
}

/// Crashes: nothing committed is lost, nothing is recorded twice.
@Suite(.serialized) struct CrashEndToEndTests {
    func lines(_ text: String) -> [[String: Any]] {
        text.split(separator: "\n").compactMap {
            try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any]
        }
    }

    @Test func killNineInTheMiddleOfTwoHundredJobsLosesNoTerminalEvent() async throws {
        let cloud = try await CloudFixture()
        defer { Task { await cloud.shutdown() } }
        let sandbox = try Sandbox(config: cloud.config())
        let kinds = ["imsCreateImageByInstance", "imsImportOvaImageJob", "ims-fail", "imsAddImageMembersJob"]
        var ids: [String] = []
        for index in 0..<200 {
            let workspace = index % 5 == 0
            let id = try cloud.add(
                workspace ? (index % 10 == 0 ? "workspace-abnormal" : "workspace-success") : kinds[index % kinds.count],
                api: workspace ? .workspace : .ims, durationMillis: 1500 + Int64(index % 7) * 400)
            ids.append(id)
        }
        // A scenario's worth of registrations through the CLI, several at a time.
        try await withThrowingTaskGroup(of: Void.self) { group in
            for chunk in stride(from: 0, to: ids.count, by: 50) {
                let slice = Array(ids[chunk..<min(chunk + 50, ids.count)])
                group.addTask {
                    for (offset, id) in slice.enumerated() {
                        let api = (chunk + offset) % 5 == 0 ? "workspace" : "ims"
                        let result = try await sandbox.runAsync(["register", id, "--api", api])
                        #expect(result.status == 0, "\(result.stderr)")
                    }
                }
            }
            try await group.waitForAll()
        }
        let first = try DaemonProcess(sandbox: sandbox, environment: CloudFixture.environment)
        // Let some jobs finish, then kill it without warning.
        #expect(
            try await eventually {
                try await sandbox.runAsync(["events", "--json"]).stdout.contains("jobwatch.job.succeeded")
            })
        try await Task.sleep(for: .milliseconds(700))
        first.signal(SIGKILL)
        _ = await first.waitForExit(timeout: .seconds(5))
        let second = try DaemonProcess(sandbox: sandbox, environment: CloudFixture.environment)
        #expect(
            try await eventually(timeout: .seconds(60)) {
                try await sandbox.runAsync(["list", "--json"]).stdout.trimmingCharacters(in: .whitespacesAndNewlines)
                    == "[\n\n]"
            })
        #expect(
            try await eventually(timeout: .seconds(30)) {
                try await sandbox.runAsync(["deliveries", "--state", "pending", "--json"]).stdout.trimmingCharacters(
                    in: .whitespacesAndNewlines) == "[\n\n]"
            })
        await second.stop()
        #expect(second.process.terminationStatus == 0)

        let events = lines(try await sandbox.runAsync(["events", "--json"]).stdout)
        let terminalTypes: Set<String> = ["jobwatch.job.succeeded", "jobwatch.job.failed", "jobwatch.job.abnormal"]
        let terminal = events.filter { terminalTypes.contains($0["type"] as? String ?? "") }
        // Exactly one terminal event per job, whatever the crash interrupted.
        #expect(terminal.count == ids.count)
        #expect(Set(terminal.compactMap { $0["subject"] as? String }) == Set(ids))
        // Sequences strictly increase.
        let sequences = events.compactMap { ($0["sequence"] as? String).flatMap { Int($0) } }
        #expect(sequences == sequences.sorted() && Set(sequences).count == sequences.count)
        // Every terminal event reached the webhook at least once, after the restart if need be.
        let received = Set(cloud.receiver.requests.compactMap { $0.header("webhook-id") })
        #expect(Set(terminal.compactMap { $0["id"] as? String }).isSubset(of: received))
        // No history row was written twice for any job.
        for id in ids.prefix(40) {
            let shown = try #require(
                try JSONSerialization.jsonObject(
                    with: Data(try await sandbox.runAsync(["show", id, "--json"]).stdout.utf8)) as? [String: Any])
            let history = shown["history"] as? [[String: Any]] ?? []
            let statusRows = history.filter { ($0["from"] as? String) != ($0["to"] as? String) }
                .map {
                    "\($0["sub_job_id"] as? String ?? "job") "
                        + "\($0["from"] as? String ?? "-")>\($0["to"] as? String ?? "-")"
                }
            #expect(Set(statusRows).count == statusRows.count, "\(id): \(statusRows)")
        }
    }

    @Test func aDeliveryPendingWhenTheDaemonDiesIsSentAfterTheRestartWithTheSameWebhookID() async throws {
        let cloud = try await CloudFixture()
        defer { Task { await cloud.shutdown() } }
        // The receiver answers 503 at first: the delivery stays pending with attempts recorded.
        cloud.receiver.respond { _ in .text(503, "down for maintenance") }
        let sandbox = try Sandbox(config: cloud.config())
        let id = try cloud.add("imsCrossRegionCopyImageJob", api: .ims, durationMillis: 1000)
        #expect(try await sandbox.runAsync(["register", id, "--api", "ims"]).status == 0)
        let first = try DaemonProcess(sandbox: sandbox, environment: CloudFixture.environment)
        // Two attempts recorded (the receiver sees a request before the daemon records its answer).
        #expect(
            try await eventually {
                let out = try await sandbox.runAsync(["deliveries", "--state", "pending", "--json"]).stdout
                let rows = (try? JSONSerialization.jsonObject(with: Data(out.utf8)) as? [[String: Any]]) ?? []
                return rows.contains { ($0["attempts"] as? Int ?? 0) >= 2 }
            })
        first.signal(SIGKILL)
        _ = await first.waitForExit(timeout: .seconds(5))
        let pending = try await sandbox.runAsync(["deliveries", "--state", "pending", "--json"])
        let rows = try #require(try JSONSerialization.jsonObject(with: Data(pending.stdout.utf8)) as? [[String: Any]])
        try #require(rows.count == 1)
        let row = rows[0]
        #expect(row["sink"] as? String == "ops" && row["last_status"] as? Int == 503)
        #expect((row["attempts"] as? Int ?? 0) >= 2)

        cloud.receiver.respond { _ in .text(204, "") }
        let second = try DaemonProcess(sandbox: sandbox, environment: CloudFixture.environment)
        #expect(
            try await eventually {
                try await sandbox.runAsync(["deliveries", "--state", "delivered", "--json"]).stdout.contains(
                    "\"sink\" : \"ops\"")
            })
        await second.stop()
        let ids = Set(cloud.receiver.requests.compactMap { $0.header("webhook-id") })
        #expect(ids.count == 1, "every attempt carries the same webhook-id")
        #expect(ids.first == row["event_id"] as? String)
    }

    @Test func deadDeliveriesCanBeRedeliveredByHand() async throws {
        let cloud = try await CloudFixture()
        defer { Task { await cloud.shutdown() } }
        cloud.receiver.respond { _ in .text(410, "gone") }
        let sandbox = try Sandbox(config: cloud.config())
        let id = try cloud.add("imsDelImageMembersJob", api: .ims, durationMillis: 800)
        #expect(try await sandbox.runAsync(["register", id, "--api", "ims"]).status == 0)
        let daemon = try DaemonProcess(sandbox: sandbox, environment: CloudFixture.environment)
        #expect(
            try await eventually {
                try await sandbox.runAsync(["deliveries", "--state", "dead"]).stdout.contains("ops")
            })
        #expect(cloud.receiver.requests.count == 1, "410 stops retries at once")
        cloud.receiver.respond { _ in .text(200, "ok") }
        let redeliver = try await sandbox.runAsync(["redeliver", "--dead"])
        #expect(redeliver.status == 0 && redeliver.stdout.contains("re-queued 1 delivery"))
        #expect(try await eventually(timeout: .seconds(3)) { cloud.receiver.requests.count == 2 })
        await daemon.stop()
    }
}

/// The self-contained commands: `demo` and `simulate`.
@Suite struct DemoAndSimulatorEndToEndTests {
    @Test func theDemoRunsEveryJobToItsVerdictAndExitsZero() async throws {
        let sandbox = try Sandbox()
        let result = try await sandbox.runAsync(["demo", "--duration", "4s"])
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stdout.contains("job.succeeded") && result.stdout.contains("job.failed"))
        #expect(result.stdout.contains("sub-job") && result.stdout.contains("ABNORMAL"))
        #expect(result.stderr.contains("throttled by the gateway"))
        let summary = result.stdout.split(separator: "\n", omittingEmptySubsequences: false).drop {
            !$0.hasPrefix("JOB ")
        }.prefix { !$0.isEmpty }
        #expect(summary.count == 6, "\(result.stdout)")
        #expect(
            summary.filter { $0.contains(" SUCCESS ") }.count == 3
                && summary.filter { $0.contains(" FAIL ") }.count == 2)
        #expect(["ims ", "ims-project ", "workspace "].allSatisfy { api in summary.contains { $0.contains(api) } })
    }

    @Test func theSimulatorServesAScenarioAndItsAdminAPI() async throws {
        let sandbox = try Sandbox()
        let scenario = sandbox.directory.appendingPathComponent("scenario.json").path
        let scenarioJSON =
            #"{"jobs": [{"api": "ims", "job_id": "scenario-job-1", "kind": "imsImportOvaImageJob", "#
            + #""duration": "30s"}]}"#
        try scenarioJSON.write(toFile: scenario, atomically: true, encoding: .utf8)
        let process = Process()
        process.executableURL = jobwatchBinary
        process.arguments = ["simulate", "--listen", "127.0.0.1:0", "--scenario", scenario]
        process.environment = sandbox.environment
        let out = Pipe()
        process.standardOutput = out
        process.standardError = Pipe()
        try process.run()
        defer { process.terminate() }
        let collector = LineCollector()
        collector.follow(out)
        #expect(
            await eventually(timeout: .seconds(15)) {
                collector.lines.contains { $0.hasPrefix("listening on http://127.0.0.1:") }
            })
        let base = try #require(collector.lines.first { $0.hasPrefix("listening on ") }).dropFirst(
            "listening on ".count)
        let (data, _) = try await fetch("\(base)/_simulator/jobs")
        #expect(String(decoding: data, as: UTF8.self).contains("scenario-job-1"))
        let (job, status) = try await fetch("\(base)/v1/cloudimages/job/scenario-job-1")
        #expect(status == 200 && String(decoding: job, as: UTF8.self).contains("imsImportOvaImageJob"))
        let bad = try await sandbox.runAsync(["simulate", "--listen", "10.1.2.3:80"])
        #expect(bad.status == 64 && bad.stderr.contains("not a loopback address"))
    }

    func fetch(_ url: String) async throws -> (Data, Int) {
        let response = try await HTTPClient.shared.execute(HTTPClientRequest(url: url), timeout: .seconds(10))
        let body = try await response.body.collect(upTo: 1 << 20)
        return (Data(body.readableBytesView), Int(response.status.code))
    }
}
