import Foundation
import JobwatchCore
import JobwatchSimulator
import Synchronization

#if canImport(Glibc)
import Glibc
#endif

/// What a bounded run of the daemon under polling load came to.
struct LoadResult {
    var jobs: Int
    var readySeconds: Double
    var windowSeconds: Double
    var polls: Int
    var pollsPerSecond: Double { Double(polls) / windowSeconds }
    var daemonCPUSeconds: Double
    var benchCPUSeconds: Double
    var cpuPer1000Polls: Double { daemonCPUSeconds / Double(max(polls, 1)) * 1000 }
    var peakRSSMiB: Double
    var lags: [Double]
    var threads: Int
    /// The most requests the server had in flight at once during the window.
    var peakInFlight: Int
    var averageInFlight: Double
}

struct DaemonScenarios {
    let binary: URL
    let keep: Bool

    /// Spawns the daemon on `jobs` simulated jobs with the given polling settings, lets it warm up, then
    /// measures a window: polls answered by the simulator, the daemon's CPU and peak RSS, and the
    /// scheduling lag from 1-second snapshots of the schedule columns.
    func load(
        name: String, jobs: Int, polling: Sandbox.Polling, nextPollAt: @escaping (Int, Int64) -> Int64, warmup: Double,
        window: Double, firstPollsFirst: Bool = true, answerDelayMillis: Int = 0
    ) async throws -> LoadResult {
        let cloud = try await Cloud(withReceiver: false, answerDelayMillis: answerDelayMillis)
        let sandbox = try Sandbox(name: name)
        defer { if !keep { sandbox.remove() } }
        let ids = benchJobIDs(jobs, prefix: "be")
        let prepStart = monotonicSeconds()
        try cloud.addJobs(ids, durationMillis: 48 * 3_600_000)
        let now = nowMillis()
        try await sandbox.prepareDatabase(jobIDs: ids) { nextPollAt($0, now) }
        try sandbox.writeConfig(cloud: cloud, polling: polling)
        note("\(name): \(jobs) jobs prepared in \(fmt(monotonicSeconds() - prepStart, 1)) s; starting the daemon")

        let daemon = try DaemonProcess(binary: binary, sandbox: sandbox)
        let ready = try await daemon.waitReady()
        await sleep(seconds: warmup)
        let reader = try ScheduleReader(path: sandbox.database)
        defer { reader.close() }
        // Steady state: every job has had its first poll (the one that records RUNNING, costlier), bounded.
        if firstPollsFirst {
            let until = monotonicSeconds() + 90
            while monotonicSeconds() < until, try await offloaded({ try reader.unpolledJobs() }) > 0 {
                await sleep(seconds: 1)
            }
        }

        let polls0 = try await offloaded { cloud.polls(ids) }
        cloud.inFlight.reset()
        let cpu0 = daemon.cpuSeconds, bench0 = ProcStats.cpuSeconds(pid: getpid()) ?? .nan
        let t0 = monotonicSeconds()
        var lags: [Double] = []
        var previous = try await offloaded { try reader.snapshot() }
        while monotonicSeconds() - t0 < window {
            await sleep(seconds: 1)
            let current = try await offloaded { try reader.snapshot() }
            lags += DaemonScenarios.lagsOf(previous, current)
            previous = current
        }
        let elapsed = monotonicSeconds() - t0
        let cpu1 = daemon.cpuSeconds, bench1 = ProcStats.cpuSeconds(pid: getpid()) ?? .nan
        let polls1 = try await offloaded { cloud.polls(ids) }
        let result = LoadResult(
            jobs: jobs, readySeconds: ready, windowSeconds: elapsed, polls: polls1 - polls0,
            daemonCPUSeconds: cpu1 - cpu0,
            benchCPUSeconds: bench1 - bench0, peakRSSMiB: daemon.peakRSSMiB, lags: lags,
            threads: ProcStats.threads(pid: daemon.pid) ?? 0, peakInFlight: cloud.inFlight.peak,
            averageInFlight: cloud.inFlight.average)
        let status = await daemon.stop()
        await cloud.shutdown()
        note(
            "\(name): \(result.polls) polls in \(fmt(elapsed, 1)) s = "
                + "\(fmt(result.pollsPerSecond, 0))/s; daemon CPU \(fmt(result.daemonCPUSeconds, 2)) s "
                + "(\(fmt(result.daemonCPUSeconds / elapsed * 100, 0)) % of one core), simulator+bench CPU "
                + "\(fmt(result.benchCPUSeconds, 2)) s; "
                + "peak RSS \(fmt(result.peakRSSMiB, 1)) MiB; \(result.threads) threads; "
                + "at most \(result.peakInFlight) in flight at the server "
                + "(\(fmt(result.averageInFlight, 1)) on average); "
                + "lag samples \(lags.count) "
                + "p50 \(fmt(percentile(lags, 50), 0)) ms p99 \(fmt(percentile(lags, 99), 0)) ms; exit \(status)")
        return result
    }

