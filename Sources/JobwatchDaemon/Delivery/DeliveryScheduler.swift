import JobwatchConfig
import JobwatchCore
import JobwatchStore
import JobwatchWebhooks
import Logging

/// Delivers the outbox: reads due pending deliveries, runs them within each sink's concurrency, records
/// every attempt, and arms a Dispatch timer for the next retry. The stdout sink prints whole batches in
/// sequence order, one transaction per batch. A crash leaves undelivered rows pending: they are sent
/// after the restart.
actor DeliveryScheduler {
    private let store: JobStore
    private let settings: SettingsBox
    private let printer: any EventPrinting
    private let webhooks: any WebhookSending
    private let clock: @Sendable () -> Int64
    private let logger: Logger
    private let lastProblem: LastProblem
    private var inFlight: [DeliveryKey: Task<Void, Never>] = [:]
    private var running = false
    private var stdoutTask: Task<Void, Never>?
    /// After standard output refused a line: no printing before this moment (1 s, doubling to 1 min).
    private var stdoutPausedUntil: Int64?
    private var stdoutFailures = 0
    private nonisolated let timer = DueTimer(label: "jobwatch.delivery-timer")

    init(
        store: JobStore, settings: SettingsBox, printer: any EventPrinting, webhooks: any WebhookSending,
        clock: @escaping @Sendable () -> Int64, logger: Logger, lastProblem: LastProblem
    ) {
        self.lastProblem = lastProblem
        self.store = store
        self.settings = settings
        self.printer = printer
        self.webhooks = webhooks
        self.clock = clock
        self.logger = logger
    }

    func start() {
        timer.onFire { [weak self] in await self?.tick() }
        running = true
        tick()
    }

    func tick() {
        guard running else { return }
        let configuration = settings.current.configuration
        var targets: [String: WebhookSinkConfig] = [:]
        for sink in configuration.webhooks { targets[sink.name] = sink }
        let now = clock()
        let stdoutPaused = stdoutPausedUntil.map { now < $0 } ?? false
        if configuration.stdout.enabled && stdoutTask == nil && !stdoutPaused {
            stdoutTask = Task {
                self.printDueEvents()
                self.stdoutTask = nil
            }
        }
        var allSinks = targets.keys.sorted()
        if configuration.stdout.enabled && !stdoutPaused { allSinks.append(Configuration.stdoutSinkName) }
        do {
            var busy: [String: Int] = [:]
            for key in inFlight.keys { busy[key.sink, default: 0] += 1 }
            let free = targets.filter { busy[$0.key, default: 0] < $0.value.concurrency }
            let capacity = free.reduce(0) { $0 + $1.value.concurrency - busy[$1.key, default: 0] }
            let due = try store.dueDeliveries(
                nowMillis: now, sinks: free.keys.sorted(), limit: capacity, excluding: Set(inFlight.keys))
            for delivery in due {
                guard let target = targets[delivery.sink], busy[delivery.sink, default: 0] < target.concurrency else {
                    continue
                }
                busy[delivery.sink, default: 0] += 1
                let key = DeliveryKey(eventSequence: delivery.event.sequence, sink: delivery.sink)
                inFlight[key] = Task { [target] in
                    await self.deliver(delivery, to: target)
                    self.finished(key)
                }
            }
            let resume = configuration.stdout.enabled && stdoutPaused ? stdoutPausedUntil : nil
            if let next = try store.earliestDelivery(sinks: allSinks, excluding: Set(inFlight.keys)) {
                timer.arm(atMillis: min(next, resume ?? next), nowMillis: now)
            } else if let resume {
                timer.arm(atMillis: resume, nowMillis: now)
            } else {
                timer.disarm()
            }
        } catch {
            logger.error("cannot read the outbox; trying again in 1 s", metadata: ["error": "\(error)"])
            timer.arm(atMillis: now + 1000, nowMillis: now)
        }
    }

    private func finished(_ key: DeliveryKey) {
        inFlight[key] = nil
        tick()
    }

    /// Prints every due stdout event in sequence order, a batch at a time. When standard output refuses a
    /// line, what was printed is recorded, the rest stays pending, and printing pauses (webhooks go on).
    private func printDueEvents() {
        do {
            while true {
                let due = try store.dueDeliveries(
                    nowMillis: clock(), sinks: [Configuration.stdoutSinkName], limit: 500, excluding: [])
                guard !due.isEmpty else { return }
                var printed: [DeliveryKey] = []
                var refusal: (any Error)?
                for delivery in due.sorted(by: { $0.event.sequence < $1.event.sequence }) {
                    do {
                        try printer.print(delivery.event)
                    } catch {
                        refusal = error
                        break
                    }
                    printed.append(DeliveryKey(eventSequence: delivery.event.sequence, sink: delivery.sink))
                }
                if !printed.isEmpty { try store.recordDelivered(printed, atMillis: clock()) }
                if let refusal {
                    pauseStdout(refusal)
                    return
                }
                if stdoutFailures > 0 {
                    logger.notice("standard output accepts events again", metadata: ["failures": "\(stdoutFailures)"])
                    stdoutFailures = 0
                    stdoutPausedUntil = nil
                }
                if due.count < 500 { return }
            }
        } catch {
            // Still pending: printed again later, so a line may repeat but is never lost.
            logger.error("cannot record stdout deliveries; they will be printed again", metadata: ["error": "\(error)"])
        }
    }

    /// Logged on the first failure of a run of them (then every 100th), not once per retry.
    private func pauseStdout(_ error: any Error) {
        stdoutFailures = stdoutFailures.incrementedSaturating
        let delay = min(Int64(1000) << Int64(min(stdoutFailures - 1, 6)), 60_000)
        stdoutPausedUntil = SaturatingTime.adding(delay, to: clock())
        if stdoutFailures == 1 || stdoutFailures % 100 == 0 {
            logger.error(
                "cannot print events on standard output; retrying with backoff, other sinks go on: \(error)",
                metadata: ["failures": "\(stdoutFailures)"])
        }
        lastProblem.record("stdout: \(error)", atMillis: clock())
        // Wake up to try again even if nothing else happens.
        let now = clock()
        timer.arm(atMillis: stdoutPausedUntil ?? now, nowMillis: now)
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
                "delivery is dead; see `jobwatch deliveries --state dead` and `jobwatch redeliver`: \(record.error ?? "-")",
                metadata: metadata)
        }
        do {
            try store.recordAttempt(key, record)
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
        if settings.current.configuration.stdout.enabled { printDueEvents() }
    }
}
