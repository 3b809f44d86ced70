import Foundation
import JobwatchConfig
import JobwatchCore
import JobwatchMetrics
import JobwatchStore
import Logging
import Synchronization

/// The tracking service without its process concerns: polls due jobs, records what they do, delivers the
/// events. `jobwatch daemon` runs it under swift-service-lifecycle; `jobwatch demo` and tests run it directly.
package final class DaemonEngine: Sendable {
    package typealias FetcherFactory = @Sendable (Configuration) -> [String: any JobFetching]

    private let store: any JobStoring
    private let settings: SettingsBox
    private let makeFetchers: FetcherFactory
    private let pacer: AccountPacer
    private let polls: PollScheduler
    private let deliveries: DeliveryScheduler
    private let clockGuard: WallClockGuard
    private let watch = Mutex<(any StoreWatch)?>(nil)
    private let clockWatch = Mutex<Task<Void, Never>?>(nil)
    private let pruner: Pruner
    private let logger: Logger
    private let lastProblem = LastProblem()
    /// Set when `metrics.listen` is: what `GET /metrics` serves.
    package let metrics: DaemonMetrics?
    private let health = HealthProbe()

    package init(
        store: any JobStoring, configuration: Configuration, makeFetchers: @escaping FetcherFactory,
        webhooks: any WebhookSending, printer: any EventPrinting = JSONLinesPrinter(), logger: Logger,
        clock: any DaemonClock = SystemClock(), metrics: DaemonMetrics? = nil,
        makeTimer: @escaping SchedulerTimerFactory = { DueTimer(label: $0) }, pollExecutor: (any TaskExecutor)? = nil
    ) {
        self.metrics = metrics
        let clockGuard = WallClockGuard(clock: clock, store: store, logger: logger)
        self.clockGuard = clockGuard
        // Everything the daemon plans and records runs on the schedule clock (see `WallClockGuard`).
        let wallClock: @Sendable () -> Int64 = { clockGuard.now() }
        self.store = store
        self.makeFetchers = makeFetchers
        self.logger = logger
        let settings = SettingsBox(DaemonSettings(configuration: configuration, fetchers: makeFetchers(configuration)))
        self.settings = settings
        let pacer = AccountPacer(
            requestsPerSecond: configuration.polling.requestsPerSecond,
            monotonicMillis: { clock.monotonicMillis() }, sharedSlots: store as? any SharedRequestSlots)
        self.pacer = pacer
        let deliveries = DeliveryScheduler(
            store: store, settings: settings, printer: printer, webhooks: webhooks, clockGuard: clockGuard,
            clock: wallClock, logger: logger, lastProblem: lastProblem, metrics: metrics, makeTimer: makeTimer)
        self.deliveries = deliveries
        let poller = Poller(
            store: store, settings: settings, pacer: pacer, clock: wallClock, logger: logger,
            lastProblem: lastProblem, metrics: metrics, onEvents: { Task { await deliveries.tick() } })
        let polls = PollScheduler(
            store: store, settings: settings, poller: poller, pacer: pacer, clockGuard: clockGuard, clock: wallClock,
            logger: logger, makeTimer: makeTimer, pollExecutor: pollExecutor)
        self.polls = polls
        pruner = Pruner(store: store, settings: settings, clock: wallClock, logger: logger)
    }

    package static let wallClock: @Sendable () -> Int64 = { Int64((Date().timeIntervalSince1970 * 1000).rounded()) }

    /// Starts polling and delivering; every active job resumes from its stored schedule and every pending
    /// delivery is sent.
    package func start() async {
        let polls = self.polls
        let deliveries = self.deliveries
        let watch = store.watchForeignChanges {
            Task {
                await polls.tick()
                await deliveries.tick()
            }
        }
        self.watch.withLock { $0 = watch }
        if watch == nil {
            logger.warning(
                """
                cannot watch the database directory (inotify); jobs registered from the CLI are seen at the next \
                scheduled wake-up
                """)
        }
        if let metrics {
            metrics.startCountingRegistrations(afterSequence: (try? await store.lastEventSequence()) ?? 0)
        }
        await deliveries.start()
        await polls.start()
        // Idle schedulers look at the clock only when their timer fires: check for wall-clock steps every
        // few seconds as well, so a step is followed within 5 s even with nothing due.
        let clockGuard = self.clockGuard
        let task = Task {
            while !Task.isCancelled {
                try? await Task.sleep(for: .seconds(5))
                if Task.isCancelled { return }
                if await clockGuard.reconcile() != nil {
                    await polls.tick()
                    await deliveries.tick()
                }
            }
        }
        clockWatch.withLock { $0 = task }
        await pruner.start()
    }

    /// Takes a new configuration: polling settings, accounts and sinks. The database path is fixed at start.
    package func reload(_ configuration: Configuration) async {
        settings.replace(DaemonSettings(configuration: configuration, fetchers: makeFetchers(configuration)))
        metrics?.addSinks(configuration.sinkSubscriptions.map(\.name))
        await pacer.reconfigure(requestsPerSecond: configuration.polling.requestsPerSecond)
        await polls.tick()
        await deliveries.tick()
    }

    /// Stops starting work, then waits for polls and deliveries in flight (cancelled after `grace`).
    package func stop(grace: Duration = .seconds(10)) async {
        watch.withLock { $0 }?.stop()
        clockWatch.withLock { $0 }?.cancel()
        // Bounded like the rest of shutdown: a prune waiting on another process's lock is abandoned.
        let pruner = self.pruner
        await awaitAtMost(.seconds(1)) { await pruner.stop() }
        async let pollsStopped: Void = polls.stop(grace: grace)
        async let deliveriesStopped: Void = deliveries.stop(grace: grace)
        _ = await (pollsStopped, deliveriesStopped)
        // Bounded too: what a held lock keeps from being written is polled again after the restart.
        let store = self.store
        await awaitAtMost(.seconds(1)) { await store.writePendingPolls() }
    }

    /// The test behind both the systemd watchdog and `GET /healthz`: both schedulers answer and the database
    /// can be read, within `within`, and neither scheduler has been stuck in one look at the schedule for over
    /// `lookLimit` (a look takes milliseconds; one waiting on another process's lock fails after 15 s and is
    /// retried, which is progress). Idle is progress too: with nothing due there is nothing to do.
    package func isMakingProgress(within: Duration = .seconds(5), lookLimit: Duration = .seconds(45)) async -> Bool {
        let (polls, deliveries, store) = (self.polls, self.deliveries, self.store)
        return await health.check(within: within) {
            guard await !polls.isStuck(longerThan: lookLimit), await !deliveries.isStuck(longerThan: lookLimit) else {
                return false
            }
            return (try? await store.lastEventSequence()) != nil
        }
    }

    /// `GET /metrics`: the gauges read from the database now, then every series as Prometheus text.
    package func metricsExposition() async -> [UInt8] {
        guard let metrics else { return [] }
        if let jobs = try? await store.jobCountsByTracking() { metrics.updateJobs(jobs) }
        if let pending = try? await store.pendingDeliveriesBySink() { metrics.updateOutbox(pending) }
        if let cursor = metrics.registrationCursor,
            let (count, last) = try? await store.countEvents(of: .registered, afterSequence: cursor)
        {
            metrics.recordRegistrations(count, from: cursor, upTo: last)
        }
        return metrics.exposition()
    }

    /// One line for systemd's STATUS=: active jobs, polls in flight, deliveries, and the last problem.
    package func statusLine() async -> String {
        let inFlight = await polls.inFlightCount
        guard let counts = try? await store.counts() else { return "database unavailable" }
        var line =
            "\(counts.activeJobs) active jobs, \(inFlight) polls in flight, "
            + "\(counts.pendingDeliveries) deliveries pending, \(counts.deadDeliveries) dead"
        if let problem = lastProblem.current {
            line += "; last error at \(CloudTime.format(millis: problem.atMillis)): \(problem.message)"
        }
        return String(line.prefix(400))
    }
}
