import ArgumentParser
import Foundation
import JobwatchConfig
import JobwatchPostgres
import JobwatchStore

/// `jobwatch migrate-store --from SQLITE --to postgresql://…`: moves a SQLite database to PostgreSQL.
struct MigrateStore: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "migrate-store",
        abstract: "Copy everything from a SQLite database into an empty PostgreSQL database.",
        discussion: """
            Copies every job (with its sub-jobs, history and scheduling state), every event (same ids, sequences \
            and bodies) and every delivery with its attempts, in one transaction. Stop the daemon first. The \
            password comes from database_password (_file, _env, _credential) in the configuration. See docs/ha.md.
            """)

    @Option(name: .customLong("from"), help: ArgumentHelp("The SQLite database file to copy.", valueName: "FILE"))
    var source: String

    @Option(
        name: .customLong("to"),
        help: ArgumentHelp("The PostgreSQL database (postgresql://USER@HOST[:PORT]/DB?sslmode=…).", valueName: "URL"))
    var destination: String

    @OptionGroup var global: GlobalOptions

    func run() async throws {
        if PostgresURL.looksLikeURL(source) {
            throw CLIFailure(
                .usage, "--from must be a SQLite database file; copying out of PostgreSQL is not supported")
        }
        guard PostgresURL.looksLikeURL(destination) else {
            throw CLIFailure(.usage, "--to must be a PostgreSQL URL (postgresql://USER@HOST/DATABASE?sslmode=…)")
        }
        let url: PostgresURL
        switch PostgresURL.parse(destination) {
        case .success(let parsed): url = parsed
        case .failure(let problem): throw CLIFailure(.usage, "--to: \(problem.message)")
        }
        guard (try? JobStore.exists(at: source)) == true else {
            throw CLIFailure(.ioError, "there is no database at \(source); check the path given to --from")
        }
        let context = try CLIContext.load(global)
        let export = try await storeCall { try JobStore(path: source).exportAll() }
        let target: PostgresJobStore
        do {
            target = try await PostgresJobStore.open(url: url, password: try context.databasePassword())
        } catch let error as StoreError {
            throw CLIFailure(.ioError, error.message)
        }
        do {
            let counts = try await target.importAll(export)
            await target.close()
            let summary = counts.map { "\($0.rows) \($0.table)" }.joined(separator: ", ")
            print("copied \(summary) from \(source) to \(url)")
        } catch let error as StoreError {
            await target.close()
            throw CLIFailure(.ioError, error.message)
        }
    }
}
