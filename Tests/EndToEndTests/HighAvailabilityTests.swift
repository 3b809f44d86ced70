import Foundation
import JobwatchConfig
import JobwatchCore
import JobwatchPostgres
import JobwatchSimulator
import JobwatchStore
import JobwatchTestKit
import Logging
import PostgresTestCluster
import Synchronization
import Testing

/// The simulated cloud behind a recorder of every job request's arrival time (the rate limit is counted at
/// the cloud, as the gateway would), a webhook receiver, and a fresh PostgreSQL database.
final class HACloud: Sendable {
    let simulator: Simulator
    let server: LoopbackHTTPServer
    let receiver: WebhookReceiver
    let database: (url: String, user: String, password: String, database: String)
    let cluster: PostgresTestCluster
    private let box: ArrivalBox

    /// `cluster`: the shared plain one unless given (the TLS tests give the TLS cluster).
    init(cluster: PostgresTestCluster? = nil) async throws {
        (self.cluster, database) = try await PostgresTestCluster.sharedWithDatabase {
            try cluster ?? PostgresTestCluster.shared()
        }
        let simulator = Simulator(
            options: SimulatorOptions(credentials: [CloudFixture.accessKey: CloudFixture.secretKey]),
            logger: Logger(label: "e2e.simulator"))
        self.simulator = simulator
        let box = ArrivalBox()
        server = try await LoopbackHTTPServer.start(port: 0) { request in
            if !request.path.hasPrefix("/_simulator") { box.record(request.path) }
            return await simulator.handle(request)
        }
        receiver = try await WebhookReceiver.start()
        self.box = box
    }

    /// Job requests (not admin calls) the cloud received, in arrival order.
    var requests: [(at: ContinuousClock.Instant, path: String)] { box.all }

    func shutdown() async {
        await server.shutdown()
        await receiver.shutdown()
    }

    func config(requestsPerSecond: Int) -> String {
        """
        log_level: info
        database: \(database.url)
        database_password_env: JOBWATCH_E2E_DB_PASSWORD
        \(CloudFixture.accountsYAML(endpoint: server.baseURL))
        polling:
          initial_interval: 200ms
          max_interval: 600ms
          jitter: 0.1
          requests_per_second: \(requestsPerSecond)
          max_in_flight: 32
          request_timeout: 2s
        sinks:
          stdout:
            events: terminal
          webhooks:
            - name: ops
              url: \(receiver.url)
              events: terminal
              retry_initial: 200ms
              retry_max: 1s
              max_attempts: 50
        """
    }

    var environment: [String: String] {
        CloudFixture.environment.merging(["JOBWATCH_E2E_DB_PASSWORD": database.password]) { $1 }
    }

    /// Runs SQL on the test database as the superuser; one row per line, columns separated by `|`.
    func sql(_ text: String) throws -> [String] {
        try cluster.psql(text, database: database.database).split(separator: "\n").map(String.init)
    }
}

private final class ArrivalBox: Sendable {
    private let state = Mutex<[(at: ContinuousClock.Instant, path: String)]>([])
    func record(_ path: String) { state.withLock { $0.append((ContinuousClock.now, path)) } }
    var all: [(at: ContinuousClock.Instant, path: String)] { state.withLock { $0 } }
}

/// Several real daemons on one PostgreSQL database (CONTRACT §7).
@Suite(.serialized) struct HighAvailabilityTests {
    /// The job mix: kind, api, verdict.
    static let kinds: [(kind: String, api: JobAPI, status: String)] = [
        ("imsCreateImageByInstance", .ims, "SUCCESS"), ("ims-fail", .ims, "FAIL"),
        ("imsImportOvaImageJob", .imsProject, "SUCCESS"), ("workspace-success", .workspace, "SUCCESS"),
        // The Workspace job fails (FAIL) while its sub-job goes ROLLBACK → ABNORMAL.
        ("workspace-abnormal", .workspace, "FAIL"),
    ]

    func addJobs(_ cloud: HACloud, count: Int) throws -> [(id: String, api: JobAPI, status: String)] {
        try addJobs(cloud, specs: specs(count: count))
    }

