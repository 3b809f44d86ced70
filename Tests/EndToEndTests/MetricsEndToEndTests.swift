import Foundation
import JobwatchCore
import JobwatchSimulator
import JobwatchTestKit
import Testing

/// `metrics.listen`: the real daemon scraped over loopback, its text parsed by the official Python client's
/// parser (`prometheus_client`, installed by scripts/install-deps.sh into .build/test-venv). Part of the
/// serialized operator suite, so that its daemons do not compete with each other for the CPU.
extension OperatorCommandTests {
    /// The Python that has `prometheus_client`: `$JOBWATCH_TEST_PYTHON`, else the venv install-deps.sh makes.
    static let python: String = {
        if let explicit = ProcessInfo.processInfo.environment["JOBWATCH_TEST_PYTHON"] { return explicit }
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent()
        return root.appendingPathComponent(".build/test-venv/bin/python3").path
    }()

    /// Fetches a URL and prints every sample as JSON: [{"name", "labels", "value", "type"}], parsed by
    /// `prometheus_client.parser.text_string_to_metric_families` (which raises on malformed text).
    static let parser = """
        import json, sys, urllib.request
        from prometheus_client.parser import text_string_to_metric_families
        with urllib.request.urlopen(sys.argv[1], timeout=10) as response:
            content_type = response.headers.get("Content-Type")
            text = response.read().decode("utf-8")
        samples = []
        for family in text_string_to_metric_families(text):
            for s in family.samples:
                samples.append({"family": family.name, "type": family.type, "name": s.name, "labels": s.labels,
                                "value": s.value})
        json.dump({"content_type": content_type, "samples": samples}, sys.stdout)
        """

    struct Sample {
        var family: String
        var type: String
        var name: String
        var labels: [String: String]
        var value: Double
    }

    struct Scrape {
        var contentType: String
        var samples: [Sample]

        func matching(_ name: String, _ labels: [String: String]) -> [Sample] {
            samples.filter { sample in
                sample.name == name && labels.allSatisfy { key, value in sample.labels[key] == value }
            }
        }

        func value(_ name: String, _ labels: [String: String] = [:]) -> Double? {
            matching(name, labels).first?.value
        }

        func sum(_ name: String, _ labels: [String: String] = [:]) -> Double {
            matching(name, labels).reduce(0) { $0 + $1.value }
        }
    }

    func scrape(_ url: String) async throws -> Scrape {
        guard FileManager.default.isExecutableFile(atPath: Self.python) else {
            Issue.record("no \(Self.python): run scripts/install-deps.sh (it installs prometheus_client for this test)")
            throw CancellationError()
        }
        let result = try await spawnAsync(Self.python, ["-c", Self.parser, url], environment: ["LANG": "C.UTF-8"])
        #expect(result.status == 0, "the official parser rejected the exposition: \(result.stderr)")
        let object = try #require(try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any])
        let samples = (object["samples"] as? [[String: Any]] ?? []).map {
            Sample(
                family: $0["family"] as? String ?? "", type: $0["type"] as? String ?? "",
                name: $0["name"] as? String ?? "",
                labels: $0["labels"] as? [String: String] ?? [:], value: ($0["value"] as? NSNumber)?.doubleValue ?? -1)
        }
        return Scrape(contentType: object["content_type"] as? String ?? "", samples: samples)
    }

    /// A port nothing listens on right now.
    func freePort() async throws -> Int {
        let probe = try await LoopbackHTTPServer.start(port: 0) { _ in .text(200, "") }
        let port = probe.port
        await probe.shutdown()
        return port
    }

    func get(_ url: String) async throws -> (Int, String) {
        let script = """
            import sys, urllib.request, urllib.error
            try:
                with urllib.request.urlopen(sys.argv[1], timeout=10) as r:
                    print(r.status); print(r.read().decode())
            except urllib.error.HTTPError as e:
                print(e.code); print(e.read().decode())
            """
        let result = try await spawnAsync(
            "/usr/bin/env", ["python3", "-c", script, url],
            environment: [
                "PATH": ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin"
            ])
        let lines = result.stdout.split(separator: "\n", maxSplits: 1)
        return (Int(lines.first ?? "") ?? -1, lines.count > 1 ? String(lines[1]) : "")
    }

