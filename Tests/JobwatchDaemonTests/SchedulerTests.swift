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

/// A clock the test moves by hand; wall and monotonic time move together (no steps).
final class HandClock: DaemonClock {
    private let millis = Mutex<Int64>(1_780_000_000_000)
    var now: Int64 { millis.withLock { $0 } }
    func wallMillis() -> Int64 { now }
    func monotonicMillis() -> Int64 { now - 1_780_000_000_000 }
    func advance(byMillis delta: Int64) { millis.withLock { $0 += delta } }
}

/// A timer that fires only when the test says so, and remembers every moment it was armed for.
final class HandTimer: SchedulerTimer {
    private let state = Mutex<(action: (@Sendable () async -> Void)?, armedAt: Int64?, arms: [Int64])>((nil, nil, []))

    func onFire(_ action: @escaping @Sendable () async -> Void) { state.withLock { $0.action = action } }
    func arm(atMillis: Int64, nowMillis: Int64) {
        state.withLock {
            $0.armedAt = atMillis
            $0.arms.append(atMillis)
        }
    }
    func disarm() { state.withLock { $0.armedAt = nil } }
    func cancel() { state.withLock { $0.armedAt = nil } }

    /// When it would fire; nil when disarmed.
    var armedAt: Int64? { state.withLock { $0.armedAt } }
    /// Every moment it was armed for, in order.
    var arms: [Int64] { state.withLock { $0.arms } }

    /// Fires now, as the real timer does when its moment has come.
    func fire() async {
        let action = state.withLock { state -> (@Sendable () async -> Void)? in
            state.armedAt = nil
            return state.action
        }
        await action?()
    }
}

/// The two timers an engine makes, by name.
final class HandTimers: Sendable {
    let poll = HandTimer()
    let delivery = HandTimer()

    var factory: SchedulerTimerFactory {
        { [poll, delivery] label in label.contains("poll") ? poll : delivery }
    }
}

/// A gate that holds every caller until the test opens it; counts who is waiting.
final class Gate: Sendable {
    private let state = Mutex<(open: Bool, waiting: [CheckedContinuation<Void, Never>], peak: Int, passed: Int)>(
        (false, [], 0, 0))

    func pass() async {
        await withCheckedContinuation { continuation in
            let go = state.withLock { state -> Bool in
                if state.open { return true }
                state.waiting.append(continuation)
                state.peak = max(state.peak, state.waiting.count)
                return false
            }
            if go { continuation.resume() }
        }
        state.withLock { $0.passed += 1 }
    }

    func open() {
        let waiting = state.withLock { state in
            state.open = true
            defer { state.waiting = [] }
            return state.waiting
        }
        for waiter in waiting { waiter.resume() }
    }

    var waiting: Int { state.withLock { $0.waiting.count } }
    var peak: Int { state.withLock { $0.peak } }
    var passed: Int { state.withLock { $0.passed } }
}

/// Answers every poll with `status`, after the gate (when there is one).
final class GatedFetcher: JobFetching {
    let gate: Gate?
    private let status: String
    private let polls = Mutex<[String]>([])

    init(status: String, gate: Gate? = nil) {
        self.status = status
        self.gate = gate
    }

    func fetch(api: JobAPI, jobID: String, projectID: String?, region: String?) async -> PollResult {
        polls.withLock { $0.append(jobID) }
        await gate?.pass()
        return snapshot(jobID, status)
    }

    var polled: [String] { polls.withLock { $0 } }
}

/// Answers every poll with `status` after 20 ms, counting the requests under way at once.
final class ConcurrencyFetcher: JobFetching {
    private let status: String
    private let state = Mutex<(polled: [String], current: Int, peak: Int)>(([], 0, 0))

    init(status: String) { self.status = status }

    func fetch(api: JobAPI, jobID: String, projectID: String?, region: String?) async -> PollResult {
        state.withLock {
            $0.polled.append(jobID)
            $0.current += 1
            $0.peak = max($0.peak, $0.current)
        }
        try? await Task.sleep(for: .milliseconds(20))
        state.withLock { $0.current -= 1 }
        return snapshot(jobID, status)
    }

    var polled: [String] { state.withLock { $0.polled } }
    /// The most requests under way at once.
    var peak: Int { state.withLock { $0.peak } }
}

/// A webhook receiver that takes every delivery after the gate.
struct GatedWebhooks: WebhookSending {
    let gate: Gate

    func attempt(
        _ event: StoredEvent, to sink: WebhookSinkConfig, attemptsBefore: Int, nowMillis: Int64
    ) async -> AttemptRecord {
        await gate.pass()
        return AttemptRecord(
            atMillis: nowMillis, statusCode: 204, error: nil, durationMillis: 1, newState: .delivered,
            nextAttemptAtMillis: nil)
    }
}

