import Foundation
import JobwatchConfig
import JobwatchCore
import JobwatchDaemon
import JobwatchStore
import JobwatchTestKit
import JobwatchWebhooks
import Logging
import Synchronization
import Testing

/// Answers polls from a script per job id; the last answer repeats.
final class ScriptedFetcher: JobFetching {
    private let scripts: Mutex<[String: [PollResult]]>
    private let calls = Mutex<[String: [Int64]]>([:])
    private let regions = Mutex<[String: String?]>([:])

    init(_ scripts: [String: [PollResult]]) {
        self.scripts = Mutex(scripts)
    }

    func fetch(api: JobAPI, jobID: String, projectID: String?, region: String?) async -> PollResult {
        calls.withLock { $0[jobID, default: []].append(DaemonEngine.wallClock()) }
        regions.withLock { $0[jobID] = region }
        return scripts.withLock { scripts in
            guard var script = scripts[jobID], !script.isEmpty else { return .notFound(message: "no such job") }
            let next = script.count > 1 ? script.removeFirst() : script[0]
            scripts[jobID] = script
            return next
        }
    }

    func pollTimes(_ jobID: String) -> [Int64] { calls.withLock { $0[jobID] ?? [] } }
    /// The region the last poll of a job asked for.
    func region(_ jobID: String) -> String?? { regions.withLock { $0[jobID] } }
}

final class CapturingPrinter: EventPrinting {
    private let events = Mutex<[StoredEvent]>([])
    func print(_ event: StoredEvent) { events.withLock { $0.append(event) } }
    var printed: [StoredEvent] { events.withLock { $0 } }
}

struct NoWebhooks: WebhookSending {
    func attempt(
        _ event: StoredEvent, to sink: WebhookSinkConfig, attemptsBefore: Int, nowMillis: Int64
    ) async -> AttemptRecord {
        AttemptRecord(
            atMillis: nowMillis, statusCode: nil, error: "no webhooks in this test", durationMillis: 0, newState: .dead,
            nextAttemptAtMillis: nil)
    }
}

func snapshot(_ id: String, _ status: String, progress: Double? = nil) -> PollResult {
    .snapshot(
        JobSnapshot(
            jobID: id, jobType: "imsCreateImageByInstance", status: JobStatus(provider: status, api: .ims),
            providerStatus: status, progress: progress),
        rawBody: "{\"status\":\"\(status)\"}")
}

/// Polls every 50–100 ms so the tests run quickly.
func fastConfiguration(stdoutEvents: EventFilter = .terminal) -> Configuration {
    var config = Configuration()
    config.accounts = [AccountConfig(name: "default", region: "r", projectID: nil, credentials: .missing)]
    config.polling.initialIntervalMillis = 50
    config.polling.maxIntervalMillis = 100
    config.polling.jitter = 0
    config.polling.requestsPerSecond = 1000
    config.stdout.events = stdoutEvents
    return config
}

@Suite(.serialized) struct EngineTests {
    func registration(_ id: String) -> Registration {
        Registration(
            jobID: id, api: .ims, account: "default", region: "r", projectID: nil, labels: [:], sinks: nil,
            deadlineAtMillis: DaemonEngine.wallClock() + 600_000)
    }

    func engine(
        _ store: JobStore, _ fetcher: ScriptedFetcher, _ printer: CapturingPrinter,
        config: Configuration = fastConfiguration()
    ) -> DaemonEngine {
        DaemonEngine(
            store: store, configuration: config, makeFetchers: { _ in ["default": fetcher] }, webhooks: NoWebhooks(),
            printer: printer, logger: Logger(label: "test"))
    }

    @Test func aJobGoesFromInitToSuccessWithItsHistoryAndOneTerminalEvent() async throws {
        let store = try JobStore(path: temporaryDatabasePath("jobwatch-engine"))
        let fetcher = ScriptedFetcher([
            "a": [
                snapshot("a", "INIT"), snapshot("a", "RUNNING", progress: 0.3), snapshot("a", "RUNNING", progress: 0.3),
                snapshot("a", "SUCCESS", progress: 1),
            ]
        ])
        let printer = CapturingPrinter()
        let engine = engine(store, fetcher, printer)
        let rowID = try await store.register(
            registration("a"), sinks: fastConfiguration().sinkSubscriptions, nowMillis: DaemonEngine.wallClock()
        ).job.rowID
        await engine.start()
        #expect(try await eventually { try await store.job(rowID: rowID)?.record.tracking == .done })
        #expect(try await eventually { printer.printed.count == 1 })
        await engine.stop()
        let history = try await store.history(rowID: rowID).map { "\($0.from?.rawValue ?? "-")>\($0.to.rawValue)" }
        #expect(history == ["->INIT", "INIT>RUNNING", "RUNNING>SUCCESS"])
        #expect(printer.printed.map(\.type) == [.succeeded])
        #expect(fetcher.pollTimes("a").count == 4)
        #expect(try await store.deliveries(state: .delivered).count == 1)
    }

    @Test func aJobRegisteredWhileRunningIsPolledWithinASecond() async throws {
        let store = try JobStore(path: temporaryDatabasePath("jobwatch-engine"))
        let fetcher = ScriptedFetcher(["late": [snapshot("late", "SUCCESS")]])
        let printer = CapturingPrinter()
        let engine = engine(store, fetcher, printer)
        await engine.start()
        try await Task.sleep(for: .milliseconds(200))
        // Another connection writes the job, as the CLI process does; the engine's timer is not armed for it.
        let registeredAt = DaemonEngine.wallClock()
        _ = try await JobStore(path: store.path).register(registration("late"), sinks: [], nowMillis: registeredAt)
        #expect(try await eventually(timeout: .seconds(1)) { !fetcher.pollTimes("late").isEmpty })
        await engine.stop()
        #expect(try #require(fetcher.pollTimes("late").first) - registeredAt < 1000)
    }