    /// The job mix with ids chosen here (32 hex digits for IMS, 18 digits for Workspace), so they can be
    /// registered before the cloud starts them.
    func specs(count: Int) -> [SimulatedJobSpec] {
        (0..<count).map { index in
            let kind = Self.kinds[index % Self.kinds.count]
            let id =
                kind.api == .workspace
                ? String(format: "7%017d", index)
                : UUID().uuidString.replacingOccurrences(of: "-", with: "").lowercased()
            return SimulatedJobSpec(
                api: kind.api, kind: kind.kind, jobID: id, projectID: kind.api == .ims ? nil : CloudFixture.projectID,
                durationMillis: 6000 + Int64(index % 10) * 1000, initMillis: 1000)
        }
    }

    func addJobs(_ cloud: HACloud, specs: [SimulatedJobSpec]) throws -> [(id: String, api: JobAPI, status: String)] {
        let ids = try cloud.simulator.add(contentsOf: specs)
        return zip(ids, specs).map { id, spec in
            (id, spec.api, Self.kinds.first { $0.kind == spec.kind }?.status ?? "?")
        }
    }

    /// Registers the jobs (due in an hour), starts them in the cloud, then makes them all due now and wakes
    /// the daemons: however long registering takes on a loaded machine, polling and the jobs' lifecycles
    /// begin together, the same way for one daemon and for three.
    func startJobs(_ cloud: HACloud, count: Int) async throws -> [(id: String, api: JobAPI, status: String)] {
        let specs = specs(count: count)
        let planned = specs.map { spec in
            (id: spec.jobID ?? "", api: spec.api, status: Self.kinds.first { $0.kind == spec.kind }?.status ?? "?")
        }
        try await registerAtOnce(cloud, planned)
        let jobs = try addJobs(cloud, specs: specs)
        _ = try cloud.sql(
            """
            UPDATE job SET next_poll_at = (extract(epoch from clock_timestamp()) * 1000)::bigint;
            NOTIFY jobwatch_changes
            """)
        return jobs
    }

    func register(_ sandbox: PostgresSandbox, _ jobs: [(id: String, api: JobAPI, status: String)]) async throws {
        try await withThrowingTaskGroup(of: Int32.self) { group in
            var pending = jobs[...]
            var running = 0
            while !pending.isEmpty || running > 0 {
                while running < 6, let job = pending.popFirst() {
                    group.addTask { try await sandbox.run(["register", job.id, "--api", job.api.rawValue]).status }
                    running += 1
                }
                if let status = try await group.next() {
                    running -= 1
                    #expect(status == 0)
                }
            }
        }
    }

    /// Registers many jobs at once through the store, as `register` does for one (the CLI's own path is
    /// tested on its own below); with the `stdout` and `ops` sinks of the configuration.
    func registerAtOnce(_ cloud: HACloud, _ jobs: [(id: String, api: JobAPI, status: String)]) async throws {
        let url = try PostgresURL.parse(cloud.database.url).get()
        let store = try await PostgresJobStore.open(url: url, password: cloud.database.password)
        let now = Int64(Date().timeIntervalSince1970 * 1000)
        _ = try await store.registerJobs(
            jobs.map { job in
                Registration(
                    jobID: job.id, api: job.api, account: "default", region: "test-1",
                    projectID: CloudFixture.projectID, labels: [:],
                    sinks: nil, deadlineAtMillis: now + 7_200_000, firstPollAtMillis: now + 3_600_000)
            },
            sinks: [
                SinkSubscription(name: "stdout", filter: .terminal), SinkSubscription(name: "ops", filter: .terminal),
            ],
            nowMillis: now)
        await store.close()
    }