    @Test func theDaemonServesPrometheusMetricsThatMoveWithPollsAndDeliveries() async throws {
        let cloud = try await CloudFixture()
        defer { Task { await cloud.shutdown() } }
        let port = try await freePort()
        let config = cloud.config() + "\nmetrics:\n  listen: 127.0.0.1:\(port)\n"
        let sandbox = try Sandbox(config: config)
        let daemon = try DaemonProcess(sandbox: sandbox, environment: CloudFixture.environment)
        let base = "http://127.0.0.1:\(port)"
        #expect(try await eventually { daemon.stderr.contains("serving metrics at") }, "\(daemon.stderr)")

        // Before any job: every series is there at 0.
        let idle = try await scrape(base + "/metrics")
        #expect(idle.contentType.hasPrefix("text/plain; version=0.0.4"))
        for api in JobAPI.allCases {
            for outcome in [
                "ok", "changed", "throttled", "unauthorized", "not_found", "server_error", "network_error", "malformed",
            ] {
                #expect(
                    idle.value("jobwatch_polls_total", ["api": api.rawValue, "outcome": outcome]) == 0,
                    "\(api.rawValue)/\(outcome)")
            }
            #expect(idle.value("jobwatch_poll_duration_seconds_count", ["api": api.rawValue]) == 0)
        }
        for tracking in Tracking.allCases {
            #expect(idle.value("jobwatch_jobs", ["tracking": tracking.rawValue]) == 0)
        }
        for type in EventType.allCases { #expect(idle.value("jobwatch_events_total", ["type": type.rawValue]) == 0) }
        for sink in ["ops", "stdout"] {
            for result in ["delivered", "failed", "dead"] {
                #expect(idle.value("jobwatch_deliveries_total", ["sink": sink, "result": result]) == 0)
            }
            #expect(idle.value("jobwatch_outbox_pending", ["sink": sink]) == 0)
        }
        #expect(idle.value("jobwatch_build_info", ["version": "0.1.0"]) == 1)
        #expect(idle.samples.first { $0.family == "jobwatch_poll_duration_seconds" }?.type == "histogram")
        #expect(idle.samples.first { $0.family == "jobwatch_polls" }?.type == "counter")
        // Buckets in seconds: a 10 ms bucket and a 30 s one, not the library's milliseconds default.
        let buckets = Set(
            idle.samples.filter { $0.name == "jobwatch_poll_duration_seconds_bucket" }.compactMap {
                $0.labels["le"].flatMap { $0 == "+Inf" ? Double.infinity : Double($0) }
            })
        #expect(buckets.contains(0.01) && buckets.contains(30) && buckets.contains(.infinity), "\(buckets)")

        // Two jobs: one succeeds, one meets a throttle and a 500 first, then fails.
        let good = try cloud.add("imsCreateImageByInstance", api: .ims, durationMillis: 1500)
        let bad = try cloud.add(
            "ims-fail", api: .imsProject, durationMillis: 2000,
            faults: [
                SimulatedFault(.throttled, count: 1, retryAfterSeconds: 1),
                SimulatedFault(.serverError, count: 1),
            ])
        #expect(try await sandbox.runAsync(["register", good, "--api", "ims"]).status == 0)
        #expect(try await sandbox.runAsync(["register", bad, "--api", "ims-project"]).status == 0)
        #expect(try await sandbox.runAsync(["wait", good, bad, "--timeout", "30s"]).status == 1)
        #expect(try await eventually { cloud.receiver.requests.count >= 2 })

        var busy = try await scrape(base + "/metrics")
        #expect(
            try await eventually {
                busy = try await scrape(base + "/metrics")
                return busy.value("jobwatch_deliveries_total", ["sink": "ops", "result": "delivered"]) == 2
            })
        #expect(busy.value("jobwatch_polls_total", ["api": "ims", "outcome": "changed"]) ?? 0 >= 2)
        #expect(busy.value("jobwatch_polls_total", ["api": "ims-project", "outcome": "throttled"]) == 1)
        #expect(busy.value("jobwatch_polls_total", ["api": "ims-project", "outcome": "server_error"]) == 1)
        let imsPolls = busy.sum("jobwatch_polls_total", ["api": "ims"])
        #expect(imsPolls >= 2)
        #expect(busy.value("jobwatch_poll_duration_seconds_count", ["api": "ims"]) == imsPolls)
        #expect(busy.value("jobwatch_poll_duration_seconds_sum", ["api": "ims"]) ?? -1 > 0)
        #expect(busy.value("jobwatch_events_total", ["type": "jobwatch.job.succeeded"]) == 1)
        #expect(busy.value("jobwatch_events_total", ["type": "jobwatch.job.failed"]) == 1)
        // The CLI's registrations since the daemon started, from the event log.
        #expect(busy.value("jobwatch_events_total", ["type": "jobwatch.job.registered"]) == 2)
        #expect(busy.value("jobwatch_jobs", ["tracking": "done"]) == 2)
        #expect(busy.value("jobwatch_jobs", ["tracking": "active"]) == 0)
        #expect(busy.value("jobwatch_deliveries_total", ["sink": "stdout", "result": "delivered"]) ?? 0 >= 4)
        #expect(busy.value("jobwatch_outbox_pending", ["sink": "ops"]) == 0)
        // No label carries a job id, the AK or a URL.
        for sample in busy.samples {
            for value in sample.labels.values {
                #expect(![good, bad, CloudFixture.accessKey].contains(where: value.contains), "\(sample)")
                #expect(!value.contains("://") && !value.contains("127.0.0.1"), "\(sample)")
            }
        }

