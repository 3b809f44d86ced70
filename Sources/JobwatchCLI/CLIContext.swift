import Foundation
import JobwatchConfig
import JobwatchCore
import JobwatchStore

/// The configuration and database a command works with, found per CONTRACT §1.
struct CLIContext {
    var configuration: Configuration
    var databasePath: String
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
        return CLIContext(configuration: configuration, databasePath: path, environment: environment)
    }

    /// Opens (creating when needed) the database, for commands that write.
    func openStore(mode: JobStore.OpenMode = .readWrite) throws -> any JobStoring {
        do {
            return try JobStore(path: databasePath, mode: mode)
        } catch let error as StoreError {
            throw CLIFailure(.ioError, error.message)
        }
    }

    /// Opens an existing database; nil when there is none yet (nothing is created). Read-only by default
    /// (`list`, `show`, `events`, `deliveries`, `wait`): no migration, so group members who may only read
    /// can use them; `unregister` and `redeliver` pass `writable`.
    func openExistingStore(writable: Bool = false) throws -> (any JobStoring)? {
        let exists: Bool
        do {
            exists = try JobStore.exists(at: databasePath)
        } catch let error as StoreError {
            throw CLIFailure(.ioError, error.message)
        }
        return exists ? try openStore(mode: writable ? .readWrite : .readOnly) : nil
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