    @Test func throttlingWaitsForRetryAfterThenCarriesOn() async throws {
        let store = try JobStore(path: temporaryDatabasePath("jobwatch-engine"))
        let fetcher = ScriptedFetcher([
            "t": [
                .throttled(retryAfterMillis: 600, message: "APIGW.0308"), snapshot("t", "SUCCESS"),
            ]
        ])
        let engine = engine(store, fetcher, CapturingPrinter())
        let rowID = try await store.register(registration("t"), sinks: [], nowMillis: DaemonEngine.wallClock()).job
            .rowID
        await engine.start()
        #expect(try await eventually { try await store.job(rowID: rowID)?.record.tracking == .done })
        await engine.stop()
        let times = fetcher.pollTimes("t")
        try #require(times.count == 2)
        #expect(times[1] - times[0] >= 590)
    }

    @Test func repeated404sEndTrackingAsNotFound() async throws {
        let store = try JobStore(path: temporaryDatabasePath("jobwatch-engine"))
        var config = fastConfiguration()
        config.polling.notFoundAfter = 2
        let fetcher = ScriptedFetcher([:])
        let printer = CapturingPrinter()
        let engine = engine(store, fetcher, printer, config: config)
        let rowID = try await store.register(
            registration("gone"), sinks: config.sinkSubscriptions, nowMillis: DaemonEngine.wallClock()
        ).job.rowID
        await engine.start()
        #expect(try await eventually { try await store.job(rowID: rowID)?.record.tracking == .notFound })
        #expect(try await eventually { printer.printed.map(\.type) == [.notFound] })
        await engine.stop()
    }

    @Test func aJobPastItsDeadlineExpires() async throws {
        let store = try JobStore(path: temporaryDatabasePath("jobwatch-engine"))
        let fetcher = ScriptedFetcher(["slow": [snapshot("slow", "RUNNING")]])
        var registration = registration("slow")
        registration.deadlineAtMillis = DaemonEngine.wallClock() + 400
        let rowID = try await store.register(registration, sinks: [], nowMillis: DaemonEngine.wallClock()).job.rowID
        let engine = engine(store, fetcher, CapturingPrinter())
        await engine.start()
        #expect(try await eventually { try await store.job(rowID: rowID)?.record.tracking == .expired })
        await engine.stop()
        #expect(try await store.events(since: 0, limit: 10).map(\.type).last == .expired)
    }

    @Test func a403BacksOffOnlyItsJobWhileA401PausesTheAccount() async throws {
        let store = try JobStore(path: temporaryDatabasePath())
        let fetcher = ScriptedFetcher([
            "denied": [.forbidden(message: "forbidden (HTTP 403 IMG.0003)")],
            "fine": [snapshot("fine", "RUNNING"), snapshot("fine", "RUNNING"), snapshot("fine", "SUCCESS")],
        ])
        let engine = engine(store, fetcher, CapturingPrinter())
        let now = DaemonEngine.wallClock()
        let denied = try await store.register(registration("denied"), sinks: [], nowMillis: now).job.rowID
        let fine = try await store.register(registration("fine"), sinks: [], nowMillis: now).job.rowID
        await engine.start()
        #expect(try await eventually { try await store.job(rowID: fine)?.record.tracking == .done })
        await engine.stop()
        #expect(fetcher.pollTimes("denied").count == 1)
        let next = try #require(try await store.job(rowID: denied)?.record.nextPollAtMillis)
        #expect(next >= now + 240_000)

        // A 401 is the credentials: every job of the account waits.
        let paused = try JobStore(path: temporaryDatabasePath())
        let refusing = ScriptedFetcher([
            "first": [.unauthorized(message: "unauthorized (HTTP 401 APIGW.0301)")],
            "second": [snapshot("second", "RUNNING")],
        ])
        let second = try await paused.register(registration("second"), sinks: [], nowMillis: now + 60_000).job.rowID
        _ = try await paused.register(registration("first"), sinks: [], nowMillis: now)
        let pausedEngine = self.engine(paused, refusing, CapturingPrinter())
        await pausedEngine.start()
        #expect(try await eventually { !refusing.pollTimes("first").isEmpty })
        #expect(
            try await eventually { (try await paused.job(rowID: second)?.record.nextPollAtMillis ?? 0) > now + 240_000 }
        )
        await pausedEngine.stop()
    }

    @Test func aJobIsFetchedInItsOwnRegion() async throws {
        let store = try JobStore(path: temporaryDatabasePath())
        let fetcher = ScriptedFetcher(["south": [snapshot("south", "SUCCESS")], "home": [snapshot("home", "SUCCESS")]])
        var elsewhere = registration("south")
        elsewhere.region = "cn-south-1"
        let south = try await store.register(elsewhere, sinks: [], nowMillis: DaemonEngine.wallClock()).job.rowID
        let home = try await store.register(registration("home"), sinks: [], nowMillis: DaemonEngine.wallClock()).job
            .rowID
        let engine = engine(store, fetcher, CapturingPrinter())
        await engine.start()
        #expect(try await eventually { try await store.job(rowID: south)?.record.tracking == .done })
        #expect(try await eventually { try await store.job(rowID: home)?.record.tracking == .done })
        await engine.stop()
        #expect(fetcher.region("south") == .some("cn-south-1"))
        #expect(fetcher.region("home") == .some("r"))
    }
}
