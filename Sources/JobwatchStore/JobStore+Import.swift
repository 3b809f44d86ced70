import Foundation
import GRDB

extension JobStore {
    /// Copies a whole export (`jobwatch migrate-store` from PostgreSQL back to SQLite) into this database in
    /// one write transaction: every table, row for row, with the same ids, sequences and bodies, and the
    /// event counter moved past the copied events. Refuses a database that already holds jobs. Returns rows
    /// per table.
    package func importAll(_ export: StoreExport) async throws -> [(table: String, rows: Int)] {
        let location = path
        return try await write { db in
            let existing = try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM job") ?? 0
            guard existing == 0 else {
                throw StoreError(
                    "\(location) already holds \(existing) jobs; migrate-store copies into an empty jobwatch "
                        + "database only"
                )
            }
            var counts: [(table: String, rows: Int)] = []
            for table in export.tables {
                let known = Set(try db.columns(in: table.name).map(\.name))
                if let missing = table.columns.first(where: { !known.contains($0) }) {
                    throw StoreError(
                        "the source's column \(table.name).\(missing) has no counterpart in SQLite; upgrade "
                            + "jobwatch on this host"
                    )
                }
                guard !table.columns.isEmpty else { continue }
                let list = table.columns.map { "\"\($0)\"" }.joined(separator: ", ")
                let placeholders = Array(repeating: "?", count: table.columns.count).joined(separator: ", ")
                let statement = try db.makeStatement(
                    sql: "INSERT INTO \(table.name) (\(list)) VALUES (\(placeholders))")
                for row in table.rows {
                    try statement.execute(arguments: StatementArguments(row.map(Self.databaseValue)))
                }
                counts.append((table.name, table.rows.count))
            }
            // AUTOINCREMENT: the counter follows the copied rows; carry a higher one (events retention deleted).
            try db.execute(
                sql: "UPDATE sqlite_sequence SET seq = MAX(seq, ?) WHERE name = 'event'",
                arguments: [export.lastEventSequence])
            if try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM sqlite_sequence WHERE name = 'event'") == 0 {
                try db.execute(
                    sql: "INSERT INTO sqlite_sequence (name, seq) VALUES ('event', ?)",
                    arguments: [export.lastEventSequence])
            }
            return counts
        }
    }

    private static func databaseValue(_ value: StoreExport.Value) -> DatabaseValue {
        switch value {
        case .null: return .null
        case .integer(let number): return number.databaseValue
        case .real(let number): return number.databaseValue
        case .text(let text): return text.databaseValue
        }
    }
}
