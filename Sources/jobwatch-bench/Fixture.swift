import Foundation
import GRDB
import JobwatchCore
import JobwatchSimulator
import JobwatchStore
import Logging
import Synchronization

#if canImport(Glibc)
import Glibc
#endif

/// The simulated cloud (in this process, on loopback) and, when asked, a webhook receiver that records
/// when each event arrived.
final class Cloud: Sendable {
    static let accessKey = "BENCHACCESSKEY"
    static let secretKey = "bench-secret-key"
    static let projectID = "0123456789abcdef0123456789abcdef"

    let simulator: Simulator
    let server: LoopbackHTTPServer
    let receiver: WebhookReceiver?

    /// Requests being answered now, and the most at once since the last `reset()`.
    let inFlight = InFlightGauge()

    /// `answerDelayMillis`: every answer waits that long first (a cloud that answers in tens of ms).
    init(withReceiver: Bool, answerDelayMillis: Int = 0) async throws {
        var logger = Logger(label: "bench.simulator")
        logger.logLevel = .error
        // Signed requests, verified by the simulator as the gateway would: the real per-request cost.
        let simulator = Simulator(
            options: SimulatorOptions(credentials: [Self.accessKey: Self.secretKey]), logger: logger)
        self.simulator = simulator
        let gauge = inFlight
        server = try await LoopbackHTTPServer.start(host: "127.0.0.1", port: 0) { request in
            gauge.enter()
            defer { gauge.leave() }
            if answerDelayMillis > 0 { try? await Task.sleep(for: .milliseconds(answerDelayMillis)) }
            return await simulator.handle(request)
        }
        receiver = withReceiver ? try await WebhookReceiver.start() : nil
    }

    func shutdown() async {
        await server.shutdown()
        await receiver?.server.shutdown()
    }

    /// Adds IMS jobs with the given ids, all RUNNING at once (no INIT phase) for `durationMillis`.
    func addJobs(_ ids: [String], durationMillis: Int64) throws {
        var start = 0
        while start < ids.count {
            let slice = ids[start..<min(start + 10_000, ids.count)]
            try simulator.add(
                contentsOf: slice.map {
                    SimulatedJobSpec(api: .ims, jobID: $0, durationMillis: durationMillis, initMillis: 0)
                })
            start += slice.count
        }
    }

    /// Total polls the simulator answered for these jobs.
    func polls(_ ids: [String]) -> Int {
        ids.reduce(0) { $0 + simulator.pollCount(jobID: $1) }
    }
}

/// One received webhook request.
struct Received: Sendable {
    var subject: String
    var type: String
    /// The CloudEvent's `time` (the moment the daemon recorded the poll), ms since 1970.
    var eventTimeMillis: Double?
    var receivedAtMillis: Double
}

/// A loopback webhook receiver that stamps each request on arrival (before parsing) and answers 200.
final class WebhookReceiver: Sendable {
    let server: LoopbackHTTPServer
    private let received: Mutex<[Received]>

    private init(server: LoopbackHTTPServer) {
        self.server = server
        received = Mutex([])
    }

    static func start() async throws -> WebhookReceiver {
        let box = Box()
        let server = try await LoopbackHTTPServer.start(host: "127.0.0.1", port: 0) { request in
            let at = wallMillis()
            box.receiver?.record(request, at: at)
            return .text(200, "ok")
        }
        let receiver = WebhookReceiver(server: server)
        box.receiver = receiver
        return receiver
    }

    var url: String { server.baseURL + "/hooks/bench" }
    var all: [Received] { received.withLock { $0 } }

    private func record(_ request: ServerRequest, at: Double) {
        guard let object = try? JSONSerialization.jsonObject(with: Data(request.body)) as? [String: Any] else { return }
        let item = Received(
            subject: object["subject"] as? String ?? "", type: object["type"] as? String ?? "",
            eventTimeMillis: (object["time"] as? String).flatMap(CloudTime.parseMillis).map(Double.init),
            receivedAtMillis: at)
        received.withLock { $0.append(item) }
    }

