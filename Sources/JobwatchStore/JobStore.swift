import Foundation
import GRDB
import GRDBSQLite
import JobwatchCore
import Synchronization

/// The SQLite database shared by the daemon and the CLI: WAL (`DatabasePool`), one writer at a time per
/// process and a busy timeout across processes, so both can write at once without "database is locked".
/// Every access is asynchronous: the statements run on GRDB's own dispatch queues while the calling task
/// is suspended, so a lock held by another process never occupies a thread of Swift's cooperative pool.
package final class JobStore: JobStoring {
    let pool: DatabasePool
    package let path: String
    /// The CloudEvents `source` host part.
    let hostname: String
    /// `PRAGMA data_version` of the writer connection at the last look: it changes only when another
    /// process commits (all of this process's writes go through that connection).
    private let seenDataVersion = Mutex<Int64?>(nil)
    /// Polls waiting for the writer (group commit, see `PollCommits`).
    let pollCommits = PollCommits()
    /// Rows as the last schedule-only poll wrote them (see `WrittenJobs`).
    let writtenJobs = WrittenJobs()

    package var location: String { path }

    /// How a command opens the database.
    package enum OpenMode: Sendable {
        /// Creates the file when needed (group-shared, see `DatabaseFile`) and migrates it.
        case readWrite
        /// Opens an existing database without writing: no migration, no file created, so an operator whose
        /// group may read it can run `list`, `show`, `events`, `deliveries` and `wait`. A database still at
        /// an older schema is migrated first when the process may write it.
        case readOnly
    }

    /// Opens the database at `path`; a schema newer than this binary's is refused, never used.
    package init(path: String, hostname: String = JobStore.defaultHostname, mode: OpenMode = .readWrite) throws {
        self.path = path
        self.hostname = hostname
        do {
            switch mode {
            case .readWrite:
                pool = try Self.openForWriting(path)
            case .readOnly:
                let reader = try DatabasePool(path: path, configuration: Self.configuration(readonly: true))
                let (superseded, complete) = try reader.read { db in
                    (try Schema.migrator.hasBeenSuperseded(db), try Schema.migrator.hasCompletedMigrations(db))
                }
                if superseded { throw Self.newerSchema(path) }
                if complete {
                    pool = reader
                } else {
                    try reader.close()
                    pool = try Self.openForWriting(path)
                }
            }
            let version = try pool.writeWithoutTransaction { db in try Self.dataVersion(db) }
            seenDataVersion.withLock { $0 = version }
        } catch {
            throw StoreError.wrap(error, path: path)
        }
    }

    private static func configuration(readonly: Bool) -> Configuration {
        var configuration = Configuration()
        configuration.readonly = readonly
        // The CLI and the daemon write the same file: wait for the other's transaction instead of failing.
        configuration.busyMode = .timeout(15)
        if !readonly {
            configuration.prepareDatabase { db in
                // WAL + NORMAL: a committed transaction survives a process crash (kill -9); only a power loss
                // can cost the last transactions, and those are re-polled.
                try db.executeCached(sql: "PRAGMA synchronous = NORMAL")
                // Persistent WAL: `-wal` and `-shm` stay when the last connection closes, so an operator who
                // may only read the database (no write access to its directory) can open it read-only even
                // while no daemon runs.
                var flag: CInt = 1
                let code = withUnsafeMutablePointer(to: &flag) {
                    sqlite3_file_control(db.sqliteConnection, nil, SQLITE_FCNTL_PERSIST_WAL, $0)
                }
                guard code == SQLITE_OK else { throw DatabaseError(resultCode: ResultCode(rawValue: code)) }
            }
        }
        configuration.label = "jobwatch"
        return configuration
    }

    private static func openForWriting(_ path: String) throws -> DatabasePool {
        try DatabaseFile.createIfMissing(path)
        let pool = try openPoolWaitingForOthers(path)
        if try pool.read({ try Schema.migrator.hasBeenSuperseded($0) }) { throw newerSchema(path) }
        try migrate(pool)
        return pool
    }

    /// Opening a database another process is opening at the same moment (several `jobwatch register` on a
    /// new file: one of them switches it to WAL) can answer SQLITE_BUSY at once, without the busy timeout's
    /// wait. Tried again for up to the same 15 s.
    private static func openPoolWaitingForOthers(_ path: String) throws -> DatabasePool {
        let deadline = ContinuousClock.now + .seconds(15)
        while true {
            do {
                return try DatabasePool(path: path, configuration: configuration(readonly: false))
            } catch let error as DatabaseError
                where (error.resultCode == .SQLITE_BUSY || error.resultCode == .SQLITE_LOCKED)
                && ContinuousClock.now < deadline
            {
                usleep(20_000)
            }
        }
    }

    private static func newerSchema(_ path: String) -> StoreError {
        StoreError(
            "\(path) was written by a newer jobwatch (its schema is newer than this binary's); upgrade "
                + "jobwatch, or point --db at another database"
        )
    }

    /// Two processes creating the database at the same moment may both see it unmigrated; the loser's
    /// migration then fails ("table job already exists"). Running the migrator again finds the winner's
    /// work committed and has nothing left to do.
    private static func migrate(_ pool: DatabasePool) throws {
        for attempt in 1... {
            do {
                try Schema.migrator.migrate(pool)
                return
            } catch  where attempt < 5 {
                usleep(UInt32(20_000 * attempt))
            }
        }
    }

    package static var defaultHostname: String {
        ProcessInfo.processInfo.hostName
    }

    /// Whether a database file is there (read-only commands treat a missing one as empty, creating nothing).
    /// A path that cannot be looked at (a directory closed to this user) is an error, not "no database".
    package static func exists(at path: String) throws -> Bool {
        var info = stat()
        if stat(path, &info) == 0 { return true }
        let code = errno
        if code == ENOENT || code == ENOTDIR { return false }
        throw StoreError(
            "cannot open the database \(path): \(String(cString: strerror(code))); check the "
                + "permissions of the file and its directory (operators need the jobwatch group), or choose "
                + "another path with --db"
        )
    }

    /// Every write of this process but the polls' (registration, deliveries, schedule moves) first writes the
    /// polls waiting behind, then forgets the rows the polls remembered: it may change them.
    func write<T: Sendable>(_ body: @escaping @Sendable (Database) throws -> T) async throws -> T {
        do {
            return try await pool.writeWithoutTransaction { [self] db in
                try? flushWritesBehind(db)
                writtenJobs.reset()
                return try Self.inTransaction(db, .immediate, body)
            }
        } catch let error as StoreError {
            throw error
        } catch {
            throw StoreError.wrap(error, path: path)
        }
    }

    /// Reads a snapshot on a reader connection: never behind the writer, which may be waiting for another
    /// process's lock. Polls written behind are not in it yet; the schedule reads account for them
    /// (`dueJobs`, `earliestPoll`), the other reads may be up to `writeBehindDelay` old.
    func read<T: Sendable>(_ body: @escaping @Sendable (Database) throws -> T) async throws -> T {
        do {
            return try await pool.read(body)
        } catch let error as StoreError {
            throw error
        } catch {
            throw StoreError.wrap(error, path: path)
        }
    }

    private static func inTransaction<T>(
        _ db: Database, _ kind: Database.TransactionKind, _ body: (Database) throws -> T
    ) throws -> T {
        var result: T?
        try db.inTransaction(kind) {
            result = try body(db)
            return .commit
        }
        guard let result else { throw StoreError("a database transaction ended without a result") }
        return result
    }
}

