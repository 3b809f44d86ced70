import Foundation
import JobwatchConfig
import JobwatchCore
import JobwatchDaemon
import JobwatchStore
import JobwatchTestKit
import Logging
import Synchronization
import Testing

/// The real clocks, with the wall clock moved by whatever the test says: an NTP step, an operator's `date -s`.
final class SteppableClock: DaemonClock {
    private let system = SystemClock()
    private let offset = Mutex<Int64>(0)

    func wallMillis() -> Int64 { system.wallMillis() + offset.withLock { $0 } }
    func monotonicMillis() -> Int64 { system.monotonicMillis() }
    func step(byMillis millis: Int64) { offset.withLock { $0 += millis } }
}

/// Polls per job id, as seen by the fetcher (on the real clock, whatever the daemon's wall clock says).
final class CountingFetcher: JobFetching {
    private let counts = Mutex<[String: Int]>([:])
    private let answer: @Sendable (String) -> PollResult

    init(answer: @escaping @Sendable (String) -> PollResult) { self.answer = answer }

    func fetch(api: JobAPI, jobID: String, projectID: String?, region: String?) async -> PollResult {
        counts.withLock { $0[jobID, default: 0] += 1 }
        return answer(jobID)
    }

    func polls(_ jobID: String) -> Int { counts.withLock { $0[jobID] ?? 0 } }
}

/// Part of the serialized engine suite: engines polling every 50 ms must not run beside each other.
extension EngineTests {
    func registration(_ id: String, account: String, deadlineInMillis: Int64, now: Int64) -> Registration {
        Registration(
            jobID: id, api: .ims, account: account, region: "r", projectID: nil, labels: [:], sinks: nil,
            deadlineAtMillis: now + deadlineInMillis)
    }

    func clockedEngine(
        _ store: JobStore, fetchers: [String: any JobFetching], config: Configuration, clock: any DaemonClock
    ) -> DaemonEngine {
        DaemonEngine(
            store: store, configuration: config, makeFetchers: { _ in fetchers }, webhooks: NoWebhooks(),
            printer: CapturingPrinter(), logger: Logger(label: "test"), clock: clock)
    }

    /// Before: a step back left every job due an hour later (no poll for an hour); a step forward made the
    /// job's deadline pass at once.
    @Test func wallClockStepsOfAnHourNeitherStallPollingNorExpireJobs() async throws {
        let store = try JobStore(path: temporaryDatabasePath("jobwatch-clock"))
        let clock = SteppableClock()
        let fetcher = CountingFetcher { id in snapshot(id, "RUNNING") }
        let engine = clockedEngine(store, fetchers: ["default": fetcher], config: fastConfiguration(), clock: clock)
        let rowID = try await store.register(
            registration("steady", account: "default", deadlineInMillis: 30 * 60_000, now: clock.wallMillis()),
            sinks: [],
            nowMillis: clock.wallMillis()
        ).job.rowID
        await engine.start()
        #expect(try await eventually(timeout: .seconds(30)) { fetcher.polls("steady") >= 3 })

        clock.step(byMillis: 3_600_000)  // forward: the 30-minute deadline is "past" by the wall clock
        let beforeForward = fetcher.polls("steady")
        #expect(try await eventually(timeout: .seconds(30)) { fetcher.polls("steady") >= beforeForward + 5 })
        #expect(try await store.job(rowID: rowID)?.record.tracking == .active)

        clock.step(byMillis: -7_200_000)  // back: an hour before the start
        let beforeBack = fetcher.polls("steady")
        #expect(try await eventually(timeout: .seconds(30)) { fetcher.polls("steady") >= beforeBack + 5 })
        let job = try #require(try await store.job(rowID: rowID))
        await engine.stop()
        #expect(job.record.tracking == .active)
        // Still about 30 minutes of tracking left, on the wall clock as it is now.
        let left = try #require(job.record.deadlineAtMillis) - clock.wallMillis()
        #expect(left > 25 * 60_000 && left <= 30 * 60_000)
    }