    private final class Box: @unchecked Sendable {
        var receiver: WebhookReceiver?
    }
}

/// A scratch directory with a configuration file and a database for one daemon.
struct Sandbox: Sendable {
    let directory: URL
    var database: String { directory.appendingPathComponent("jobwatch.sqlite").path }
    var config: String { directory.appendingPathComponent("config.yaml").path }
    var stderrLog: String { directory.appendingPathComponent("daemon.log").path }

    init(name: String) throws {
        directory = URL(fileURLWithPath: "/tmp").appendingPathComponent(
            "jobwatch-bench-\(name)-\(UUID().uuidString.prefix(8))")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    }

    func remove() { try? FileManager.default.removeItem(at: directory) }

    struct Polling {
        var initial = "1s"
        var max = "1s"
        var jitter = 0.0
        var maxInFlight = 64
        var requestsPerSecond = 100_000.0
    }

    /// `passwordVariable`: the environment variable holding the PostgreSQL password (`database_password_env`).
    func writeConfig(cloud: Cloud, polling: Polling, webhook: String? = nil, passwordVariable: String? = nil) throws {
        var text = """
            log_level: info
            accounts:
              default:
                region: bench-1
                project_id: \(Cloud.projectID)
                ak: \(Cloud.accessKey)
                sk: \(Cloud.secretKey)
                endpoints:
                  ims: \(cloud.server.baseURL)
                  workspace: \(cloud.server.baseURL)
            polling:
              initial_interval: \(polling.initial)
              max_interval: \(polling.max)
              multiplier: 1.5
              jitter: \(polling.jitter)
              max_in_flight: \(polling.maxInFlight)
              requests_per_second: \(polling.requestsPerSecond)
              request_timeout: 10s
              deadline: 72h
            sinks:
              stdout:
                enabled: true
                events: terminal

            """
        if let passwordVariable { text += "database_password_env: \(passwordVariable)\n" }
        if let webhook {
            text += """
                  webhooks:
                    - name: bench
                      url: \(webhook)
                      secret: whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw
                      events: terminal
                      timeout: 5s

                """
        }
        try text.write(toFile: config, atomically: true, encoding: .utf8)
    }

    /// Registers the jobs through `JobStore.registerJobs` (one transaction, as `jobwatch register` leaves
    /// them: active, never polled, each with its registered event), the first poll of job `i` planned at
    /// `nextPollAt(i)`. The sandbox's sinks take terminal events only, so the registered events get no
    /// deliveries.
    func prepareDatabase(jobIDs: [String], nextPollAt: (Int) -> Int64) async throws {
        let now = nowMillis()
        let registrations = jobIDs.enumerated().map { index, id in
            Registration(
                jobID: id, api: .ims, account: "default", region: "bench-1", projectID: nil, labels: [:], sinks: nil,
                deadlineAtMillis: now + 72 * 3_600_000, firstPollAtMillis: nextPollAt(index))
        }
        _ = try await JobStore(path: database).registerJobs(registrations, sinks: [], nowMillis: now)
    }
}

/// Deterministic, distinct 32-hex-digit IMS job ids.
func benchJobIDs(_ count: Int, prefix: String) -> [String] {
    (0..<count).map { index in
        let tail = String(index, radix: 16)
        return prefix + String(repeating: "0", count: 32 - prefix.count - tail.count) + tail
    }
}

/// A running `jobwatch daemon` process (the release binary), stdout to /dev/null, stderr to a file.
final class DaemonProcess: @unchecked Sendable {
    let process: Process
    let notify: NotifySocket
    /// Monotonic seconds just before the spawn.
    let spawnedAt: Double
    var pid: Int32 { process.processIdentifier }

