import JobwatchConfig
import JobwatchSystemd
import Logging
import ServiceLifecycle
import UnixSignals

/// `jobwatch daemon` as a swift-service-lifecycle `Service`: runs the engine, speaks sd_notify (READY,
/// STATUS, WATCHDOG, RELOADING, STOPPING), reloads the configuration on SIGHUP, and on SIGTERM/SIGINT stops
/// starting polls and gives requests in flight up to `shutdownGrace` before it returns. The grace leaves
/// room in the contract's 10 s for the last stdout records and closing the HTTP clients (1 s each at most).
package struct DaemonService: Service {
    let engine: DaemonEngine
    let notifier: SystemdNotifier?
    let watchdogInterval: Duration?
    /// Reads and validates the configuration again; throws `ConfigError` when the new one is bad.
    let loadConfiguration: @Sendable () throws -> Configuration
    /// Applies process-wide parts of a new configuration (the log level).
    let applyConfiguration: @Sendable (Configuration) -> Void
    let shutdownGrace: Duration
    let logger: Logger

    package init(
        engine: DaemonEngine, environment: [String: String], shutdownGrace: Duration = .seconds(6),
        loadConfiguration: @escaping @Sendable () throws -> Configuration,
        applyConfiguration: @escaping @Sendable (Configuration) -> Void, logger: Logger
    ) {
        self.engine = engine
        notifier = SystemdNotifier(environment: environment)
        watchdogInterval = SystemdNotifier.watchdogInterval(environment: environment)
        self.loadConfiguration = loadConfiguration
        self.applyConfiguration = applyConfiguration
        self.shutdownGrace = shutdownGrace
        self.logger = logger
    }

    package func run() async throws {
        // Trap SIGHUP before READY=1: a reload requested the moment systemd sees us ready must not kill us.
        let hangups = await UnixSignalsSequence(trapping: .sighup)
        await engine.start()
        notifier?.ready()
        let status = await engine.statusLine()
        notifier?.status(status)
        logger.info("jobwatch daemon is polling: \(status)")

        await withTaskGroup(of: Void.self) { group in
            group.addTask { await self.reload(on: hangups) }
            group.addTask { await self.reportStatus() }
            if let interval = watchdogInterval, let notifier {
                group.addTask {
                    while !Task.isCancelled {
                        // Ask the engine first: a wedged scheduler stops the pings and systemd restarts us.
                        // The same test answers GET /healthz.
                        if await self.engine.isMakingProgress() { notifier.watchdog() }
                        try? await Task.sleep(for: interval)
                    }
                }
            }
            try? await gracefulShutdown()
            group.cancelAll()
        }

        notifier?.stopping()
        logger.info("shutting down: no new polls; waiting for requests in flight")
        await engine.stop(grace: shutdownGrace)
        logger.info("stopped")
    }

    private func reload(on hangups: UnixSignalsSequence) async {
        for await _ in hangups {
            if Task.isCancelled { return }
            do {
                let configuration = try loadConfiguration()
                notifier?.reloading()
                applyConfiguration(configuration)
                await engine.reload(configuration)
                notifier?.ready()
                logger.notice(
                    "configuration reloaded", metadata: ["source": "\(configuration.source ?? "built-in defaults")"])
            } catch {
                logger.error("configuration reload rejected; the previous configuration stays in force: \(error)")
            }
        }
    }

    private func reportStatus() async {
        while !Task.isCancelled {
            try? await Task.sleep(for: .seconds(5))
            if Task.isCancelled { return }
            notifier?.status(await engine.statusLine())
        }
    }
}