    /// Waits until every daemon has opened the database and started its schedulers (its READY=1 moment).
    func waitUntilServing(_ daemons: [DaemonProcess]) async throws {
        #expect(
            await eventually(timeout: .seconds(60)) {
                daemons.allSatisfy { $0.stderr.contains("jobwatch daemon is polling") }
            })
    }

    /// Job polls per sliding window: the largest count in any `window` starting at a request.
    func maxPerWindow(_ times: [ContinuousClock.Instant], window: Duration) -> Int {
        var best = 0
        var start = 0
        for end in times.indices {
            while times[end] - times[start] >= window { start += 1 }
            best = max(best, end - start + 1)
        }
        return best
    }

    @Test func threeDaemonsShareTheWorkSurviveAKillAndAStopAndHoldTheRateLimit() async throws {
        let rate = 20
        // The baseline: one daemon, the same mix, its own database and cloud.
        let baselinePolls: Int
        let baselineStarted = ContinuousClock.now
        do {
            let cloud = try await HACloud()
            let sandbox = try PostgresSandbox(cloud: cloud, requestsPerSecond: rate)
            // The jobs start when the daemons are up, so both runs see the same lifecycles.
            let daemon = try sandbox.daemon()
            try await waitUntilServing([daemon])
            _ = try await startJobs(cloud, count: 300)
            #expect(try await eventually(timeout: .seconds(90)) { try sandbox.activeJobs() == 0 })
            await daemon.stop()
            baselinePolls = cloud.requests.count
            await cloud.shutdown()
        }

        let baselineTime = ContinuousClock.now - baselineStarted
        let cloud = try await HACloud()
        defer { Task { await cloud.shutdown() } }
        let sandbox = try PostgresSandbox(cloud: cloud, requestsPerSecond: rate)
        let daemons = try (0..<3).map { _ in try sandbox.daemon() }
        try await waitUntilServing(daemons)
        let jobs = try await startJobs(cloud, count: 300)
        let started = ContinuousClock.now
        // Mid-run: one daemon dies at once, another is stopped cleanly.
        #expect(try await eventually(timeout: .seconds(30)) { try sandbox.doneJobs() >= 60 })
        daemons[0].signal(SIGKILL)
        let killedAt = ContinuousClock.now
        _ = await daemons[0].waitForExit(timeout: .seconds(5))
        #expect(try await eventually(timeout: .seconds(30)) { try sandbox.doneJobs() >= 150 })
        daemons[1].signal(SIGTERM)
        #expect(await daemons[1].waitForExit(timeout: .seconds(10)) == 0)
        #expect(try await eventually(timeout: .seconds(90)) { try sandbox.activeJobs() == 0 })
        let finishedAfterKill = ContinuousClock.now - killedAt

        // Every job has its verdict, and exactly one terminal event.
        let list = try await sandbox.run(["list", "--tracking", "all", "--json"])
        #expect(list.status == 0)
        let records = try #require(try JSONSerialization.jsonObject(with: Data(list.stdout.utf8)) as? [[String: Any]])
        let statusByID = Dictionary(
            uniqueKeysWithValues: records.map { ($0["job_id"] as? String ?? "", $0["status"] as? String ?? "") })
        #expect(records.count == 300)
        for job in jobs { #expect(statusByID[job.id] == job.status, "job \(job.id)") }
        let terminal = try cloud.sql(
            """
            SELECT id, job_row FROM event WHERE type IN ('jobwatch.job.succeeded', 'jobwatch.job.failed',
                'jobwatch.job.abnormal', 'jobwatch.job.expired', 'jobwatch.job.not_found')
            """)
        #expect(terminal.count == 300)
        #expect(Set(terminal.map { $0.split(separator: "|")[1] }).count == 300)
        // Each reached the webhook at least once.
        let terminalIDs = Set(terminal.map { String($0.split(separator: "|")[0]) })
        #expect(
            try await eventually(timeout: .seconds(30)) {
                terminalIDs.isSubset(of: Set(cloud.receiver.requests.compactMap { $0.header("webhook-id") }))
            })
        // stdout: every terminal event printed, by one daemon only (a line may repeat only if the daemon
        // killed mid-batch printed it before it could record it).
        await daemons[2].stop()
        var printers: [String: Set<Int>] = [:]
        for (index, daemon) in daemons.enumerated() {
            for event in daemon.events { printers[event["id"] as? String ?? "", default: []].insert(index) }
        }
        #expect(terminalIDs.isSubset(of: Set(printers.keys)))
        #expect(printers.values.filter { $0.count > 1 && !$0.contains(0) }.isEmpty)

        // No more polls than one daemon made, give or take 20 %.
        let polls = cloud.requests.count
        #expect(Double(polls) <= Double(baselinePolls) * 1.2, "polls \(polls) vs one daemon's \(baselinePolls)")
        // The account's rate held for all daemons together: one second's burst at most, then the rate.
        let times = cloud.requests.map(\.at)
        let perSecond = maxPerWindow(times, window: .seconds(1))
        let perFiveSeconds = maxPerWindow(times, window: .seconds(5))
        // The pacing allows one second's burst plus the rate (2 × rate in any second, 6 × rate in five); on
        // a starved CPU a daemon may send a few requests late, bunched, hence the margins. Three daemons
        // pacing on their own would send 3 × rate a second.
        #expect(Double(perSecond) <= 2.5 * Double(rate))
        #expect(perFiveSeconds <= 6 * rate + 10)
        print(
            "HA: 300 jobs, rate \(rate)/s: one daemon \(baselinePolls) polls in \(baselineTime); three "
                + "daemons (one killed,"
                + " one stopped) \(polls) polls in \(ContinuousClock.now - started), all done "
                + "\(finishedAfterKill) after"
                + " the kill; at most \(perSecond) requests in 1 s, \(perFiveSeconds) in 5 s")
        // The dead daemon's jobs were taken over within the contract's 30 s (then finished).
        #expect(finishedAfterKill < .seconds(60))
        let logs = daemons.map(\.stderr).joined()
        #expect(!logs.contains(cloud.database.password) && !logs.contains(CloudFixture.secretKey))
    }

    @Test func aJobRegisteredWhileDaemonsRunIsPolledWithinASecondAndTheCLIWorks() async throws {
        let cloud = try await HACloud()
        defer { Task { await cloud.shutdown() } }
        let sandbox = try PostgresSandbox(cloud: cloud, requestsPerSecond: 50)
        let daemons = try (0..<2).map { _ in try sandbox.daemon() }
        // Both daemons are up (their LISTEN in place) once a first job has been polled.
        let first = try addJobs(cloud, count: 1)
        try await register(sandbox, first)
        #expect(try await eventually(timeout: .seconds(20)) { !cloud.requests.isEmpty })
        try await Task.sleep(for: .milliseconds(500))
        let id = try cloud.simulator.add(
            SimulatedJobSpec(api: .ims, kind: "imsCreateImageByInstance", durationMillis: 60_000, initMillis: 1000))
        let registered = try await sandbox.run(["register", id, "--api", "ims", "--json"])
        #expect(registered.status == 0)
        let registeredAt = ContinuousClock.now
        #expect(try await eventually(timeout: .seconds(5)) { cloud.requests.contains { $0.path.hasSuffix(id) } })
        let firstPoll = try #require(cloud.requests.first { $0.path.hasSuffix(id) })
        #expect(firstPoll.at - registeredAt < .seconds(1))

        // The CLI against PostgreSQL: show, wait, events, deliveries, unregister.
        let shown = try await sandbox.run(["show", id])
        #expect(shown.status == 0 && shown.stdout.contains(id))
        #expect(try await sandbox.run(["wait", first[0].id]).status == 0)
        let events = try await sandbox.run(["events", "--json"])
        #expect(events.status == 0 && events.stdout.contains("jobwatch.job.registered"))
        #expect(try await sandbox.run(["deliveries", "--json"]).status == 0)
        #expect(try await sandbox.run(["unregister", id]).status == 0)
        #expect(try await sandbox.run(["show", id, "--json"]).stdout.contains("\"stopped\""))
        for daemon in daemons { await daemon.stop() }
        #expect(daemons.allSatisfy { $0.process.terminationStatus == 0 })
    }
}