/// The poll and delivery schedulers driven by hand: the clock stands still unless the test moves it and the
/// timers fire only when the test fires them, so what is armed when, and what starts, is exact.
@Suite struct SchedulerTests {
    let clock = HandClock()
    let timers = HandTimers()

    func engine(
        _ store: JobStore, fetcher: any JobFetching, config: Configuration, webhooks: any WebhookSending = NoWebhooks()
    ) -> DaemonEngine {
        DaemonEngine(
            store: store, configuration: config, makeFetchers: { _ in ["default": fetcher] }, webhooks: webhooks,
            printer: CapturingPrinter(), logger: Logger(label: "test"), clock: clock, makeTimer: timers.factory)
    }

    func register(_ store: JobStore, _ ids: [String], firstPollIn: Int64 = 0, config: Configuration) async throws {
        _ = try await store.registerJobs(
            ids.map {
                Registration(
                    jobID: $0, api: .ims, account: "default", region: "r", projectID: nil, labels: [:], sinks: nil,
                    deadlineAtMillis: clock.now + 3_600_000, firstPollAtMillis: clock.now + firstPollIn)
            }, sinks: config.sinkSubscriptions, nowMillis: clock.now)
    }

    /// Nothing due: the process sleeps until the earliest planned poll, and nothing is polled before it.
    @Test func theTimerIsArmedForTheEarliestPollAndNothingIsPolledBeforeItFires() async throws {
        let store = try JobStore(path: temporaryDatabasePath("jobwatch-sched"))
        let config = fastConfiguration()
        try await register(store, ["late"], firstPollIn: 10_000, config: config)
        try await register(store, ["later"], firstPollIn: 20_000, config: config)
        let fetcher = GatedFetcher(status: "RUNNING")
        let engine = engine(store, fetcher: fetcher, config: config)
        let start = clock.now
        await engine.start()
        #expect(try await eventually(timeout: .seconds(30)) { timers.poll.armedAt == start + 10_000 })
        try await Task.sleep(for: .milliseconds(200))
        #expect(fetcher.polled.isEmpty)

        clock.advance(byMillis: 10_000)
        await timers.poll.fire()
        #expect(try await eventually(timeout: .seconds(30)) { fetcher.polled == ["late"] })
        // Armed again for the job's next poll as recorded (the initial interval: 50 ms, no jitter).
        #expect(
            try await eventually(timeout: .seconds(30)) {
                let jobs = try await store.list(tracking: .active, api: nil, labels: [:])
                return jobs.first { $0.record.jobID == "late" }?.record.nextPollAtMillis == clock.now + 50
            })
        #expect(try await eventually(timeout: .seconds(30)) { timers.poll.armedAt == clock.now + 50 })
        await engine.stop(grace: .seconds(1))
        #expect(fetcher.polled == ["late"])
    }

    /// More due than `max_in_flight`: exactly that many run, the timer is not armed meanwhile (a due job
    /// that cannot start would fire it in a loop), and finishing polls refill the slots without a timer.
    @Test func saturatedPollsDisarmTheTimerAndFinishingPollsRefillTheSlots() async throws {
        let store = try JobStore(path: temporaryDatabasePath("jobwatch-sched"))
        var config = fastConfiguration()
        config.polling.maxInFlight = 2
        let ids = (0..<6).map { "job-\($0)" }
        try await register(store, ids, config: config)
        let gate = Gate()
        let fetcher = GatedFetcher(status: "SUCCESS", gate: gate)
        let engine = engine(store, fetcher: fetcher, config: config)
        await engine.start()
        #expect(try await eventually(timeout: .seconds(30)) { gate.waiting == 2 })
        try await Task.sleep(for: .milliseconds(200))
        #expect(gate.waiting == 2)
        #expect(fetcher.polled.count == 2)
        #expect(timers.poll.armedAt == nil)

        gate.open()
        #expect(try await eventually(timeout: .seconds(30)) { Set(fetcher.polled) == Set(ids) })
        #expect(gate.peak == 2)
        #expect(
            try await eventually(timeout: .seconds(30)) {
                try await store.list(tracking: .active, api: nil, labels: [:]).isEmpty
            })
        await engine.stop(grace: .seconds(1))
        #expect(fetcher.polled.count == ids.count, "each job polled once: \(fetcher.polled)")
    }

    /// `max_in_flight` counts requests: while another process holds SQLite's write lock, the answers that
    /// wait for the writer free their request slots for other jobs, up to as many answers again (then the
    /// scheduler waits: answers do not pile up). No job is polled twice, and all is recorded once the lock
    /// is released. (Before, a slot was held until the answer was recorded: two polls, then nothing.)
    @Test func answersWaitingForTheWriterDoNotHoldRequestSlots() async throws {
        let path = temporaryDatabasePath("jobwatch-sched")
        let store = try JobStore(path: path)
        var config = fastConfiguration()
        config.polling.maxInFlight = 2
        let ids = (0..<8).map { "job-\($0)" }
        try await register(store, ids, firstPollIn: 1000, config: config)
        let fetcher = ConcurrencyFetcher(status: "SUCCESS")
        let engine = engine(store, fetcher: fetcher, config: config)
        let start = clock.now
        await engine.start()
        #expect(try await eventually(timeout: .seconds(30)) { timers.poll.armedAt == start + 1000 })
        let holder = try await PeerProcess.lockHolder(database: path)
        clock.advance(byMillis: 1000)
        await timers.poll.fire()
        #expect(try await eventually(timeout: .seconds(30)) { fetcher.polled.count == 4 })
        try await Task.sleep(for: .milliseconds(500))
        #expect(fetcher.polled.count == 4, "at most 2 requests and 2 answers waiting: \(fetcher.polled)")
        #expect(try await store.list(tracking: .active, api: nil, labels: [:]).count == ids.count)

        holder.stop()
        #expect(
            try await eventually(timeout: .seconds(30)) {
                try await store.list(tracking: .active, api: nil, labels: [:]).isEmpty
            })
        await engine.stop(grace: .seconds(1))
        #expect(fetcher.polled.sorted() == ids.sorted(), "each job polled once")
        #expect(fetcher.peak == 2)
    }

    /// An account at its `requests_per_second` holds no slot while it waits: the timer is armed for its next
    /// request slot (1 per second here), and its jobs go one per slot.
    @Test func aPacedAccountArmsTheTimerForItsNextRequestSlot() async throws {
        let store = try JobStore(path: temporaryDatabasePath("jobwatch-sched"))
        var config = fastConfiguration()
        config.polling.requestsPerSecond = 1
        try await register(store, ["a", "b", "c"], config: config)
        let fetcher = GatedFetcher(status: "SUCCESS")
        let engine = engine(store, fetcher: fetcher, config: config)
        let start = clock.now
        await engine.start()
        #expect(try await eventually(timeout: .seconds(30)) { fetcher.polled.count == 1 })
        #expect(try await eventually(timeout: .seconds(30)) { timers.poll.armedAt == start + 1000 })
        try await Task.sleep(for: .milliseconds(200))
        #expect(fetcher.polled.count == 1)

        clock.advance(byMillis: 1000)
        await timers.poll.fire()
        #expect(try await eventually(timeout: .seconds(30)) { fetcher.polled.count == 2 })
        #expect(try await eventually(timeout: .seconds(30)) { timers.poll.armedAt == start + 2000 })
        clock.advance(byMillis: 1000)
        await timers.poll.fire()
        #expect(try await eventually(timeout: .seconds(30)) { fetcher.polled.count == 3 })
        #expect(
            try await eventually(timeout: .seconds(30)) {
                try await store.list(tracking: .active, api: nil, labels: [:]).isEmpty
            })
        await engine.stop(grace: .seconds(1))
        #expect(Set(fetcher.polled) == ["a", "b", "c"])
    }

    /// A sink at its `concurrency` with a backlog: the delivery timer is never armed for a delivery that
    /// cannot start (before: armed for "now" in a loop, 96 % of a core while a slow receiver answered), and
    /// each finished delivery starts the next.
    @Test func aSaturatedSinkIsLeftOutOfTheTimerAndRefilledOnCompletion() async throws {
        let store = try JobStore(path: temporaryDatabasePath("jobwatch-sched"))
        var config = fastConfiguration()
        config.stdout.enabled = false
        config.webhooks = [
            WebhookSinkConfig(
                name: "slow", url: URL(string: "http://127.0.0.1:9/hook")!, events: .terminal, concurrency: 1)
        ]
        let ids = (0..<5).map { "done-\($0)" }
        try await register(store, ids, config: config)
        let gate = Gate()
        let engine = engine(
            store, fetcher: GatedFetcher(status: "SUCCESS"), config: config, webhooks: GatedWebhooks(gate: gate))
        await engine.start()
        // Five verdicts, one delivery at a time.
        #expect(
            try await eventually(timeout: .seconds(30)) {
                try await store.list(tracking: .active, api: nil, labels: [:]).isEmpty
            })
        #expect(try await eventually(timeout: .seconds(30)) { gate.waiting == 1 })
        try await Task.sleep(for: .milliseconds(300))
        #expect(gate.waiting == 1)
        let now = clock.now
        #expect(timers.delivery.arms.allSatisfy { $0 > now }, "armed for a delivery that cannot start")
        #expect(timers.delivery.armedAt == nil)

        gate.open()
        #expect(
            try await eventually(timeout: .seconds(30)) {
                try await store.deliveries(state: .delivered, sink: "slow", createdSinceMillis: nil).count == ids.count
            })
        #expect(gate.peak == 1)
        await engine.stop(grace: .seconds(1))
    }
}