    /// wrk against the simulator the daemon polls (see `LoopbackCeiling`): what this machine answers at all.
    func ceiling(connections: Int, seconds: Int) async throws -> LoopbackCeiling.Result {
        let cloud = try await Cloud(withReceiver: false)
        let ids = benchJobIDs(1, prefix: "ce")
        try cloud.addJobs(ids, durationMillis: 48 * 3_600_000)
        let result = try await LoopbackCeiling.run(
            cloud: cloud, jobID: ids[0], connections: connections, seconds: seconds)
        await cloud.shutdown()
        note(
            "ceiling: wrk, \(connections) connections, \(seconds) s: \(fmt(result.requestsPerSecond, 0)) requests/s "
                + "(\(result.non2xx) not 2xx); simulator (bench process) CPU \(fmt(result.simulatorCPUPercent, 0)) % "
                + "of one core")
        return result
    }

    static func lagsOf(_ a: [Int64: ScheduleRow], _ b: [Int64: ScheduleRow]) -> [Double] { lags(from: a, to: b) }

    // MARK: - Start-up

    /// Spawn → READY=1 with `jobs` jobs in the database (a realistic spread: half overdue, half due within
    /// 30 s), default polling settings, `runs` times; then stops it with SIGTERM.
    func startup(jobs: Int, runs: Int) async throws -> [Double] {
        let cloud = try await Cloud(withReceiver: false)
        let sandbox = try Sandbox(name: "startup")
        defer { if !keep { sandbox.remove() } }
        let ids = benchJobIDs(jobs, prefix: "5a")
        try cloud.addJobs(ids, durationMillis: 48 * 3_600_000)
        let now = nowMillis()
        try await sandbox.prepareDatabase(jobIDs: ids) { now - 30_000 + Int64($0 * 60_000 / max(jobs, 1)) }
        try sandbox.writeConfig(
            cloud: cloud,
            polling: Sandbox.Polling(initial: "5s", max: "60s", jitter: 0.2, maxInFlight: 32, requestsPerSecond: 10))
        var times: [Double] = []
        for run in 1...runs {
            let daemon = try DaemonProcess(binary: binary, sandbox: sandbox)
            let ready = try await daemon.waitReady()
            times.append(ready)
            let rss = daemon.peakRSSMiB
            let status = await daemon.stop()
            note(
                "startup run \(run): READY=1 after \(fmt(ready * 1000, 0)) ms with \(jobs) jobs; peak RSS "
                    + "\(fmt(rss, 1)) MiB; exit \(status)"
            )
        }
        await cloud.shutdown()
        return times
    }

    // MARK: - Idle

    struct IdleResult {
        var cpuPercent: Double
        var wakeupsPerSecond: Double
        var rssMiB: Double
    }

    /// CPU with `jobs` jobs all scheduled a day or more ahead: the daemon should sleep.
    func idle(jobs: Int, window: Double) async throws -> IdleResult {
        let cloud = try await Cloud(withReceiver: false)
        let sandbox = try Sandbox(name: "idle")
        defer { if !keep { sandbox.remove() } }
        let ids = benchJobIDs(jobs, prefix: "1d")
        try cloud.addJobs(ids, durationMillis: 96 * 3_600_000)
        let now = nowMillis()
        try await sandbox.prepareDatabase(jobIDs: ids) { now + 24 * 3_600_000 + Int64($0) * 1000 }
        try sandbox.writeConfig(
            cloud: cloud,
            polling: Sandbox.Polling(initial: "5s", max: "60s", jitter: 0.2, maxInFlight: 32, requestsPerSecond: 10))
        let daemon = try DaemonProcess(binary: binary, sandbox: sandbox)
        _ = try await daemon.waitReady()
        await sleep(seconds: 3)
        let cpu0 = daemon.cpuSeconds, switches0 = ProcStats.contextSwitches(pid: daemon.pid) ?? 0,
            t0 = monotonicSeconds()
        await sleep(seconds: window)
        let cpu1 = daemon.cpuSeconds, switches1 = ProcStats.contextSwitches(pid: daemon.pid) ?? 0
        let elapsed = monotonicSeconds() - t0
        let polls = cloud.polls(ids)
        let result = IdleResult(
            cpuPercent: (cpu1 - cpu0) / elapsed * 100, wakeupsPerSecond: Double(switches1 - switches0) / elapsed,
            rssMiB: daemon.peakRSSMiB)
        let status = await daemon.stop()
        await cloud.shutdown()
        note(
            "idle: \(jobs) jobs due in ≥ 24 h; CPU \(fmt(cpu1 - cpu0, 3)) s over \(fmt(elapsed, 1)) s "
                + "= \(fmt(result.cpuPercent, 3)) %; "
                + "\(fmt(result.wakeupsPerSecond, 1)) context switches/s; peak RSS \(fmt(result.rssMiB, 1)) "
                + "MiB; polls \(polls); exit \(status)"
        )
        return result
    }

    // MARK: - Event latency

