import ArgumentParser
import Foundation
import JobwatchConfig
import JobwatchPostgres
import JobwatchStore

/// `jobwatch migrate-store --from SQLITE --to postgresql://…`: moves a SQLite database to PostgreSQL; and
/// `--from postgresql://… --to SQLITE` back again.
struct MigrateStore: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "migrate-store",
        abstract: "Copy everything from a SQLite database into an empty PostgreSQL database, or back.",
        discussion: """
            Copies every job (with its sub-jobs, history and scheduling state), every event (same ids, sequences \
            and bodies) and every delivery with its attempts, in one transaction, into an empty jobwatch \
            database: from SQLite to PostgreSQL, or from PostgreSQL to SQLite (a new file, or one without \
            jobs). Stop the daemons first. The password comes from database_password (_file, _env, \
            _credential) in the configuration. See docs/ha.md.
            """)

    @Option(
        name: .customLong("from"),
        help: ArgumentHelp("The database to copy: a SQLite file or a PostgreSQL URL.", valueName: "FILE|URL"))
    var source: String

    @Option(
        name: .customLong("to"),
        help: ArgumentHelp(
            "The empty database to fill: a PostgreSQL URL (postgresql://USER@HOST[:PORT]/DB?sslmode=…) when --from "
                + "is a file, a SQLite file when --from is a URL.", valueName: "URL|FILE"))
    var destination: String

    @OptionGroup var global: GlobalOptions

    func run() async throws {
        switch (PostgresURL.looksLikeURL(source), PostgresURL.looksLikeURL(destination)) {
        case (false, true): try await toPostgres(url: try Self.parse(destination, option: "--to"))
        case (true, false): try await toSQLite(url: try Self.parse(source, option: "--from"))
        case (true, true), (false, false):
            throw CLIFailure(
                .usage,
                "one of --from and --to must be a SQLite database file and the other a PostgreSQL URL "
                    + "(postgresql://USER@HOST/DATABASE?sslmode=…)")
        }
    }

    private static func parse(_ text: String, option: String) throws -> PostgresURL {
        switch PostgresURL.parse(text) {
        case .success(let parsed): return parsed
        case .failure(let problem): throw CLIFailure(.usage, "\(option): \(problem.message)")
        }
    }

    private func toPostgres(url: PostgresURL) async throws {
        guard (try? JobStore.exists(at: source)) == true else {
            throw CLIFailure(.ioError, "there is no database at \(source); check the path given to --from")
        }
        let context = try CLIContext.load(global)
        let export = try await storeCall { try JobStore(path: source).exportAll() }
        let target = try await open(url, context)
        do {
            let counts = try await target.importAll(export)
            await target.close()
            report(counts, to: url.description)
        } catch let error as StoreError {
            await target.close()
            throw CLIFailure(.ioError, error.message)
        }
    }

    private func toSQLite(url: PostgresURL) async throws {
        let context = try CLIContext.load(global)
        let origin = try await open(url, context)
        let export: StoreExport
        do {
            export = try await origin.exportAll()
            await origin.close()
        } catch let error as StoreError {
            await origin.close()
            throw CLIFailure(.ioError, error.message)
        }
        let counts = try await storeCall { try await JobStore(path: destination).importAll(export) }
        report(counts, to: destination)
    }

    private func open(_ url: PostgresURL, _ context: CLIContext) async throws -> PostgresJobStore {
        do {
            return try await PostgresJobStore.open(url: url, password: try context.databasePassword(), connections: 2)
        } catch let error as StoreError {
            throw CLIFailure(.ioError, error.message)
        }
    }

    private func report(_ counts: [(table: String, rows: Int)], to place: String) {
        let summary = counts.map { "\($0.rows) \($0.table)" }.joined(separator: ", ")
        let from = PostgresURL.looksLikeURL(source) ? (try? Self.parse(source, option: "--from").description) : source
        print("copied \(summary) from \(from ?? source) to \(place)")
    }
}
