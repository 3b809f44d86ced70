import Foundation
import JobwatchCore
import JobwatchTestKit
import Testing

/// SIGTERM ends the daemon with status 0 within the contract's 10 s whatever its peers do (CONTRACT §5):
/// another process holding the database's write lock, a webhook receiver that never answers, a cloud
/// endpoint that trickles its body. And a poll or delivery cut short by the shutdown is not recorded as a
/// failure.
@Suite(.serialized) struct ShutdownTests {
    func json(_ text: String) -> [String: Any]? {
        try? JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any]
    }

    /// Sends SIGTERM and returns the exit status (nil: still running after 20 s) and how long it took.
    func terminate(_ daemon: DaemonProcess) async -> (status: Int32?, elapsed: Duration) {
        let start = ContinuousClock.now
        daemon.signal(SIGTERM)
        let status = await daemon.waitForExit(timeout: .seconds(20))
        let elapsed = start.duration(to: .now)
        if status == nil { await daemon.stop() }
        return (status, elapsed)
    }

    /// A configuration whose only account polls `cloudURL` and whose webhook posts to `webhookURL`.
    func config(cloudURL: String, webhookURL: String, requestTimeout: String, webhookTimeout: String) -> String {
        """
        log_level: debug
        \(CloudFixture.accountsYAML(endpoint: cloudURL))
        polling:
          initial_interval: 200ms
          max_interval: 600ms
          jitter: 0.1
          requests_per_second: 500
          request_timeout: \(requestTimeout)
        sinks:
          stdout:
            events: all
          webhooks:
            - name: ops
              url: \(webhookURL)
              events: all
              timeout: \(webhookTimeout)
              retry_initial: 200ms
              retry_max: 1s
        """
    }

    /// Also: the watchdog keeps being fed while the lock is held, because waiting for another process's
    /// lock is not a scheduler that makes no progress (systemd would otherwise restart a healthy daemon).
    @Test func sigtermExitsWithinTenSecondsWhileAnotherProcessHoldsTheWriteLock() async throws {
        let cloud = try await CloudFixture()
        defer { Task { await cloud.shutdown() } }
        let sandbox = try Sandbox(config: cloud.config())
        var ids: [String] = []
        for _ in 0..<3 {
            ids.append(try cloud.add("imsCreateImageByInstance", api: .ims, durationMillis: 600_000))
        }
        for id in ids { #expect(try await sandbox.runAsync(["register", id, "--api", "ims"]).status == 0) }
        let socket = try NotifySocket(directory: sandbox.directory)
        let daemon = try DaemonProcess(
            sandbox: sandbox,
            environment: CloudFixture.environment.merging(["NOTIFY_SOCKET": socket.path, "WATCHDOG_USEC": "1000000"]) {
                $1
            })
        let ready = await socket.receive(until: { $0.contains("READY=1") }, timeout: .seconds(15))
        #expect(ready.contains { $0.contains("READY=1") }, "\(daemon.stderr)")
        // Polling and recording: the first job polled twice.
        #expect(
            try await eventually {
                let shown = self.json(try await sandbox.runAsync(["show", ids[0], "--json"]).stdout)
                return (shown?["polls"] as? Int ?? 0) >= 2
            })
        let lock = try await PeerProcess.lockHolder(database: sandbox.database)
        defer { lock.stop() }
        // Every job's next poll now waits on the lock (polls come every 200–600 ms); the watchdog, every
        // 500 ms, keeps being fed.
        let duringLock = await socket.receive(until: { _ in false }, timeout: .seconds(3))
        #expect(duringLock.filter { $0.contains("WATCHDOG=1") }.count >= 4, "\(duringLock)")
        let (status, elapsed) = await terminate(daemon)
        #expect(status == 0)
        #expect(elapsed < .seconds(10), "SIGTERM took \(elapsed) with the write lock held by another process")
    }

    @Test func sigtermExitsWithinTenSecondsWhileAReceiverNeverAnswersAndTheDeliveryStaysPending() async throws {
        let cloud = try await CloudFixture()
        defer { Task { await cloud.shutdown() } }
        let (receiver, port) = try await PeerProcess.stallingServer(readRequests: false)
        defer { receiver.stop() }
        let sandbox = try Sandbox(
            config: config(
                cloudURL: cloud.server.baseURL, webhookURL: "http://127.0.0.1:\(port)/hook", requestTimeout: "5s",
                webhookTimeout: "60s"))
        let id = try cloud.add("imsCreateImageByInstance", api: .ims, durationMillis: 600_000)
        #expect(try await sandbox.runAsync(["register", id, "--api", "ims"]).status == 0)
        let daemon = try DaemonProcess(sandbox: sandbox, environment: CloudFixture.environment)
        // The registered event goes to the receiver, which accepts the connection and never answers.
        #expect(
            try await eventually { daemon.stderr.contains("job is INIT") || daemon.stderr.contains("job is RUNNING") })
        try await Task.sleep(for: .seconds(1))
        let (status, elapsed) = await terminate(daemon)
        #expect(status == 0)
        #expect(elapsed < .seconds(10), "SIGTERM took \(elapsed) with a receiver that never answers")
        // Cut short by the shutdown: not an attempt. The deliveries wait for the next start.
        let deliveries = try await sandbox.runAsync(["deliveries", "--json"]).stdout
        let rows = try #require(try JSONSerialization.jsonObject(with: Data(deliveries.utf8)) as? [[String: Any]])
        let webhook = rows.filter { $0["sink"] as? String == "ops" }
        #expect(!webhook.isEmpty)
        #expect(webhook.allSatisfy { $0["state"] as? String == "pending" && $0["attempts"] as? Int == 0 })
    }

    @Test func sigtermExitsWithinTenSecondsWhileTheCloudTricklesABodyAndThePollIsNotAFailure() async throws {
        let receiver = try await WebhookReceiver.start()
        defer { Task { await receiver.shutdown() } }
        let (trickler, port) = try await PeerProcess.stallingServer(readRequests: true, intervalMillis: 200)
        defer { trickler.stop() }
        let sandbox = try Sandbox(
            config: config(
                cloudURL: "http://127.0.0.1:\(port)", webhookURL: receiver.url, requestTimeout: "30s",
                webhookTimeout: "5s"))
        let id = "9a175ac79d2a54ad019d2d11f02349b4"
        #expect(try await sandbox.runAsync(["register", id, "--api", "ims"]).status == 0)
        let daemon = try DaemonProcess(sandbox: sandbox, environment: CloudFixture.environment)
        // The daemon is polling: its first request is under way, its body arriving a byte at a time.
        #expect(try await eventually { daemon.stderr.contains("jobwatch daemon is polling") })
        try await Task.sleep(for: .seconds(2))
        let (status, elapsed) = await terminate(daemon)
        #expect(status == 0)
        #expect(elapsed < .seconds(10), "SIGTERM took \(elapsed) while the cloud trickled a body")
        let shown = try #require(json(try await sandbox.runAsync(["show", id, "--json"]).stdout))
        #expect(shown["polls"] as? Int == 0)
        #expect(!daemon.stderr.contains("poll failed"))
    }

    /// `request_timeout` bounds the whole exchange: a body that keeps trickling in (each byte well within
    /// the read timeout) ends the request at the timeout.
    @Test func requestTimeoutBoundsATricklingBody() async throws {
        let receiver = try await WebhookReceiver.start()
        defer { Task { await receiver.shutdown() } }
        let (trickler, port) = try await PeerProcess.stallingServer(readRequests: true, intervalMillis: 200)
        defer { trickler.stop() }
        let sandbox = try Sandbox(
            config: config(
                cloudURL: "http://127.0.0.1:\(port)", webhookURL: receiver.url, requestTimeout: "1s",
                webhookTimeout: "5s"))
        let id = "9a175ac79d2a54ad019d2d11f02349b4"
        #expect(try await sandbox.runAsync(["register", id, "--api", "ims"]).status == 0)
        let daemon = try DaemonProcess(sandbox: sandbox, environment: CloudFixture.environment)
        let started = ContinuousClock.now
        // Each poll fails at the timeout and the daemon says so (before, the first request was still
        // reading its body a byte every 200 ms).
        let timedOut = await eventually(timeout: .seconds(15)) {
            daemon.stderr.split(separator: "\n").filter {
                $0.contains("poll failed") && $0.contains("timed out after 1000 ms")
            }
            .count >= 2
        }
        let elapsed = started.duration(to: .now)
        await daemon.stop()
        #expect(timedOut, "daemon log: \(daemon.stderr.suffix(2000))")
        #expect(elapsed < .seconds(10))
    }
}