    struct LatencyResult {
        var jobs: Int
        var finished: Int
        var delivered: Int
        /// Simulator switched the job to SUCCESS → webhook received.
        var fromSwitch: [Double]
        /// The simulator answered the poll that saw SUCCESS → webhook received.
        var fromPoll: [Double]
        /// The event's `time` (the daemon recorded the poll) → webhook received.
        var fromRecord: [Double]
    }

    /// `jobs` running jobs polled every second (±20 %); `finishing` of them are switched to SUCCESS one at a
    /// time over 10 s. A watcher thread notes when the simulator answers the first poll after each switch.
    func latency(jobs: Int, finishing: Int) async throws -> LatencyResult {
        let cloud = try await Cloud(withReceiver: true)
        let receiver = cloud.receiver!
        let sandbox = try Sandbox(name: "latency")
        defer { if !keep { sandbox.remove() } }
        let ids = benchJobIDs(jobs, prefix: "1a")
        try cloud.addJobs(ids, durationMillis: 3_600_000)
        let now = nowMillis()
        try await sandbox.prepareDatabase(jobIDs: ids) { now + Int64($0 * 1000 / max(jobs, 1)) }
        try sandbox.writeConfig(
            cloud: cloud,
            polling: Sandbox.Polling(
                initial: "1s", max: "1s", jitter: 0.2, maxInFlight: 64, requestsPerSecond: 100_000),
            webhook: receiver.url)
        let daemon = try DaemonProcess(binary: binary, sandbox: sandbox)
        _ = try await daemon.waitReady()
        await sleep(seconds: 3)

        // Every other job (spread over the id space) is finished, one every 10 s / finishing.
        let stride = max(1, jobs / max(finishing, 1))
        let targets = Swift.stride(from: 0, to: jobs, by: stride).prefix(finishing).map { ids[$0] }
        let spacingMillis = 10_000.0 / Double(max(targets.count, 1))
        let simulator = cloud.simulator
        let observed = try await offloaded { () -> [String: (switched: Double, polled: Double?)] in
            var pending: [String: (count: Int, switched: Double)] = [:]
            var result: [String: (switched: Double, polled: Double?)] = [:]
            var next = 0
            let start = wallMillis()
            let giveUp = monotonicSeconds() + 40
            while (next < targets.count || !pending.isEmpty) && monotonicSeconds() < giveUp {
                let now = wallMillis()
                if next < targets.count, now >= start + Double(next) * spacingMillis {
                    let id = targets[next]
                    let count = simulator.pollCount(jobID: id)
                    if simulator.finish(jobID: id, status: "SUCCESS") != nil {
                        pending[id] = (count, wallMillis())
                    }
                    next += 1
                }
                for (id, entry) in pending where simulator.pollCount(jobID: id) > entry.count {
                    result[id] = (entry.switched, wallMillis())
                    pending[id] = nil
                }
                usleep(500)
            }
            for (id, entry) in pending { result[id] = (entry.switched, nil) }
            return result
        }
        // Wait for the webhooks (bounded).
        let deadline = monotonicSeconds() + 15
        while monotonicSeconds() < deadline {
            let got = Set(receiver.all.filter { $0.type == "jobwatch.job.succeeded" }.map(\.subject))
            if observed.keys.allSatisfy({ got.contains($0) }) { break }
            await sleep(seconds: 0.1)
        }
        let status = await daemon.stop()
        await cloud.shutdown()

        var firstReceived: [String: Received] = [:]
        for item in receiver.all where item.type == "jobwatch.job.succeeded" && firstReceived[item.subject] == nil {
            firstReceived[item.subject] = item
        }
        var result = LatencyResult(
            jobs: jobs, finished: observed.count, delivered: 0, fromSwitch: [], fromPoll: [], fromRecord: [])
        for (id, times) in observed {
            guard let got = firstReceived[id] else { continue }
            result.delivered += 1
            result.fromSwitch.append(got.receivedAtMillis - times.switched)
            if let polled = times.polled { result.fromPoll.append(got.receivedAtMillis - polled) }
            if let recorded = got.eventTimeMillis { result.fromRecord.append(got.receivedAtMillis - recorded) }
        }
        note(
            "latency (\(jobs) jobs at 1 s): \(result.delivered)/\(result.finished) delivered; "
                + "switch→webhook p50 \(fmt(percentile(result.fromSwitch, 50), 0)) "
                + "p99 \(fmt(percentile(result.fromSwitch, 99), 0)) ms; poll→webhook p50 "
                + "\(fmt(percentile(result.fromPoll, 50), 1)) "
                + "p99 \(fmt(percentile(result.fromPoll, 99), 1)) max "
                + "\(fmt(percentile(result.fromPoll, 100), 1)) ms; event time→webhook p50 "
                + "\(fmt(percentile(result.fromRecord, 50), 1)) p99 "
                + "\(fmt(percentile(result.fromRecord, 99), 1)) ms; exit \(status)"
        )
        return result
    }
}