    /// Both schedulers and the engine's watch ask the guard at once: a step moves the schedule once. (Before,
    /// a second caller entered the actor while the first waited for the store, saw the same step and moved
    /// the schedule again: a job's deadline moved twice as far, and a step back expired it.)
    @Test func concurrentReconcilesMoveTheScheduleOnce() async throws {
        let store = try JobStore(path: temporaryDatabasePath("jobwatch-clock"))
        let clock = SteppableClock()
        let rowID = try await store.register(
            registration("once", account: "default", deadlineInMillis: 30 * 60_000, now: clock.wallMillis()),
            sinks: [], nowMillis: clock.wallMillis()
        ).job.rowID
        let deadline = try #require(try await store.job(rowID: rowID)?.record.deadlineAtMillis)
        try await Task.sleep(for: .milliseconds(5))  // registered before the guard's first look
        let clockGuard = WallClockGuard(clock: clock, store: store, logger: Logger(label: "test"))

        clock.step(byMillis: -3_600_000)
        let steps = await withTaskGroup(of: Int64?.self) { group in
            for _ in 0..<8 { group.addTask { await clockGuard.reconcile() } }
            var steps: [Int64?] = []
            for await step in group { steps.append(step) }
            return steps
        }
        // The step as measured: the wall and the monotonic clock are read a moment apart.
        func isTheStep(_ millis: Int64) -> Bool { abs(millis + 3_600_000) <= 5 }
        #expect(steps.contains { $0.map(isTheStep) ?? false }, "\(steps)")
        #expect(steps.allSatisfy { $0.map(isTheStep) ?? true }, "\(steps)")
        let moved = try #require(try await store.job(rowID: rowID)?.record.deadlineAtMillis)
        #expect(isTheStep(moved - deadline), "moved by \(moved - deadline) ms")
        #expect(await clockGuard.reconcile() == nil)
    }

    /// Before: a throttled account's polls slept in the pacer holding `max_in_flight` slots, so with both
    /// slots asleep the other account's job waited for them.
    @Test func aThrottledAccountDoesNotStarveAnother() async throws {
        let store = try JobStore(path: temporaryDatabasePath("jobwatch-clock"))
        var config = fastConfiguration()
        config.accounts = ["slow", "fast"].map {
            AccountConfig(name: $0, region: "r", projectID: nil, credentials: .missing)
        }
        config.polling.maxInFlight = 2
        config.polling.requestsPerSecond = 1
        let slow = CountingFetcher { _ in .throttled(retryAfterMillis: nil, message: "APIGW.0308") }
        let fast = CountingFetcher { id in snapshot(id, "SUCCESS") }
        let clock = SteppableClock()
        let now = clock.wallMillis()
        for index in 0..<10 {
            _ = try await store.register(
                registration("slow-\(index)", account: "slow", deadlineInMillis: 600_000, now: now), sinks: [],
                nowMillis: now)
        }
        let engine = clockedEngine(store, fetchers: ["slow": slow, "fast": fast], config: config, clock: clock)
        await engine.start()
        // The slow account is throttled and its rate halves with every 429: its polls spread out.
        #expect(
            try await eventually(timeout: .seconds(10)) { (0..<10).map { slow.polls("slow-\($0)") }.reduce(0, +) >= 2 })
        let registeredAt = ContinuousClock.now
        // Registered as the CLI does, from another connection: the engine's database watch sees it.
        let rowID = try await JobStore(path: store.path).register(
            registration("fast-1", account: "fast", deadlineInMillis: 600_000, now: clock.wallMillis()), sinks: [],
            nowMillis: clock.wallMillis()
        ).job.rowID
        #expect(
            try await eventually(timeout: .seconds(10)) { try await store.job(rowID: rowID)?.record.tracking == .done })
        let waited = registeredAt.duration(to: .now)
        await engine.stop()
        // One request per second for the fast account: its job is polled at once, not after the slow ones.
        #expect(waited < .seconds(2))
        #expect(fast.polls("fast-1") == 1)
    }
}