extension HighAvailabilityTests {
    @Test func migrateStoreMovesASQLiteDatabaseToPostgreSQLAndTheCLIReadsItBack() async throws {
        let cloud = try await HACloud()
        defer { Task { await cloud.shutdown() } }
        // A SQLite database with a job and its registered event, made by the CLI.
        let sqlite = try Sandbox(config: "database_password_env: JOBWATCH_E2E_DB_PASSWORD\n")
        let environment = ["JOBWATCH_E2E_DB_PASSWORD": cloud.database.password]
        #expect(try await sqlite.runAsync(["register", "job-a", "--api", "ims", "--label", "team=x"]).status == 0)
        let before = try await sqlite.runAsync(["list", "--tracking", "all", "--json"]).stdout
        let eventsBefore = try await sqlite.runAsync(["events", "--json"]).stdout

        let copy = ["migrate-store", "--from", sqlite.database, "--to", cloud.database.url]
        let copied = try await sqlite.runAsync(copy, environment: environment)
        #expect(copied.status == 0, "\(copied.stderr)")
        #expect(copied.stdout.contains("1 job"))
        // The same records and events, read from PostgreSQL.
        let postgres: @Sendable ([String], [String: String]) async throws -> ProcessResult = { arguments, extra in
            try await spawnJobwatchAsync(
                arguments + ["--config", sqlite.config, "--db", cloud.database.url],
                environment: sqlite.environment.merging(extra) { $1 })
        }
        #expect(try await postgres(["list", "--tracking", "all", "--json"], environment).stdout == before)
        #expect(try await postgres(["events", "--json"], environment).stdout == eventsBefore)
        // Again into a database that has jobs: refused with one line, nothing written.
        let again = try await sqlite.runAsync(copy, environment: environment)
        #expect(again.status == 74 && again.stderr.contains("empty") && again.stderr.split(separator: "\n").count == 1)
        #expect(try await postgres(["list", "--tracking", "all", "--json"], environment).stdout == before)
        // Wrong way round, or not a URL: usage errors.
        #expect(
            try await sqlite.runAsync(["migrate-store", "--from", cloud.database.url, "--to", cloud.database.url])
                .status
                == 64)
        #expect(
            try await sqlite.runAsync(["migrate-store", "--from", sqlite.database, "--to", "/tmp/x.sqlite"]).status
                == 64)
        // A wrong password: exit 74, one line, the password not echoed.
        let wrong = try await postgres(["list"], ["JOBWATCH_E2E_DB_PASSWORD": "not-the-password-42"])
        #expect(wrong.status == 74 && wrong.stderr.contains("rejected the login"), "\(wrong.status) \(wrong.stderr)")
        #expect(!wrong.stderr.contains("not-the-password-42"))
        // No password at all: exit 78 naming the key.
        let missing = try await postgres(["list"], [:])
        #expect(missing.status == 78 && missing.stderr.contains("database_password_env"), "\(missing.stderr)")
        // A password in the URL is refused without echoing it.
        let leaky = try await spawnJobwatchAsync(
            ["list", "--config", sqlite.config, "--db", "postgresql://u:hunter2@127.0.0.1/d"],
            environment: sqlite.environment)
        #expect(leaky.status == 64 && !leaky.stderr.contains("hunter2"), "\(leaky.status) \(leaky.stderr)")
    }
}