extension JobStore {
    package func watchForeignChanges(_ onChange: @escaping @Sendable () -> Void) -> (any StoreWatch)? {
        let watcher = DatabaseWatcher(
            isForeign: { [weak self] in await self?.foreignCommitSinceLastLook() ?? false }, onChange: onChange)
        return watcher.start(databasePath: path) ? watcher : nil
    }

    /// Whether another process committed since the last call. The directory watch also fires for this
    /// process's own commits (the WAL file grows); those must not wake the daemon again.
    func foreignCommitSinceLastLook() async -> Bool {
        // On failure, assume a change: one extra look is harmless, a missed registration is not.
        guard let version = try? await pool.writeWithoutTransaction({ db in try Self.dataVersion(db) }) else {
            return true
        }
        let foreign = seenDataVersion.withLock { seen in
            defer { seen = version }
            return seen != version
        }
        // The rows the polls remembered may be what another process changed.
        if foreign { writtenJobs.reset() }
        return foreign
    }

    /// Changes only when another connection commits (read on the writer connection: every write of this
    /// process goes through it). Read at every look of the watch and at every group of polls.
    static func dataVersion(_ db: Database) throws -> Int64 {
        try Int64.fetchOne(db.cachedStatement(sql: "PRAGMA data_version")) ?? 0
    }
}

extension StoreError {
    static func wrap(_ error: Error, path: String) -> StoreError {
        if let error = error as? StoreError { return error }
        if let error = error as? DatabaseError {
            switch error.resultCode {
            case .SQLITE_BUSY, .SQLITE_LOCKED:
                return StoreError("the database \(path) stayed locked by another process for 15 s; try again")
            case .SQLITE_CANTOPEN, .SQLITE_PERM, .SQLITE_READONLY:
                return StoreError(
                    "cannot open the database \(path) for writing: check the file's and its directory's "
                        + "permissions (operators need the jobwatch group), or choose another path with --db"
                )
            case .SQLITE_NOTADB, .SQLITE_CORRUPT:
                return StoreError("\(path) is not a jobwatch database or is damaged; point --db at the right file")
            case .SQLITE_FULL:
                return StoreError("the disk holding \(path) is full; free some space")
            default:
                return StoreError("database error on \(path): \(error.message ?? "\(error.resultCode)")")
            }
        }
        return StoreError("database error on \(path): \(error)")
    }
}

/// A tracked job as stored: its row id, the contract record, and the poller's counters.
package struct StoredJob: Sendable, Hashable {
    package var rowID: Int64
    package var record: JobRecord
    package var scheduling: SchedulingState

    package init(rowID: Int64, record: JobRecord, scheduling: SchedulingState) {
        self.rowID = rowID
        self.record = record
        self.scheduling = scheduling
    }
}