    /// `database`: the `--db` argument (default: the sandbox's SQLite file); `environment`: added variables.
    init(
        binary: URL, sandbox: Sandbox, database: String? = nil, environment extra: [String: String] = [:]
    ) throws {
        notify = try NotifySocket(directory: sandbox.directory)
        let process = Process()
        process.executableURL = binary
        process.arguments = ["daemon", "--config", sandbox.config, "--db", database ?? sandbox.database]
        process.environment = [
            "HOME": sandbox.directory.path, "PATH": "/usr/bin:/bin", "LANG": "C.UTF-8", "NOTIFY_SOCKET": notify.path,
        ].merging(extra) { $1 }
        process.standardOutput = FileHandle(forWritingAtPath: "/dev/null")
        if !FileManager.default.fileExists(atPath: sandbox.stderrLog) {
            FileManager.default.createFile(atPath: sandbox.stderrLog, contents: nil)
        }
        let log = FileHandle(forWritingAtPath: sandbox.stderrLog)
        log?.seekToEndOfFile()
        process.standardError = log
        self.process = process
        spawnedAt = monotonicSeconds()
        try process.run()
    }

    /// Seconds from spawn to READY=1; throws when it does not come within `timeout`.
    func waitReady(timeout: Double = 30) async throws -> Double {
        let notify = self.notify
        guard let at = try await offloaded({ notify.waitFor("READY=1", timeout: timeout) }) else {
            throw BenchError("the daemon (pid \(pid)) sent no READY=1 within \(Int(timeout)) s; see its log")
        }
        return at - spawnedAt
    }

    var cpuSeconds: Double { ProcStats.cpuSeconds(pid: pid) ?? .nan }
    var peakRSSMiB: Double { ProcStats.peakRSSMiB(pid: pid) ?? .nan }

    /// SIGTERM, then SIGKILL after 15 s; returns the exit status.
    @discardableResult
    func stop() async -> Int32 {
        if process.isRunning { kill(pid, SIGTERM) }
        let deadline = monotonicSeconds() + 15
        while process.isRunning && monotonicSeconds() < deadline { await sleep(seconds: 0.02) }
        if process.isRunning {
            kill(pid, SIGKILL)
            while process.isRunning { await sleep(seconds: 0.02) }
        }
        return process.terminationStatus
    }
}

/// Per-job schedule columns, read from the database the daemon writes (WAL: a reader never blocks it).
struct ScheduleRow: Sendable {
    var polls: Int
    var lastPolledAt: Int64?
    var nextPollAt: Int64?
}

final class ScheduleReader: Sendable {
    private let queue: DatabaseQueue

    init(path: String) throws {
        var configuration = GRDB.Configuration()
        configuration.readonly = true
        configuration.busyMode = .timeout(5)
        queue = try DatabaseQueue(path: path, configuration: configuration)
    }

    func snapshot() throws -> [Int64: ScheduleRow] {
        try queue.read { db in
            var rows: [Int64: ScheduleRow] = [:]
            let cursor = try Row.fetchCursor(
                db, sql: "SELECT id, polls, last_polled_at, next_poll_at FROM job WHERE tracking = 'active'")
            while let row = try cursor.next() {
                rows[row["id"]] = ScheduleRow(
                    polls: row["polls"], lastPolledAt: row["last_polled_at"], nextPollAt: row["next_poll_at"])
            }
            return rows
        }
    }

    func totalPolls() throws -> Int {
        try queue.read { db in try Int.fetchOne(db, sql: "SELECT COALESCE(SUM(polls), 0) FROM job") ?? 0 }
    }

    func unpolledJobs() throws -> Int {
        try queue.read { db in
            try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM job WHERE tracking = 'active' AND polls = 0") ?? 0
        }
    }

    func close() { try? queue.close() }
}

/// Scheduling lag from consecutive snapshots: for each job polled exactly once in between, the moment the
/// poll was recorded (`last_polled_at`) minus the moment it had been planned for (the earlier `next_poll_at`).
func lags(from before: [Int64: ScheduleRow], to after: [Int64: ScheduleRow]) -> [Double] {
    var result: [Double] = []
    for (id, old) in before {
        guard let new = after[id], new.polls == old.polls + 1, let planned = old.nextPollAt,
            let actual = new.lastPolledAt
        else { continue }
        result.append(Double(actual - planned))
    }
    return result
}
