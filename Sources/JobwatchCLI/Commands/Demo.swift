import ArgumentParser
import Foundation
import HuaweiCloud
import JobwatchConfig
import JobwatchCore
import JobwatchDaemon
import JobwatchSimulator
import JobwatchStore
import JobwatchSystemd
import Logging

struct Demo: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract:
            "Simulator + daemon + a few sample jobs in one process; prints events as they happen and "
            + "exits when all are terminal.",
        discussion: "Uses a temporary database and configuration; needs no cloud account and touches nothing else.")

    @Option(help: ArgumentHelp("How long the sample jobs run (at most 5m).", valueName: "DUR")) var duration = "20s"
    @Flag(help: "Print the raw CloudEvents (JSON Lines) instead of one readable line per event.") var json = false
    /// Accepted like everywhere, but unused: this command brings its own temporary state.
    @OptionGroup var global: GlobalOptions

    func validate() throws {
        guard let millis = DurationText.parseMillis(duration), millis >= 2000, millis <= 300_000 else {
            throw ValidationError("--duration '\(duration)' must be a duration from 2s to 5m")
        }
    }

    func run() async throws {
        let environment = ProcessInfo.processInfo.environment
        JobwatchLogHandler.bootstrap(level: .warning, environment: environment)
        let logger = Logger(label: "jobwatch.demo")
        signal(SIGPIPE, SIG_IGN)
        let durationMillis = DurationText.parseMillis(duration)!
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent(
            "jobwatch-demo-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: directory) }

        // The simulated cloud, with credentials made up for this run.
        let ak = "DEMO" + String(UUID().uuidString.prefix(8))
        let sk = UUID().uuidString
        let projectID = "0d3m0" + String(repeating: "0", count: 27)
        let simulator = Simulator(options: SimulatorOptions(credentials: [ak: sk]), logger: logger)
        let server: LoopbackHTTPServer
        do {
            server = try await simulator.start()
        } catch {
            throw CLIFailure(.unavailable, "cannot start the simulator on 127.0.0.1: \(error)")
        }
        defer { Task { await server.shutdown() } }
        var specs = SimulatedJobSpec.samples(projectID: projectID, durationMillis: durationMillis)
        // One job meets the gateway's throttling on its first polls.
        specs[0].faults = [SimulatedFault(.throttled, count: 2, retryAfterSeconds: 1)]
        let jobIDs = try simulator.add(contentsOf: specs)

        var config = Configuration()
        let endpoint = EndpointOverride(URL(string: server.baseURL)!)
        config.accounts = [
            AccountConfig(
                name: "default", region: "demo-1", projectID: projectID,
                credentials: .accessKey(
                    ak: Secret(value: ak, origin: "demo"), sk: Secret(value: sk, origin: "demo"), securityToken: nil),
                endpoints: [.ims: endpoint, .workspace: endpoint])
        ]
        config.polling.initialIntervalMillis = 500
        config.polling.maxIntervalMillis = max(1000, durationMillis / 10)
        config.polling.requestsPerSecond = 20
        config.polling.deadlineMillis = durationMillis * 3
        config.stdout.events = .types(Set(EventType.allCases).subtracting([.progress]))

        let store: any JobStoring
        do {
            store = try JobStore(path: directory.appendingPathComponent("jobwatch.sqlite").path)
        } catch let error as StoreError {
            throw CLIFailure(.ioError, error.message)
        }
        let printer: any EventPrinting = json ? JSONLinesPrinter() : DemoEventPrinter()
        let runtime = DaemonRuntime(
            store: store, configuration: config, environment: [:], version: Jobwatch.version, printer: printer,
            logger: logger)
        say(
            "jobwatch demo: a simulated Huawei Cloud on \(server.baseURL), \(jobIDs.count) jobs, about "
                + "\(DurationText.human(millis: durationMillis)) each\n"
        )
        let now = DaemonEngine.wallClock()
        let registrations = zip(specs, jobIDs).map { spec, id in
            Registration(
                jobID: id, api: spec.api, account: "default", region: "demo-1", projectID: projectID,
                labels: ["demo": spec.kind], sinks: nil, deadlineAtMillis: now + config.polling.deadlineMillis)
        }
        let rows = try await storeCall {
            try await store.registerJobs(registrations, sinks: config.sinkSubscriptions, nowMillis: now).map(
                \.job.rowID)
        }
        await runtime.engine.start()
        let giveUp = DaemonEngine.wallClock() + config.polling.deadlineMillis + 10_000
        var jobs: [StoredJob] = []
        while true {
            jobs = []
            for row in rows {
                if let job = try await storeCall({ try await store.job(rowID: row) }) { jobs.append(job) }
            }
            if jobs.allSatisfy({ $0.record.tracking != .active }) { break }
            if DaemonEngine.wallClock() > giveUp {
                await runtime.engine.stop(grace: .seconds(1))
                await runtime.shutdown()
                throw CLIFailure(.software, "the demo jobs did not finish in time; this is a bug, please report it")
            }
            try await Task.sleep(for: .milliseconds(200))
        }
        // Let the last events reach stdout before the summary.
        while (try? await store.deliveries(state: .pending).isEmpty) == false {
            try await Task.sleep(for: .milliseconds(50))
        }
        await runtime.engine.stop(grace: .seconds(2))
        await runtime.shutdown()
        say("\n" + Self.summary(jobs.map(\.record)) + "\n")
        say("Each job went through the real daemon: signed requests, backoff, throttling, SQLite history, the outbox.")
        say(
            "For real jobs: set HUAWEICLOUD_SDK_AK, _SK, _REGION, _PROJECT_ID; run `jobwatch daemon`; "
                + "`jobwatch register JOB_ID --api ims`."
        )
    }

    static func summary(_ records: [JobRecord]) -> String {
        var table = TextTable(["JOB", "API", "TYPE", "VERDICT", "DURATION", "POLLS"])
        for record in records {
            let verdict = record.tracking == .done ? record.status.rawValue : record.tracking.rawValue.uppercased()
            var duration = "-"
            if let begin = record.beginTime.flatMap(CloudTime.parseMillis),
                let end = record.endTime.flatMap(CloudTime.parseMillis)
            {
                duration = DurationText.human(millis: end - begin)
            }
            table.append([
                record.jobID, record.api.rawValue, record.jobType ?? "-", verdict, duration, String(record.polls),
            ])
        }
        return table.render()
    }
}

/// Writes a line to stdout unbuffered, so it keeps its place among the events.
private func say(_ text: String) {
    try? StandardOutput.write(text + "\n")
}

/// One readable line per event, for the demo.
struct DemoEventPrinter: EventPrinting {
    func print(_ event: StoredEvent) {
        let time = CloudTime.format(millis: event.createdAtMillis).dropFirst(11).prefix(12)
        let decoded = event.decoded
        let what: String
        switch event.type {
        case .registered: what = "registered"
        case .subJobStatusChanged:
            if let subJob = decoded?.subJob, let id = subJob.jobID, let status = subJob.status {
                what = "sub-job \(id) → \(status)"
            } else {
                what = "a sub-job changed"
            }
        default: what = decoded.flatMap(JobText.eventStatus) ?? ""
        }
        let type = event.type.rawValue.replacingOccurrences(of: "jobwatch.", with: "")
        say(
            "\(time)  #\(String(event.sequence).padding(toLength: 3, withPad: " ", startingAt: 0)) "
                + "\(type.padding(toLength: 22, withPad: " ", startingAt: 0)) "
                + "\(event.jobID.padding(toLength: 33, withPad: " ", startingAt: 0)) \(what)"
        )
    }
}