        // A receiver that fails: failed, then dead, counted per sink.
        cloud.receiver.respond { _ in .text(503, "down") }
        try (config.replacingOccurrences(of: "max_attempts: 50", with: "max_attempts: 2")).write(
            toFile: sandbox.config, atomically: true, encoding: .utf8)
        daemon.signal(SIGHUP)
        #expect(try await eventually { daemon.stderr.contains("configuration reloaded") })
        let third = try cloud.add("imsNativeExportImageJob", api: .ims, durationMillis: 500)
        #expect(try await sandbox.runAsync(["register", third, "--api", "ims"]).status == 0)
        #expect(
            try await eventually {
                let now = try await scrape(base + "/metrics")
                return now.value("jobwatch_deliveries_total", ["sink": "ops", "result": "dead"]) == 1
                    && now.value("jobwatch_deliveries_total", ["sink": "ops", "result": "failed"]) == 1
            })

        #expect(!daemon.stderr.contains("metrics.listen changed"), "that reload left metrics alone")

        // A reload cannot move the listener: it says so and keeps serving.
        try cloud.config().write(toFile: sandbox.config, atomically: true, encoding: .utf8)
        daemon.signal(SIGHUP)
        #expect(try await eventually { daemon.stderr.contains("metrics.listen changed") })

        // /healthz answers 200 while the daemon works; other paths 404.
        let health = try await get(base + "/healthz")
        #expect(health.0 == 200 && health.1.hasPrefix("ok"), "\(health)")
        #expect(try await get(base + "/").0 == 404)
        await daemon.stop()
        #expect(daemon.process.terminationStatus == 0)
        #expect(!daemon.stderr.contains(CloudFixture.secretKey))
    }

    @Test func aPortThatIsTakenExits69AndMetricsAreOffByDefault() async throws {
        let cloud = try await CloudFixture()
        defer { Task { await cloud.shutdown() } }
        let holder = try await LoopbackHTTPServer.start(port: 0) { _ in .text(200, "mine") }
        defer { Task { await holder.shutdown() } }
        let sandbox = try Sandbox(config: cloud.config() + "\nmetrics:\n  listen: 127.0.0.1:\(holder.port)\n")
        let daemon = try DaemonProcess(sandbox: sandbox, environment: CloudFixture.environment)
        #expect(await daemon.waitForExit(timeout: .seconds(15)) == 69)
        let lines = daemon.stderr.split(separator: "\n").filter { $0.contains("jobwatch:") }
        #expect(lines.count == 1 && lines.first?.contains("cannot listen on metrics.listen 127.0.0.1:") == true)

        let remote = try Sandbox(config: cloud.config() + "\nmetrics:\n  listen: 0.0.0.0:9464\n")
        let refused = try await remote.runAsync(["config", "check"])
        #expect(refused.status == 78 && refused.stderr.contains("metrics.allow_remote: true"))

        // Off by default: the daemon does not listen.
        let plain = try Sandbox(config: cloud.config())
        let quiet = try DaemonProcess(sandbox: plain, environment: CloudFixture.environment)
        #expect(try await eventually { quiet.stderr.contains("is polling") })
        #expect(!quiet.stderr.contains("serving metrics"))
        await quiet.stop()
    }
}