/// A configuration pointing at the PostgreSQL database, and the CLI and daemons run against it.
struct PostgresSandbox {
    let directory: URL
    let cloud: HACloud
    var config: String { directory.appendingPathComponent("config.yaml").path }

    init(cloud: HACloud, requestsPerSecond: Int) throws {
        self.cloud = cloud
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("jobwatch-ha-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        try cloud.config(requestsPerSecond: requestsPerSecond).write(toFile: config, atomically: true, encoding: .utf8)
    }

    var environment: [String: String] {
        ["HOME": directory.path, "PATH": "/usr/bin:/bin", "LANG": "C.UTF-8"].merging(cloud.environment) { $1 }
    }

    func run(_ arguments: [String]) async throws -> ProcessResult {
        try await spawnJobwatchAsync(arguments + ["--config", config], environment: environment)
    }

    func daemon() throws -> DaemonProcess {
        try DaemonProcess(arguments: ["daemon", "--config", config], directory: directory, environment: environment)
    }

    func activeJobs() throws -> Int {
        Int(try cloud.sql("SELECT COUNT(*) FROM job WHERE tracking = 'active'").first ?? "") ?? -1
    }

    func doneJobs() throws -> Int {
        Int(try cloud.sql("SELECT COUNT(*) FROM job WHERE tracking <> 'active'").first ?? "") ?? -1
    }
}
