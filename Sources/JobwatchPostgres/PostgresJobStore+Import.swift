import Foundation
import JobwatchStore
import PostgresNIO

extension PostgresJobStore {
    /// Copies a whole export (`jobwatch migrate-store`) into this database in one transaction: every table,
    /// row for row, with the same ids, sequences and bodies, then moves the id sequences and the event
    /// counter past the copied rows. Refuses a database that already holds jobs. Returns rows per table.
    package func importAll(_ export: StoreExport) async throws -> [(table: String, rows: Int)] {
        try await transaction { c in
            try await c.query(
                "LOCK TABLE job, sub_job, transition, event, delivery, delivery_attempt IN EXCLUSIVE MODE",
                logger: self.queryLogger)
            let existing =
                try await c.query("SELECT COUNT(*) FROM job", logger: self.queryLogger).collect()
                .first.map { try $0.decode(Int.self) } ?? 0
            guard existing == 0 else {
                throw StoreError(
                    "\(self.url) already holds \(existing) jobs; migrate-store copies into an empty jobwatch "
                        + "database only"
                )
            }
            var counts: [(table: String, rows: Int)] = []
            for table in export.tables {
                let types = try await self.columnTypes(c, table: table.name)
                if let missing = table.columns.first(where: { types[$0] == nil }) {
                    throw StoreError(
                        "the source's column \(table.name).\(missing) has no counterpart in PostgreSQL; upgrade "
                            + "jobwatch on this host"
                    )
                }
                try await self.insert(table, types: types, c)
                counts.append((table.name, table.rows.count))
            }
            for (table, column) in [("job", "id"), ("transition", "id"), ("delivery_attempt", "id")] {
                try await c.query(
                    PostgresQuery(
                        unsafeSQL: """
                            SELECT setval(pg_get_serial_sequence('\(table)', '\(column)'),
                                COALESCE((SELECT MAX(\(column)) FROM \(table)), 1), (SELECT COUNT(*) FROM \(table)) > 0)
                            """), logger: self.queryLogger)
            }
            try await c.query(
                """
                UPDATE event_counter SET last_sequence = GREATEST(\(export.lastEventSequence),
                    COALESCE((SELECT MAX(sequence) FROM event), 0))
                """, logger: self.queryLogger)
            try await self.notifyDaemons(c)
            return counts
        }
    }

    private func columnTypes(_ c: PostgresConnection, table: String) async throws -> [String: String] {
        let rows = try await c.query(
            """
            SELECT column_name, data_type FROM information_schema.columns
            WHERE table_schema = current_schema() AND table_name = \(table)
            """, logger: queryLogger
        ).collect()
        var types: [String: String] = [:]
        for row in rows {
            let (name, type) = try row.decode((String, String).self)
            types[name] = type
        }
        return types
    }

    /// Multi-row INSERTs of at most ~30,000 parameters each (the protocol allows 65,535).
    private func insert(_ table: StoreExport.Table, types: [String: String], _ c: PostgresConnection) async throws {
        guard !table.rows.isEmpty, !table.columns.isEmpty else { return }
        let perStatement = max(1, 30_000 / table.columns.count)
        let columnList = table.columns.map { "\"\($0)\"" }.joined(separator: ", ")
        var start = 0
        while start < table.rows.count {
            let chunk = table.rows[start..<min(start + perStatement, table.rows.count)]
            var bindings = PostgresBindings(capacity: chunk.count * table.columns.count)
            var tuples: [String] = []
            for row in chunk {
                var placeholders: [String] = []
                for (index, value) in row.enumerated() {
                    switch value {
                    case .null: bindings.appendNull()
                    case .integer(let number): bindings.append(number)
                    case .real(let number): bindings.append(number)
                    case .text(let text): bindings.append(text)
                    }
                    placeholders.append("$\(bindings.count)::\(types[table.columns[index]] ?? "text")")
                }
                tuples.append("(" + placeholders.joined(separator: ", ") + ")")
            }
            try await c.query(
                PostgresQuery(
                    unsafeSQL: "INSERT INTO \(table.name) (\(columnList)) VALUES " + tuples.joined(separator: ", "),
                    binds: bindings), logger: queryLogger)
            start += perStatement
        }
    }
}
