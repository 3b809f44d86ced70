import Foundation
import JobwatchConfig
import JobwatchCore
import JobwatchStore
import Logging
import PostgresNIO
import Synchronization

/// The store on PostgreSQL (CONTRACT §7): the same records, history, events and deliveries as SQLite, for any
/// number of daemons on any hosts. Due jobs and due deliveries are claimed with leases (`FOR UPDATE SKIP
/// LOCKED`, an owner, a token and an expiry on the server's clock), renewed while the work runs; a result is
/// written only while the lease's token still matches, so a daemon that stalled past its lease cannot
/// overwrite what another recorded since. A daemon that dies stops renewing: its leases expire after
/// `leaseMillis` and the others take the work over.
package final class PostgresJobStore: JobStoring, SharedRequestSlots {
    package let url: PostgresURL
    let client: PostgresClient
    private let runTask: Task<Void, Never>
    /// The CloudEvents `source` host part.
    let hostname: String
    /// This process's lease owner name: host, pid and a random part (a restarted daemon is a new owner).
    let owner: String
    let queryLogger = Logger(label: "jobwatch.postgres", factory: { _ in SwiftLogNoOpLogHandler() })
    /// How long a lease lasts without renewal; renewed every third of it.
    package let leaseMillis: Int64
    /// How long one store call may wait for the server (connecting included) before it fails.
    let timeout: Duration

    /// Leases this process holds, with their tokens (the fence every write checks).
    let heldJobs = Mutex<[Int64: Int64]>([:])
    let heldDeliveries = Mutex<[DeliveryKey: Int64]>([:])
    let renewal = Mutex<Task<Void, Never>?>(nil)

    package var location: String { url.description }

    /// Connects, migrates (several processes may start at once: migrations take an advisory lock) and
    /// returns the store. Fails with a `StoreError` the user can act on.
    package static func open(
        url: PostgresURL, password: String?, hostname: String = ProcessInfo.processInfo.hostName,
        connections: Int = 8, leaseMillis: Int64 = 15_000, timeout: Duration = .seconds(15)
    ) async throws -> PostgresJobStore {
        let configuration = try PostgresClientSettings.configuration(
            url: url, password: password, connections: connections)
        try await probe(url: url, password: password, timeout: timeout)
        let store = PostgresJobStore(
            url: url, client: PostgresClient(configuration: configuration), hostname: hostname,
            leaseMillis: leaseMillis, timeout: timeout)
        do {
            try await store.migrate()
        } catch {
            await store.close()
            throw error
        }
        return store
    }

    private init(url: PostgresURL, client: PostgresClient, hostname: String, leaseMillis: Int64, timeout: Duration) {
        self.url = url
        self.client = client
        self.hostname = hostname
        self.leaseMillis = max(leaseMillis, 1000)
        self.timeout = timeout
        var random = SystemRandomNumberGenerator()
        owner = "\(hostname):\(getpid()):\(String(random.next() & 0xFFFF_FFFF, radix: 16))"
        runTask = Task { await client.run() }
    }

    /// Gives back every lease this process holds (so the other daemons take the work over at once), stops
    /// the renewals and closes the connections.
    package func close() async {
        renewal.withLock { task in
            task?.cancel()
            task = nil
        }
        let jobs = heldJobs.withLock { held in Array(held.keys) }
        let deliveries = heldDeliveries.withLock { held in Array(held.keys) }
        if !jobs.isEmpty || !deliveries.isEmpty {
            try? await releaseAll()
        }
        runTask.cancel()
        await runTask.value
    }

    /// One plain connection first: the pool would retry a refused login or an unreachable server until the
    /// timeout, while this fails at once with the server's reason.
    private static func probe(url: PostgresURL, password: String?, timeout: Duration) async throws {
        var configuration = PostgresConnection.Configuration(
            host: url.host, port: url.port, username: url.user, password: password, database: url.database,
            tls: try PostgresClientSettings.connectionTLS(url))
        configuration.options.connectTimeout = .seconds(max(1, timeout.components.seconds))
        let logger = Logger(label: "jobwatch.postgres", factory: { _ in SwiftLogNoOpLogHandler() })
        do {
            let connection = try await PostgresConnection.connect(configuration: configuration, id: 0, logger: logger)
            try? await connection.close()
        } catch {
            throw describe(error, url: url)
        }
    }

    // MARK: - Migrations

    private func migrate() async throws {
        try await transaction { connection in
            try await connection.query(
                "SELECT pg_advisory_xact_lock(\(PostgresSchema.migrationLockKey))", logger: self.queryLogger)
            try await connection.query(
                """
                CREATE TABLE IF NOT EXISTS jobwatch_migration (
                    version BIGINT PRIMARY KEY, name TEXT NOT NULL, applied_at TIMESTAMPTZ NOT NULL DEFAULT now())
                """, logger: self.queryLogger)
            let applied = try await connection.query(
                "SELECT version FROM jobwatch_migration", logger: self.queryLogger
            ).collect().map { try $0.decode(Int.self) }
            let known = PostgresSchema.migrations.map(\.version)
            if let newer = applied.first(where: { !known.contains($0) }) {
                throw StoreError(
                    "the PostgreSQL database \(self.url.database) has schema version \(newer), newer than this "
                        + "jobwatch knows (\(known.max() ?? 0)); upgrade jobwatch"
                )
            }
            for migration in PostgresSchema.migrations where !applied.contains(migration.version) {
                for statement in migration.statements {
                    try await connection.query(PostgresQuery(unsafeSQL: statement), logger: self.queryLogger)
                }
                try await connection.query(
                    "INSERT INTO jobwatch_migration (version, name) VALUES (\(migration.version), \(migration.name))",
                    logger: self.queryLogger)
            }
        }
    }

    /// The schema versions applied, oldest first (tests, `migrate-store`).
    package func appliedMigrations() async throws -> [Int] {
        try await rows("SELECT version FROM jobwatch_migration ORDER BY version").map {
            try $0["version"].decode(Int.self)
        }
    }

    // MARK: - Running statements

    /// Runs `body` in one transaction (READ COMMITTED, row locks where it matters). A deadlock or
    /// serialization failure is retried; every other failure becomes a `StoreError`.
    func transaction<T: Sendable>(
        _ body: @escaping @Sendable (PostgresConnection) async throws -> T
    ) async throws -> T {
        var attempt = 0
        while true {
            attempt += 1
            do {
                return try await withConnection { connection in
                    try await connection.withTransaction(logger: self.queryLogger) { connection in
                        try await body(connection)
                    }
                }
            } catch let error where attempt < 5 && Self.isRetryable(error) {
                try? await Task.sleep(for: .milliseconds(5 * attempt))
            } catch {
                throw wrap(error)
            }
        }
    }

    /// One statement outside a transaction; its rows.
    func rows(_ query: PostgresQuery) async throws -> [PostgresRandomAccessRow] {
        do {
            return try await withConnection { connection in
                try await connection.query(query, logger: self.queryLogger).collect().map { $0.makeRandomAccess() }
            }
        } catch {
            throw wrap(error)
        }
    }

    /// Leases a pooled connection for `body`. Getting one is bounded by `timeout`: an unreachable server
    /// fails the call instead of hanging the CLI or the daemon. The work itself is not (a bulk registration
    /// may take longer); a connection that dies fails its query.
    private func withConnection<T: Sendable>(
        _ body: @escaping @Sendable (PostgresConnection) async throws -> T
    ) async throws -> T {
        let timeout = self.timeout
        let leased = LeaseFlag()
        return try await withThrowingTaskGroup(of: T?.self) { group in
            group.addTask {
                try await self.client.withConnection { connection in
                    leased.set()
                    return try await body(connection)
                }
            }
            group.addTask {
                try await Task.sleep(for: timeout)
                // Leased in time: let the work finish (this task is cancelled when it does).
                while leased.isSet { try await Task.sleep(for: .seconds(3600)) }
                return nil
            }
            defer { group.cancelAll() }
            guard let first = try await group.next(), let value = first else {
                throw StoreError(
                    "PostgreSQL at \(self.url.host):\(self.url.port) did not answer within "
                        + "\(timeout.components.seconds) s; check that it runs and is reachable"
                )
            }
            return value
        }
    }

    static func isRetryable(_ error: Error) -> Bool {
        if let error = error as? PostgresTransactionError, let inner = error.closureError ?? error.commitError {
            return isRetryable(inner)
        }
        guard let error = error as? PSQLError, let state = error.serverInfo?[.sqlState] else { return false }
        return state == "40P01" || state == "40001"
    }

    /// A user-facing message: the server's own words or the connection problem; never the query or its values.
    func wrap(_ error: Error) -> StoreError {
        Self.describe(error, url: url)
    }

    static func describe(_ error: Error, url: PostgresURL) -> StoreError {
        if let error = error as? StoreError { return error }
        let place = "PostgreSQL at \(url.host):\(url.port) (database \(url.database), user \(url.user))"
        if let error = error as? PostgresTransactionError {
            if let inner = error.closureError ?? error.beginError ?? error.commitError {
                return describe(inner, url: url)
            }
            return StoreError("\(place): the transaction failed")
        }
        guard let error = error as? PSQLError else {
            return StoreError("\(place): \(String(describing: error).prefix(300))")
        }
        if let problem = PostgresTLSProblem(error.underlying, url: url) {
            return StoreError("\(place): \(problem.message)")
        }
        if let info = error.serverInfo {
            let state = info[.sqlState] ?? ""
            let message = info[.message] ?? "an error"
            switch state {
            case "28000" where message.contains("no encryption"):
                return StoreError(
                    "\(place) accepts only TLS connections (\(message)); set sslmode=verify-full (or require) "
                        + "in the URL"
                )
            case "28P01", "28000":
                return StoreError(
                    "\(place) rejected the login: \(message); check the user and database_password (_file, "
                        + "_env, _credential)"
                )
            case "3D000":
                return StoreError("\(place): \(message); create the database or fix the URL")
            case "42501":
                return StoreError("\(place): \(message); grant the user the rights on the database")
            case "53300":
                return StoreError("\(place): \(message); raise max_connections or run fewer daemons")
            default:
                return StoreError("\(place): \(message) (SQLSTATE \(state))")
            }
        }
        switch error.code {
        case .connectionError, .serverClosedConnection, .uncleanShutdown:
            let underlying = error.underlying.map { ": \($0)" } ?? ""
            return StoreError("cannot reach \(place)\(underlying); check that the server runs and the URL")
        case .sslUnsupported:
            return StoreError("\(place) does not offer TLS but sslmode requires it; enable ssl on the server")
        case .failedToAddSSLHandler:
            return StoreError("\(place): TLS could not be set up: \(error.underlying.map { "\($0)" } ?? "-")")
        case .authMechanismRequiresPassword:
            return StoreError(
                "\(place) asks for a password; set database_password_file, database_password_env or "
                    + "database_password_credential"
            )
        case .unsupportedAuthMechanism:
            return StoreError("\(place) asks for an authentication method jobwatch does not support; use scram-sha-256")
        case .poolClosed, .clientClosedConnection:
            return StoreError("\(place): the connection was closed (shutting down)")
        default:
            return StoreError("\(place): \(error.code)\(error.underlying.map { ": \($0)" } ?? "")")
        }
    }
}

/// The server's clock in milliseconds: leases are measured on one clock for every host.
let serverNowMillis = "(extract(epoch from clock_timestamp()) * 1000)::bigint"

extension PostgresJobStore {
    /// The CLI's commits arrive as notifications (LISTEN/NOTIFY) instead of a file watch.
    package func watchForeignChanges(_ onChange: @escaping @Sendable () -> Void) -> (any StoreWatch)? {
        PostgresChangeListener(client: client, logger: queryLogger, onChange: onChange)
    }
}

/// Whether a pooled connection was handed out in time.
private final class LeaseFlag: Sendable {
    private let value = Mutex(false)
    func set() { value.withLock { $0 = true } }
    var isSet: Bool { value.withLock { $0 } }
}
