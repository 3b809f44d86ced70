import ArgumentParser
import Foundation
import JobwatchConfig
import JobwatchDaemon
import JobwatchMetrics
import JobwatchPostgres
import JobwatchSystemd
import Logging
import ServiceLifecycle

struct Daemon: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Run the tracking service in the foreground (systemd Type=notify).",
        discussion: """
            Polls every active job, records each change, prints events on stdout (JSON Lines) and delivers them to \
            the configured webhooks. SIGTERM/SIGINT: finish in-flight requests and exit 0. SIGHUP: reload the \
            configuration (a bad one is rejected and the old one kept). Logs go to stderr.
            """)

    @OptionGroup var global: GlobalOptions

    func run() async throws {
        let environment = ProcessInfo.processInfo.environment
        let context = try CLIContext.load(global, secrets: .read)
        if let problem = DaemonReadiness.problem(context.configuration) {
            throw CLIFailure(.configuration, problem)
        }
        let levels = JobwatchLogHandler.bootstrap(level: context.configuration.logLevel, environment: environment)
        let logger = Logger(label: "jobwatch")
        // One daemon per SQLite database, before anything touches it (a migration included). PostgreSQL is
        // made for several daemons: no lock there.
        var lock: DatabaseLock?
        if context.postgresURL == nil {
            do {
                lock = try DatabaseLock(databasePath: context.databasePath)
            } catch let error as DatabaseLockError {
                switch error {
                case .held: throw CLIFailure(.tempFailure, error.description)
                case .unavailable: throw CLIFailure(.ioError, error.description)
                }
            }
        }
        let store = try await context.openStore()
        // A webhook receiver that hangs up must not kill the process.
        signal(SIGPIPE, SIG_IGN)
        let metrics = context.configuration.metrics.map { _ in
            DaemonMetrics(version: Jobwatch.version, sinks: context.configuration.sinkSubscriptions.map(\.name))
        }
        let runtime = DaemonRuntime(
            store: store, configuration: context.configuration, environment: environment, version: Jobwatch.version,
            logger: logger, metrics: metrics)
        let metricsServer = try await Self.startMetricsServer(
            context.configuration.metrics, engine: runtime.engine, runtime: runtime, logger: logger)
        let configPath = global.configPath
        let listening = context.configuration.metrics
        let service = DaemonService(
            engine: runtime.engine, environment: environment,
            loadConfiguration: {
                let configuration = try ConfigLoader.load(
                    explicitPath: configPath, environment: environment, secrets: .read)
                if let problem = DaemonReadiness.problem(configuration) { throw ConfigError(problem) }
                return configuration
            },
            applyConfiguration: { configuration in
                levels.level = configuration.logLevel
                if configuration.metrics != listening {
                    logger.notice(
                        """
                        metrics.listen changed; the running listener (\(listening?.listenText ?? "off")) stays \
                        until a restart
                        """)
                }
            }, logger: logger)
        logger.info(
            "starting",
            metadata: [
                "database": "\(store.location)", "config": "\(context.configuration.source ?? "built-in defaults")",
                "version": "\(Jobwatch.version)",
            ])
        let group = ServiceGroup(
            configuration: ServiceGroupConfiguration(
                services: [.init(service: service)], gracefulShutdownSignals: [.sigterm, .sigint], logger: logger))
        do {
            try await group.run()
        } catch {
            await metricsServer?.shutdown()
            await runtime.shutdown()
            await (store as? PostgresJobStore)?.close()
            throw CLIFailure(.software, "the daemon stopped unexpectedly: \(error)")
        }
        await metricsServer?.shutdown()
        await runtime.shutdown()
        // PostgreSQL: give the leases back, so the other daemons take this one's jobs over at once.
        await (store as? PostgresJobStore)?.close()
        withExtendedLifetime(lock) {}
    }

    /// Binds `metrics.listen` before the daemon reports ready; an address that cannot be bound is exit 69.
    private static func startMetricsServer(
        _ config: MetricsConfig?, engine: DaemonEngine, runtime: DaemonRuntime, logger: Logger
    ) async throws -> MetricsServer? {
        guard let config else { return nil }
        do {
            let server = try await MetricsServer.start(
                host: config.host, port: config.port, render: { await engine.metricsExposition() },
                health: { await engine.isMakingProgress() })
            logger.info(
                "serving metrics at http://\(config.listenText)/metrics and /healthz",
                metadata: ["listen": "\(config.listenText)"])
            return server
        } catch {
            await runtime.shutdown()
            throw CLIFailure(
                .unavailable,
                "cannot listen on metrics.listen \(config.listenText): \(error); "
                    + "choose a free port or stop what holds it"
            )
        }
    }
}
