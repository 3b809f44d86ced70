import Foundation
import JobwatchConfig
import JobwatchCore
import JobwatchPostgres
import JobwatchStore
import PostgresTestCluster

#if canImport(Glibc)
import Glibc
#endif

/// One run of the `ha` scenario: a store, some daemons, the same jobs always due.
struct HARun {
    var name: String
    var daemons: Int
    var windowSeconds: Double
    var polls: Int
    var daemonCPUSeconds: Double
    /// PostgreSQL's own CPU (the postmaster and every session), 0 for SQLite.
    var serverCPUSeconds: Double
    var benchCPUSeconds: Double
    var pollsPerSecond: Double { Double(polls) / windowSeconds }
    var daemonCPUPer1000: Double { daemonCPUSeconds / Double(max(polls, 1)) * 1000 }
    var serverCPUPer1000: Double { serverCPUSeconds / Double(max(polls, 1)) * 1000 }
}

/// `ha`: the same jobs in the same simulator, polled by one daemon on SQLite, then by 1, 2 and 3 daemons
/// on one PostgreSQL database (a private cluster started the way the tests start it, but flushing its WAL
/// as in production), then by one daemon on PostgreSQL with `synchronous_commit=on` (every commit waits
/// for its flush). Every job is always due (1 s interval, no jitter, no rate limit): polls/s is what the
/// daemons and the server can do on this machine together.
extension DaemonScenarios {
    static let passwordVariable = "JOBWATCH_BENCH_DB_PASSWORD"

    func ha(jobs: Int, window: Double, maxInFlight: Int) async throws -> [HARun] {
        let cluster = try PostgresTestCluster.start(tls: nil, durable: true)
        defer { cluster.stop() }
        let cloud = try await Cloud(withReceiver: false)
        let ids = benchJobIDs(jobs, prefix: "4a")
        try cloud.addJobs(ids, durationMillis: 48 * 3_600_000)
        note("ha: PostgreSQL 15 on 127.0.0.1:\(cluster.port) (fsync on, synchronous_commit off); \(jobs) jobs")
        var runs: [HARun] = []
        do {
            runs.append(
                try await haRun(
                    name: "SQLite", daemons: 1, cluster: nil, cloud: cloud, ids: ids, window: window,
                    maxInFlight: maxInFlight))
            for daemons in 1...3 {
                runs.append(
                    try await haRun(
                        name: "PostgreSQL", daemons: daemons, cluster: cluster, cloud: cloud, ids: ids, window: window,
                        maxInFlight: maxInFlight))
            }
            runs.append(
                try await haRun(
                    name: "PostgreSQL, synchronous_commit on", daemons: 1, cluster: cluster, cloud: cloud, ids: ids,
                    window: window, maxInFlight: maxInFlight, synchronousCommit: true))
        } catch {
            await cloud.shutdown()
            throw error
        }
        await cloud.shutdown()
        return runs
    }

