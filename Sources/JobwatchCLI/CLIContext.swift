import Foundation
import JobwatchConfig
import JobwatchCore
import JobwatchPostgres
import JobwatchStore

/// The configuration and database a command works with, found per CONTRACT §1. A `postgresql://` URL (from
/// `--db` or `database:`) selects PostgreSQL (CONTRACT §7), anything else is a SQLite file.
struct CLIContext {
    var configuration: Configuration
    /// The SQLite file, or the PostgreSQL URL (never with a password) for messages.
    var databasePath: String
    var postgresURL: PostgresURL?
    var environment: [String: String]

    static func load(
        _ options: GlobalOptions, secrets: SecretLoading = .skip,
        environment: [String: String] = ProcessInfo.processInfo.environment
    ) throws -> CLIContext {
        let configuration: Configuration
        do {
            configuration = try ConfigLoader.load(
                explicitPath: options.configPath, environment: environment, secrets: secrets)
        } catch let error as ConfigError {
            throw CLIFailure(.configuration, error.message)
        }
        let path = DatabaseLocation.resolve(
            explicit: options.databasePath, configuration: configuration, environment: environment)
        guard PostgresURL.looksLikeURL(path) else {
            return CLIContext(configuration: configuration, databasePath: path, environment: environment)
        }
        switch PostgresURL.parse(path) {
        case .success(let url):
            return CLIContext(
                configuration: configuration, databasePath: url.description, postgresURL: url,
                environment: environment)
        case .failure(let problem):
            // `database:` was checked with the configuration; this is `--db`.
            throw CLIFailure(.usage, "--db: \(problem.message)")
        }
    }

    /// Opens (creating when needed) the database, for commands that write.
    func openStore(mode: JobStore.OpenMode = .readWrite) async throws -> any JobStoring {
        do {
            if let postgresURL {
                return try await PostgresJobStore.open(
                    url: postgresURL, password: try databasePassword(),
                    connections: max(4, configuration.polling.maxInFlight + 4))
            }
            return try JobStore(path: databasePath, mode: mode)
        } catch let error as StoreError {
            throw CLIFailure(.ioError, error.message)
        }
    }

    /// The PostgreSQL password, read now (exit 78 naming the key when it cannot be).
    func databasePassword() throws -> String? {
        do {
            return try configuration.databasePassword?.read(environment: environment)
        } catch let error as ConfigError {
            throw CLIFailure(.configuration, error.message)
        }
    }

    /// Opens an existing database; nil when there is none yet (nothing is created). Read-only by default
    /// (`list`, `show`, `events`, `deliveries`, `wait`): no migration, so group members who may only read
    /// can use them; `unregister` and `redeliver` pass `writable`. A PostgreSQL database always exists (its
    /// tables are created on first use).
    func openExistingStore(writable: Bool = false) async throws -> (any JobStoring)? {
        if postgresURL != nil { return try await openStore() }
        let exists: Bool
        do {
            exists = try JobStore.exists(at: databasePath)
        } catch let error as StoreError {
            throw CLIFailure(.ioError, error.message)
        }
        return exists ? try await openStore(mode: writable ? .readWrite : .readOnly) : nil
    }

    /// The one job a `JOB_ID [--api API]` names.
    func resolveJob(_ jobID: String, api: JobAPI?, in store: (any JobStoring)?) async throws -> StoredJob {
        if let problem = InputRules.jobIDProblem(jobID) {
            throw CLIFailure(.usage, "\(problem); pass the job id the cloud returned")
        }
        let matches = try await storeCall { try await store?.jobs(withJobID: jobID, api: api) ?? [] }
        switch matches.count {
        case 0:
            let scope = api.map { " for --api \($0.rawValue)" } ?? ""
            throw CLIFailure(
                .notFound,
                "no tracked job \(jobID)\(scope) in \(databasePath); register it first or check `jobwatch "
                    + "list --tracking all`"
            )
        case 1:
            return matches[0]
        default:
            let which = matches.map { "\($0.record.api.rawValue)/\($0.record.account)/\($0.record.projectID ?? "-")" }
                .joined(separator: ", ")
            throw CLIFailure(
                .usage,
                "job id \(jobID) is ambiguous: it matches \(matches.count) tracked jobs (\(which)); add "
                    + "--api to choose one"
            )
        }
    }
}

/// Runs a store call, turning database problems into exit 74.
func storeCall<T>(_ body: () async throws -> T) async throws -> T {
    do {
        return try await body()
    } catch let error as StoreError {
        throw CLIFailure(.ioError, error.message)
    }
}

func nowMillis() -> Int64 {
    Int64((Date().timeIntervalSince1970 * 1000).rounded())
}
