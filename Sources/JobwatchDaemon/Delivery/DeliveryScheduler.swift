import JobwatchConfig
import JobwatchCore
import JobwatchStore
import Logging

/// Delivers the outbox: reads due pending deliveries, runs them within each sink's concurrency (the
/// stdout sink one at a time, so lines keep sequence order), records every attempt, and arms a Dispatch
/// timer for the next retry. A crash leaves undelivered rows pending: they are sent after the restart.
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
        timer.onFire { [weak self] in
            guard let self else { return }
            Task { await self.tick() }
        }
        running = true
        tick()
    }

    private enum Target {
        case stdout
        case webhook(WebhookSinkConfig)

        var concurrency: Int {
            switch self {
            case .stdout: return 1
            case .webhook(let sink): return sink.concurrency
            }
        }
    }

    func tick() {
        guard running else { return }
        let configuration = settings.current.configuration
        var targets: [String: Target] = [:]
        if configuration.stdout.enabled { targets[Configuration.stdoutSinkName] = .stdout }
        for sink in configuration.webhooks { targets[sink.name] = .webhook(sink) }
        let now = clock()
        do {
            var busy: [String: Int] = [:]
            for key in inFlight.keys { busy[key.sink, default: 0] += 1 }
            let free = targets.filter { busy[$0.key, default: 0] < $0.value.concurrency }
            let capacity = free.reduce(0) { $0 + $1.value.concurrency - busy[$1.key, default: 0] }
            let due = try store.dueDeliveries(
                nowMillis: now, sinks: free.keys.sorted(), limit: capacity, excluding: Set(inFlight.keys))
            for delivery in due {
                guard let target = targets[delivery.sink], busy[delivery.sink, default: 0] < target.concurrency else { continue }
                busy[delivery.sink, default: 0] += 1
                let key = DeliveryKey(eventSequence: delivery.event.sequence, sink: delivery.sink)
                inFlight[key] = Task { [target] in
                    await self.deliver(delivery, to: target)
                    self.finished(key)
                }
            }
            if let next = try store.earliestDelivery(sinks: targets.keys.sorted(), excluding: Set(inFlight.keys)) {
                timer.arm(atMillis: next, nowMillis: now)
            } else {
                timer.disarm()
            }
        } catch {
            logger.error("cannot read the outbox; trying again in 1 s", metadata: ["error": "\(error)"])
            timer.arm(atMillis: now + 1000, nowMillis: now)
        }
    }

    var inFlightCount: Int { inFlight.count }

    private func finished(_ key: DeliveryKey) {
        inFlight[key] = nil
        tick()
    }

    private nonisolated func deliver(_ delivery: DueDelivery, to target: Target) async {
        let key = DeliveryKey(eventSequence: delivery.event.sequence, sink: delivery.sink)
        let record: AttemptRecord
        switch target {
        case .stdout:
            let start = clock()
            printer.print(delivery.event)
            record = AttemptRecord(
                atMillis: start, statusCode: nil, error: nil, durationMillis: clock() - start, newState: .delivered,
                nextAttemptAtMillis: nil)
        case .webhook(let sink):
            record = await webhooks.attempt(delivery.event, to: sink, attemptsBefore: delivery.attempts, nowMillis: clock())
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
            case .dead: logger.error("delivery is dead; see `jobwatch deliveries --state dead` and `jobwatch redeliver`: \(record.error ?? "-")", metadata: metadata)
            }
        }
        do {
            try store.recordAttempt(key, record)
        } catch {
            // The row stays pending, so the event is sent again: at-least-once, never lost.
            logger.error("cannot record a delivery attempt; it will be repeated", metadata: ["error": "\(error)", "sink": "\(delivery.sink)"])
        }
    }

    func stop(grace: Duration) async {
        running = false
        timer.cancel()
        await drain(Array(inFlight.values), grace: grace)
    }
}