    /// A fresh database with every job registered and due now, `daemons` daemons on it, a warm-up until
    /// every job has had its first poll (bounded), then a measurement window.
    private func haRun(
        name: String, daemons count: Int, cluster: PostgresTestCluster?, cloud: Cloud, ids: [String],
        window: Double, maxInFlight: Int, synchronousCommit: Bool = false
    ) async throws -> HARun {
        let label = "ha \(name), \(count) daemon\(count == 1 ? "" : "s")"
        let sandboxes = try (0..<count).map { index in try Sandbox(name: "ha-\(index)") }
        defer { if !keep { for sandbox in sandboxes { sandbox.remove() } } }
        let polling = Sandbox.Polling(maxInFlight: maxInFlight)
        for sandbox in sandboxes {
            try sandbox.writeConfig(
                cloud: cloud, polling: polling, passwordVariable: cluster == nil ? nil : Self.passwordVariable)
        }
        let now = nowMillis()
        let prepared = monotonicSeconds()
        var database: String?
        var environment: [String: String] = [:]
        let unpolled: @Sendable () throws -> Int
        // PostgreSQL: the jobs become due once every daemon is up (a daemon that starts while the others
        // saturate the database can be late with READY=1: its first look keeps being asked to look again).
        var makeDue: (@Sendable () throws -> Void)?
        if let cluster {
            let made = try cluster.makeDatabase()
            if synchronousCommit { try cluster.psql("ALTER DATABASE \(made.database) SET synchronous_commit = on") }
            let store = try await PostgresJobStore.open(
                url: try PostgresURL.parse(made.url).get(), password: made.password)
            let registrations = ids.map { id in
                Registration(
                    jobID: id, api: .ims, account: "default", region: "bench-1", projectID: nil, labels: [:],
                    sinks: nil, deadlineAtMillis: now + 72 * 3_600_000, firstPollAtMillis: now + 3_600_000)
            }
            _ = try await store.registerJobs(registrations, sinks: [], nowMillis: now)
            await store.close()
            makeDue = {
                try cluster.psql(
                    "UPDATE job SET next_poll_at = \(Self.serverNowMillis); NOTIFY jobwatch_changes",
                    database: made.database)
            }
            database = made.url
            environment = [Self.passwordVariable: made.password]
            unpolled = {
                Int(
                    try cluster.psql(
                        "SELECT COUNT(*) FROM job WHERE tracking = 'active' AND polls = 0", database: made.database
                    ).trimmingCharacters(in: .whitespacesAndNewlines)) ?? 0
            }
        } else {
            try await sandboxes[0].prepareDatabase(jobIDs: ids) { _ in now }
            let reader = try ScheduleReader(path: sandboxes[0].database)
            unpolled = { try reader.unpolledJobs() }
        }
        note("\(label): \(ids.count) jobs registered in \(fmt(monotonicSeconds() - prepared, 1)) s")

        let processes = try sandboxes.map { sandbox in
            try DaemonProcess(binary: binary, sandbox: sandbox, database: database, environment: environment)
        }
        do {
            for process in processes { _ = try await process.waitReady(timeout: 90) }
        } catch {
            for process in processes { await process.stop() }
            throw error
        }
        try makeDue?()
        // Steady state: every job has had its first poll (the one that records RUNNING), bounded.
        let until = monotonicSeconds() + 90
        while monotonicSeconds() < until, try await offloaded(unpolled) > 0 { await sleep(seconds: 1) }
        await sleep(seconds: 2)

        let server = { cluster?.postmasterPID.flatMap { ProcStats.treeCPUSeconds(root: $0) } ?? 0 }
        let daemonCPU = { processes.reduce(0) { $0 + $1.cpuSeconds } }
        let polls0 = try await offloaded { cloud.polls(ids) }
        let cpu0 = daemonCPU(), server0 = server(), bench0 = ProcStats.cpuSeconds(pid: getpid()) ?? .nan
        let t0 = monotonicSeconds()
        await sleep(seconds: window)
        let elapsed = monotonicSeconds() - t0
        let cpu1 = daemonCPU(), server1 = server(), bench1 = ProcStats.cpuSeconds(pid: getpid()) ?? .nan
        let polls1 = try await offloaded { cloud.polls(ids) }
        var statuses: [Int32] = []
        for process in processes { statuses.append(await process.stop()) }
        let run = HARun(
            name: name, daemons: count, windowSeconds: elapsed, polls: polls1 - polls0, daemonCPUSeconds: cpu1 - cpu0,
            serverCPUSeconds: server1 - server0, benchCPUSeconds: bench1 - bench0)
        note(
            "\(label): \(run.polls) polls in \(fmt(elapsed, 1)) s = \(fmt(run.pollsPerSecond, 0))/s; daemon CPU "
                + "\(fmt(run.daemonCPUSeconds, 2)) s (\(fmt(run.daemonCPUPer1000, 3)) s per 1,000 polls), PostgreSQL "
                + "CPU \(fmt(run.serverCPUSeconds, 2)) s (\(fmt(run.serverCPUPer1000, 3)) s per 1,000), "
                + "simulator+bench CPU \(fmt(run.benchCPUSeconds, 2)) s; load \(loadAverage()); exit \(statuses)")
        return run
    }

    /// The database server's clock in milliseconds (as the store's leases use it).
    static let serverNowMillis = "(extract(epoch from clock_timestamp()) * 1000)::bigint"

    /// The 1-minute load average, for the report.
    func loadAverage() -> String {
        let text = (try? String(contentsOfFile: "/proc/loadavg", encoding: .utf8)) ?? "?"
        return String(text.split(separator: " ").first ?? "?")
    }
}
