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
        if configuration.stdout.enabled && stdoutTask == nil {
            stdoutTask = Task {
                self.printDueEvents()
                self.stdoutTask = nil
            }
        }
        var allSinks = targets.keys.sorted()
        if configuration.stdout.enabled { allSinks.append(Configuration.stdoutSinkName) }
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
            if let next = try store.earliestDelivery(sinks: allSinks, excluding: Set(inFlight.keys)) {
                timer.arm(atMillis: next, nowMillis: now)
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

    /// Prints every due stdout event in sequence order, a batch at a time.
    private func printDueEvents() {
        do {
            while true {
                let due = try store.dueDeliveries(
                    nowMillis: clock(), sinks: [Configuration.stdoutSinkName], limit: 500, excluding: [])
                guard !due.isEmpty else { return }
                for delivery in due.sorted(by: { $0.event.sequence < $1.event.sequence }) {
                    printer.print(delivery.event)
                }
                try store.recordDelivered(
                    due.map { DeliveryKey(eventSequence: $0.event.sequence, sink: $0.sink) }, atMillis: clock())
                if due.count < 500 { return }
            }
        } catch {
            // Still pending: printed again later, so a line may repeat but is never lost.
            logger.error("cannot record stdout deliveries; they will be printed again", metadata: ["error": "\(error)"])
        }
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
