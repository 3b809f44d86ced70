import ArgumentParser
import Foundation

#if canImport(Glibc)
import Glibc
#endif

enum Scenario: String, CaseIterable, ExpressibleByArgument {
    /// 10,000 jobs continuously due: polls/s, CPU per 1,000 polls, peak RSS, lag at saturation.
    case throughput
    /// wrk against the same simulator: the loopback ceiling, and throughput as a fraction of it.
    case ceiling
    /// 256 in flight against a simulator that answers after 50 ms: polls/s against 256 / 0.05 s.
    case concurrency
    /// 10,000 jobs at 30 s ±20 % (about 330 polls/s, below saturation): scheduling lag.
    case lag
    /// 100,000 jobs: start-up (spawn → READY=1), then polls/s, CPU per 1,000 polls and peak RSS under load.
    case scale
    /// 10,000 jobs due in a day or more: idle CPU.
    case idle
    /// Simulator switches jobs to SUCCESS → webhook receiver: p50/p99.
    case latency
    /// Polls per job and detection delay: jobwatch's schedule vs fixed 10 s and 15 s (simulated time).
    case efficiency
    /// The same jobs always due: one daemon on SQLite, 1, 2 and 3 daemons on one PostgreSQL database (a
    /// private cluster; needs root and PostgreSQL 15, so not part of the default run).
    case ha

    /// What runs when no scenario is named.
    static let defaults = allCases.filter { $0 != .ha }
}

