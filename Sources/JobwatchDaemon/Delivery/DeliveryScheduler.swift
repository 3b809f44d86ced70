import JobwatchConfig
import JobwatchCore
import JobwatchMetrics
import JobwatchStore
import JobwatchWebhooks
import Logging

/// Delivers the outbox: reads due pending deliveries, runs them within each sink's concurrency, records
/// every attempt, and arms a Dispatch timer for the next retry. The stdout sink prints whole batches in
/// sequence order, one transaction per batch. A crash leaves undelivered rows pending: they are sent
/// after the restart.
actor DeliveryScheduler: SerialLooks {
    private let store: any JobStoring
    private let settings: SettingsBox
    private let printer: any EventPrinting
    private let stdoutWrites = BlockingCalls(label: "jobwatch.stdout-writer")
    private let webhooks: any WebhookSending
    private let clockGuard: WallClockGuard
    private let clock: @Sendable () -> Int64
    private let logger: Logger
    private let lastProblem: LastProblem
    private let metrics: DaemonMetrics?
    private var inFlight: [DeliveryKey: Task<Void, Never>] = [:]
    private(set) var running = false
    private var stdoutTask: Task<Void, Never>?
    /// Events arrived while the stdout task was printing: it looks once more before it ends.
    private var printAgain = false
    var looks = LookState()
    /// Standard output refusals in a row (EPIPE, ENOSPC): printing pauses 1 s, doubling to 1 min.
    private var stdoutFailures = 0
    private nonisolated let timer: any SchedulerTimer

    init(
        store: any JobStoring, settings: SettingsBox, printer: any EventPrinting, webhooks: any WebhookSending,
        clockGuard: WallClockGuard, clock: @escaping @Sendable () -> Int64, logger: Logger, lastProblem: LastProblem,
        metrics: DaemonMetrics? = nil, makeTimer: SchedulerTimerFactory
    ) {
        timer = makeTimer("jobwatch.delivery-timer")
        self.clockGuard = clockGuard
        self.metrics = metrics
        self.lastProblem = lastProblem
        self.store = store
        self.settings = settings
        self.printer = printer
        self.webhooks = webhooks
        self.clock = clock
        self.logger = logger
    }

    /// Starts looking and returns at once: the first look runs in a task of its own, so a daemon that
    /// starts with many jobs due (its look loop runs on while polls keep finishing) still reports READY.
    func start() async {
        timer.onFire { [weak self] in await self?.tick() }
        running = true
        Task { await self.tick() }
    }

    func look() async {
        await clockGuard.reconcile()
        let configuration = settings.current.configuration
        var targets: [String: WebhookSinkConfig] = [:]
        for sink in configuration.webhooks { targets[sink.name] = sink }
        let now = clock()
        if configuration.stdout.enabled {
            if stdoutTask == nil {
                stdoutTask = Task { await self.printDueEvents() }
            } else {
                printAgain = true
            }
        }
        do {
            var busy: [String: Int] = [:]
            for key in inFlight.keys { busy[key.sink, default: 0] += 1 }
            // One query per sink with free slots, limited to them: a sink with a deep backlog cannot crowd
            // another's due deliveries out of a shared limit.
            for (name, target) in targets.sorted(by: { $0.key < $1.key }) {
                let free = target.concurrency - busy[name, default: 0]
                guard free > 0 else { continue }
                let due = try await store.dueDeliveries(
                    nowMillis: now, sinks: [name], limit: free, excluding: Set(inFlight.keys))
                for delivery in due {
                    let key = DeliveryKey(eventSequence: delivery.event.sequence, sink: delivery.sink)
                    guard inFlight[key] == nil else { continue }
                    busy[name, default: 0] += 1
                    inFlight[key] = Task { [target] in
                        await self.deliver(delivery, to: target)
                        await self.finished(key)
                    }
                }
            }
            // A saturated sink is refilled when one of its deliveries finishes, and the stdout sink by its
            // printing task: only the other sinks' next retry arms the timer (arming it for a delivery that
            // cannot start would fire it again at once, in a loop).
            let waiting = targets.filter { busy[$0.key, default: 0] < $0.value.concurrency }.keys.sorted()
            if let next = try await store.earliestDelivery(sinks: waiting, excluding: Set(inFlight.keys)) {
                timer.arm(atMillis: max(next, now + 1), nowMillis: now)
            } else {
                timer.disarm()
            }
        } catch {
            logger.error("cannot read the outbox; trying again in 1 s", metadata: ["error": "\(error)"])
            timer.arm(atMillis: now + 1000, nowMillis: now)
        }
    }

    var inFlightCount: Int { inFlight.count }

    private func finished(_ key: DeliveryKey) async {
        inFlight[key] = nil
        await tick()
    }

    /// Prints every due stdout event in sequence order, a batch at a time, then looks again if events
    /// arrived meanwhile; after a database error, again in 1 s; after standard output refused a line
    /// (EPIPE, ENOSPC), again after a backoff of 1 s doubling to 1 min, webhooks going on meanwhile.
    private func printDueEvents() async {
        var outcome = PrintOutcome.done
        repeat {
            printAgain = false
            outcome = await printBatches()
        } while printAgain && running && outcome == .done
        stdoutTask = nil
        let retryMillis: Int64
        switch outcome {
        case .done: return
        case .databaseFailed: retryMillis = 1000
        case .stdoutRefused: retryMillis = min(Int64(1000) << Int64(min(max(stdoutFailures, 1) - 1, 6)), 60_000)
        }
        stdoutTask = Task {
            try? await Task.sleep(for: .milliseconds(retryMillis))
            if !Task.isCancelled { await self.printDueEvents() }
        }
    }

    private enum PrintOutcome { case done, databaseFailed, stdoutRefused }

    private func printBatches() async -> PrintOutcome {
        do {
            while true {
                let due = try await store.dueDeliveries(
                    nowMillis: clock(), sinks: [Configuration.stdoutSinkName], limit: 500, excluding: [])
                guard !due.isEmpty else { return .done }
                // Written off the cooperative pool: a reader that stopped reading blocks only this sink.
                let printer = self.printer
                let (printed, refusal) = await stdoutWrites.run { () -> ([DeliveryKey], (any Error)?) in
                    var printed: [DeliveryKey] = []
                    for delivery in due.sorted(by: { $0.event.sequence < $1.event.sequence }) {
                        do {
                            try printer.print(delivery.event)
                        } catch {
                            return (printed, error)
                        }
                        printed.append(DeliveryKey(eventSequence: delivery.event.sequence, sink: delivery.sink))
                    }
                    return (printed, nil)
                }
                if !printed.isEmpty {
                    try await store.recordDelivered(printed, atMillis: clock())
                    metrics?.recordDelivery(
                        sink: Configuration.stdoutSinkName, result: .delivered, count: printed.count)
                }
                if let refusal {
                    noteStdoutRefusal(refusal)
                    return .stdoutRefused
                }
                if stdoutFailures > 0 {
                    logger.notice("standard output accepts events again", metadata: ["failures": "\(stdoutFailures)"])
                    stdoutFailures = 0
                }
                if due.count < 500 { return .done }
            }
        } catch {
            // Still pending: printed again later, so a line may repeat but is never lost.
            logger.error("cannot record stdout deliveries; they will be printed again", metadata: ["error": "\(error)"])
            return .databaseFailed
        }
    }

    /// Logged on the first failure of a run of them (then every 100th), not once per retry.
    private func noteStdoutRefusal(_ error: any Error) {
        stdoutFailures = stdoutFailures.incrementedSaturating
        if stdoutFailures == 1 || stdoutFailures % 100 == 0 {
            logger.error(
                "cannot print events on standard output; retrying with backoff, other sinks go on: \(error)",
                metadata: ["failures": "\(stdoutFailures)"])
        }
        lastProblem.record("stdout: \(error)", atMillis: clock())
    }

    private nonisolated func deliver(_ delivery: DueDelivery, to sink: WebhookSinkConfig) async {
        let key = DeliveryKey(eventSequence: delivery.event.sequence, sink: delivery.sink)
        let record = await webhooks.attempt(
            delivery.event, to: sink, attemptsBefore: delivery.attempts, nowMillis: clock())
        // Cut short by shutdown: not an attempt; the delivery stays pending and goes out after the restart.
        if Task.isCancelled { return }
        var metadata: Logger.Metadata = [
            "sink": "\(sink.name)", "event_id": "\(delivery.event.id)", "type": "\(delivery.event.type.rawValue)",
            "attempt": "\(delivery.attempts + 1)", "duration_ms": "\(record.durationMillis)",
        ]
        if let status = record.statusCode { metadata["http_status"] = "\(status)" }
        if record.newState != .delivered {
            lastProblem.record("delivery to \(sink.name) failed: \(record.error ?? "-")", atMillis: record.atMillis)
        }
        switch record.newState {
        case .delivered: logger.debug("delivered", metadata: metadata)
        case .pending: logger.warning("delivery failed; will retry: \(record.error ?? "-")", metadata: metadata)
        case .dead:
            logger.error(
                """
                delivery is dead; see `jobwatch deliveries --state dead` and `jobwatch redeliver`: \
                \(record.error ?? "-")
                """,
                metadata: metadata)
        }
        do {
            try await store.recordAttempt(key, record)
            let result: DeliveryResult =
                switch record.newState {
                case .delivered: .delivered
                case .pending: .failed
                case .dead: .dead
                }
            metrics?.recordDelivery(sink: sink.name, result: result)
        } catch {
            // The row stays pending, so the event is sent again: at-least-once, never lost.
            logger.error(
                "cannot record a delivery attempt; it will be repeated",
                metadata: ["error": "\(error)", "sink": "\(delivery.sink)"])
        }
    }

    /// Stops starting deliveries, lets those in flight finish (cancelled after `grace`), and prints what the
    /// stdout sink still owes, so a clean stop leaves no event unprinted.
    func stop(grace: Duration) async {
        running = false
        timer.cancel()
        await drain(Array(inFlight.values) + [stdoutTask].compactMap { $0 }, grace: grace)
        // Bounded: with another process holding the database's write lock, the record could wait 15 s.
        if settings.current.configuration.stdout.enabled {
            await awaitAtMost(.seconds(1)) { _ = await self.printBatches() }
        }
    }
}
