import Foundation
import JobwatchStore
import PostgresNIO

extension PostgresJobStore {
    /// Columns only several daemons need (the leases): not copied out, SQLite has none.
    static let leaseColumns: Set<String> = ["lease_owner", "lease_token", "lease_expires_at"]

    /// The order each table is read in: the order its rows were made, as SQLite's export reads by rowid.
    static let exportOrder = [
        "job": "id", "sub_job": "job_row, position", "transition": "id", "event": "sequence",
        "delivery": "event_sequence, sink", "delivery_attempt": "id",
    ]

    /// Reads every table (`jobwatch migrate-store` from PostgreSQL) in one REPEATABLE READ, read-only
    /// transaction: one consistent snapshot even while daemons keep writing. The lease columns are left out;
    /// the event counter is carried, so `events --since` cursors stay valid on the other side.
    package func exportAll() async throws -> StoreExport {
        try await transaction { c in
            try await c.query("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY", logger: self.queryLogger)
            var tables: [StoreExport.Table] = []
            for name in StoreExport.tableOrder {
                let columns = try await c.query(
                    """
                    SELECT column_name FROM information_schema.columns
                    WHERE table_schema = current_schema() AND table_name = \(name) ORDER BY ordinal_position
                    """, logger: self.queryLogger
                ).collect().map { try $0.decode(String.self) }.filter { !Self.leaseColumns.contains($0) }
                let list = columns.map { "\"\($0)\"" }.joined(separator: ", ")
                let order = Self.exportOrder[name] ?? "1"
                var rows: [[StoreExport.Value]] = []
                for try await row in try await c.query(
                    PostgresQuery(unsafeSQL: "SELECT \(list) FROM \(name) ORDER BY \(order)"), logger: self.queryLogger)
                {
                    rows.append(try row.map(Self.exportValue))
                }
                tables.append(StoreExport.Table(name: name, columns: columns, rows: rows))
            }
            let counter =
                try await c.query("SELECT last_sequence FROM event_counter", logger: self.queryLogger).collect()
                .first.map { try $0.decode(Int64.self) } ?? 0
            return StoreExport(tables: tables, lastEventSequence: counter)
        }
    }

    /// One cell as SQLite stores it: BIGINT as an integer, DOUBLE PRECISION as a real, TEXT as text.
    private static func exportValue(_ cell: PostgresCell) throws -> StoreExport.Value {
        guard cell.bytes != nil else { return .null }
        switch cell.dataType {
        case .int8, .int4, .int2: return .integer(try cell.decode(Int64.self))
        case .float8, .float4: return .real(try cell.decode(Double.self))
        case .bool: return .integer(try cell.decode(Bool.self) ? 1 : 0)
        default: return .text(try cell.decode(String.self))
        }
    }
}