@main
struct Bench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "jobwatch-bench",
        abstract: "Benchmarks the real `jobwatch daemon` against the simulated cloud on 127.0.0.1.",
        discussion: """
            Scenarios: \(Scenario.allCases.map(\.rawValue).joined(separator: ", ")) (default: all but ha, about 5 \
            minutes; ha starts a private PostgreSQL 15 cluster as the tests do, as root, about 4 minutes). \
            Needs the release `jobwatch` binary beside this one: `swift build -c release` first. Progress goes to \
            stderr, the summary table to stdout.
            """)

    @Argument(help: "Scenarios to run (default: all).") var scenarios: [Scenario] = []
    @Option(help: "Active jobs for throughput, lag, idle.") var jobs = 10_000
    @Option(help: "Registered jobs for the scale scenario.") var largeJobs = 100_000
    @Option(help: "Jobs for the ha scenario (always due: more than the daemons can poll).") var haJobs = 5_000
    @Option(help: "Seconds of each measurement window.") var window = 20.0
    @Option(help: "polling.max_in_flight for the load scenarios.") var maxInFlight = 64
    @Option(help: "Path of the jobwatch binary (default: beside jobwatch-bench).") var jobwatch: String?
    @Flag(help: "Print the summary as a Markdown table.") var markdown = false
    @Flag(help: "Keep the temporary directories (configs, databases, daemon logs) under /tmp.") var keep = false

    func validate() throws {
        guard (1...200_000).contains(jobs), (1...1_000_000).contains(largeJobs), (1...100_000).contains(haJobs) else {
            throw ValidationError("job counts out of range")
        }
        guard (2...120).contains(window) else { throw ValidationError("--window must be 2...120 seconds") }
        guard (1...10_000).contains(maxInFlight) else { throw ValidationError("--max-in-flight must be 1...10000") }
    }

    func run() async throws {
        signal(SIGPIPE, SIG_IGN)
        let binary = try locateJobwatch()
        let selected = scenarios.isEmpty ? Scenario.defaults : scenarios
        let runner = DaemonScenarios(binary: binary, keep: keep)
        let started = monotonicSeconds()
        var rows: [ResultRow] = []
        note("jobwatch-bench: \(binary.path); scenarios \(selected.map(\.rawValue).joined(separator: " "))")
        let n = jobs.formatted()
        var throughput: Double?

        for scenario in selected {
            note("— \(scenario.rawValue)")
            switch scenario {
            case .throughput:
                let r = try await runner.load(
                    name: "throughput", jobs: jobs, polling: Sandbox.Polling(maxInFlight: maxInFlight),
                    nextPollAt: { _, now in now },
                    warmup: 8, window: window)
                throughput = r.pollsPerSecond
                rows.append(
                    ResultRow(
                        metric: "Poll throughput, \(n) jobs always due (polls/s)", target: "≥ 4,000",
                        measured: fmt(r.pollsPerSecond, 0), met: r.pollsPerSecond >= 4000))
                rows.append(
                    ResultRow(
                        metric: "Scheduling lag at saturation, p50 / p99 (ms)", target: "—",
                        measured: "\(fmt(percentile(r.lags, 50), 0)) / \(fmt(percentile(r.lags, 99), 0))", met: nil))
                rows.append(
                    ResultRow(
                        metric: "Daemon CPU per 1,000 polls, \(n) jobs (s)", target: "≤ 0.150",
                        measured: fmt(r.cpuPer1000Polls, 3), met: r.cpuPer1000Polls <= 0.15))
                rows.append(
                    ResultRow(
                        metric: "Daemon CPU while saturated (% of one core); simulator + bench", target: "—",
                        measured:
                            "\(fmt(r.daemonCPUSeconds / r.windowSeconds * 100, 0)) %; "
                            + "\(fmt(r.benchCPUSeconds / r.windowSeconds * 100, 0)) %",
                        met: nil))
                rows.append(
                    ResultRow(
                        metric: "Peak RSS (VmHWM), \(n) jobs under load (MiB)", target: "≤ 64",
                        measured: fmt(r.peakRSSMiB, 1), met: r.peakRSSMiB <= 64))
            case .ceiling:
                let r = try await runner.ceiling(connections: maxInFlight, seconds: Int(window.rounded()))
                rows.append(
                    ResultRow(
                        metric: "Loopback ceiling: wrk, \(maxInFlight) connections, on the simulator (requests/s); "
                            + "simulator CPU", target: "—",
                        measured: "\(fmt(r.requestsPerSecond, 0)); \(fmt(r.simulatorCPUPercent, 0)) %", met: nil))
                if let throughput {
                    rows.append(
                        ResultRow(
                            metric: "jobwatch throughput as a fraction of the wrk ceiling", target: "—",
                            measured: fmt(throughput / r.requestsPerSecond * 100, 0) + " %", met: nil))
                }
            case .concurrency:
                let inFlight = 256, delay = 50
                let ideal = Double(inFlight) * 1000 / Double(delay)
                let r = try await runner.load(
                    name: "concurrency", jobs: jobs, polling: Sandbox.Polling(maxInFlight: inFlight),
                    nextPollAt: { _, now in now }, warmup: 5, window: window, answerDelayMillis: delay)
                rows.append(
                    ResultRow(
                        metric: "Polls/s, max_in_flight \(inFlight), answers after \(delay) ms, \(n) jobs always due "
                            + "(ideal \(fmt(ideal, 0)))", target: "≥ \(fmt(ideal * 0.9, 0))",
                        measured: fmt(r.pollsPerSecond, 0), met: r.pollsPerSecond >= ideal * 0.9))
                rows.append(
                    ResultRow(
                        metric: "Most requests in flight at the server; daemon CPU per 1,000 polls (s)", target: "—",
                        measured: "\(r.peakInFlight); \(fmt(r.cpuPer1000Polls, 3))", met: nil))
            case .lag:
                let count = jobs
                let r = try await runner.load(
                    name: "lag", jobs: jobs,
                    polling: Sandbox.Polling(initial: "30s", max: "30s", jitter: 0.2, maxInFlight: maxInFlight),
                    nextPollAt: { index, now in now + Int64(index * 30_000 / max(count, 1)) }, warmup: 5,
                    window: max(window, 20),
                    firstPollsFirst: false)
                rows.append(
                    ResultRow(
                        metric:
                            "Scheduling lag, \(n) jobs every 30 s ±20 % (\(fmt(r.pollsPerSecond, 0)) polls/s), p50 / "
                            + "p99 (ms)",
                        target: "—", measured: "\(fmt(percentile(r.lags, 50), 0)) / \(fmt(percentile(r.lags, 99), 0))",
                        met: nil))
                rows.append(
                    ResultRow(
                        metric: "Daemon CPU per 1,000 polls at that rate (s)", target: "—",
                        measured: fmt(r.cpuPer1000Polls, 3), met: nil))
            case .scale:
                let times = try await runner.startup(jobs: largeJobs, runs: 3)
                let worst = times.max() ?? .nan
                rows.append(
                    ResultRow(
                        metric: "Start-up, \(largeJobs.formatted()) jobs: spawn → READY=1, median / worst of 3 (s)",
                        target: "≤ 1", measured: "\(fmt(percentile(times, 50), 2)) / \(fmt(worst, 2))", met: worst <= 1)
                )
                let r = try await runner.load(
                    name: "scale", jobs: largeJobs, polling: Sandbox.Polling(maxInFlight: maxInFlight),
                    nextPollAt: { _, now in now },
                    warmup: 5, window: window)
                rows.append(
                    ResultRow(
                        metric: "Poll throughput, \(largeJobs.formatted()) jobs always due (polls/s)", target: "—",
                        measured: fmt(r.pollsPerSecond, 0), met: nil))
                rows.append(
                    ResultRow(
                        metric: "Daemon CPU per 1,000 polls, \(largeJobs.formatted()) jobs (s)", target: "—",
                        measured: fmt(r.cpuPer1000Polls, 3), met: nil))
                rows.append(
                    ResultRow(
                        metric: "Peak RSS (VmHWM), \(largeJobs.formatted()) jobs under load (MiB)", target: "≤ 64",
                        measured: fmt(r.peakRSSMiB, 1), met: r.peakRSSMiB <= 64))
            case .idle:
                let r = try await runner.idle(jobs: jobs, window: max(window, 30))
                rows.append(
                    ResultRow(
                        metric: "Idle CPU, \(n) jobs due in ≥ 24 h (% of one core)", target: "< 0.5 %",
                        measured: fmt(r.cpuPercent, 3), met: r.cpuPercent < 0.5))
                rows.append(
                    ResultRow(
                        metric: "Idle context switches per second; peak RSS (MiB)", target: "—",
                        measured: "\(fmt(r.wakeupsPerSecond, 1)); \(fmt(r.rssMiB, 1))", met: nil))
            case .latency:
                for (count, finishing) in [(100, 100), (1000, 200)] {
                    let r = try await runner.latency(jobs: count, finishing: finishing)
                    let label = "\(count.formatted()) jobs polled every 1 s ±20 %"
                    rows.append(
                        ResultRow(
                            metric: "Event latency SUCCESS → webhook, \(label), p50 / p99 (ms)", target: "—",
                            measured:
                                "\(fmt(percentile(r.fromSwitch, 50), 0)) / \(fmt(percentile(r.fromSwitch, 99), 0))",
                            met: nil))
                    let p99 = percentile(r.fromPoll, 99)
                    rows.append(
                        ResultRow(
                            metric: "Event latency poll that sees it → webhook, \(label), p50 / p99 (ms); delivered",
                            target: "p99 ≤ 100",
                            measured:
                                "\(fmt(percentile(r.fromPoll, 50), 1)) / \(fmt(p99, 1)); \(r.delivered)/\(r.finished)",
                            met: p99 <= 100 && r.delivered == r.finished))
                }
            case .ha:
                let runs = try await runner.ha(jobs: haJobs, window: window, maxInFlight: maxInFlight)
                for run in runs {
                    let who = "\(run.name), \(run.daemons) daemon\(run.daemons == 1 ? "" : "s")"
                    rows.append(
                        ResultRow(
                            metric: "HA \(who), \(haJobs.formatted()) jobs always due: polls/s", target: "—",
                            measured: fmt(run.pollsPerSecond, 0), met: nil))
                    rows.append(
                        ResultRow(
                            metric: "HA \(who): CPU per 1,000 polls, daemons; PostgreSQL (s)", target: "—",
                            measured:
                                "\(fmt(run.daemonCPUPer1000, 3)); "
                                + (run.serverCPUSeconds > 0 ? fmt(run.serverCPUPer1000, 3) : "—"),
                            met: nil))
                    rows.append(
                        ResultRow(
                            metric: "HA \(who): CPU (% of one core), daemons; PostgreSQL; simulator + bench",
                            target: "—",
                            measured:
                                "\(fmt(run.daemonCPUSeconds / run.windowSeconds * 100, 0)) %; "
                                + "\(fmt(run.serverCPUSeconds / run.windowSeconds * 100, 0)) %; "
                                + "\(fmt(run.benchCPUSeconds / run.windowSeconds * 100, 0)) %",
                            met: nil))
                }
            case .efficiency:
                let outcomes = Efficiency.run(jobs: 10_000, seed: 42)
                for outcome in outcomes {
                    note(
                        "efficiency: \(outcome.name): \(fmt(mean(outcome.pollsPerJob), 1)) polls/job (p50 "
                            + "\(fmt(percentile(outcome.pollsPerJob, 50), 0)), p99 "
                            + "\(fmt(percentile(outcome.pollsPerJob, 99), 0))); detection delay mean "
                            + "\(fmt(mean(outcome.detectionSeconds), 2)) s, p50 "
                            + "\(fmt(percentile(outcome.detectionSeconds, 50), 2)) s, p99 "
                            + "\(fmt(percentile(outcome.detectionSeconds, 99), 2)) s, max "
                            + "\(fmt(percentile(outcome.detectionSeconds, 100), 2)) s"
                    )
                }
                let jw = outcomes[0], f10 = outcomes[1], f15 = outcomes[2]
                let ratio = mean(f10.pollsPerJob) / mean(jw.pollsPerJob)
                rows.append(
                    ResultRow(
                        metric: "Polls per job, 10,000 jobs 10 s–2 h log-uniform: jobwatch / fixed 10 s / fixed 15 s",
                        target: "—",
                        measured:
                            "\(fmt(mean(jw.pollsPerJob), 1)) / \(fmt(mean(f10.pollsPerJob), 1)) / "
                            + "\(fmt(mean(f15.pollsPerJob), 1))",
                        met: nil))
                rows.append(
                    ResultRow(
                        metric: "Fewer polls than fixed 10 s (×)", target: "≥ 3×", measured: fmt(ratio, 2) + "×",
                        met: ratio >= 3))
                rows.append(
                    ResultRow(
                        metric: "Detection delay, mean (p99): jobwatch / fixed 10 s / fixed 15 s (s)",
                        target: "jobwatch mean ≤ 10",
                        measured: [jw, f10, f15].map {
                            "\(fmt(mean($0.detectionSeconds), 2)) (\(fmt(percentile($0.detectionSeconds, 99), 1)))"
                        }.joined(separator: " / "),
                        met: mean(jw.detectionSeconds) <= 10))
            }
        }
        note("done in \(fmt(monotonicSeconds() - started, 0)) s")
        let table = renderTable(
            ["Metric", "Target", "Measured", "Met?"],
            rows.map { [$0.metric, $0.target, $0.measured, $0.met.map { $0 ? "yes" : "NO" } ?? "—"] },
            markdown: markdown)
        print(table, terminator: "")
    }

    private func locateJobwatch() throws -> URL {
        if let jobwatch { return URL(fileURLWithPath: jobwatch) }
        let me =
            (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? CommandLine.arguments[0]
        let candidate = URL(fileURLWithPath: me).deletingLastPathComponent().appendingPathComponent("jobwatch")
        guard FileManager.default.isExecutableFile(atPath: candidate.path) else {
            throw BenchError(
                "no jobwatch binary at \(candidate.path): run `swift build -c release` first (or pass --jobwatch PATH)")
        }
        return candidate
    }
}
