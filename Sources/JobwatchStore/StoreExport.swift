import Foundation
import GRDB

/// Every row of a jobwatch database, table by table, for `jobwatch migrate-store`: the tables and columns
/// are the same in SQLite and PostgreSQL (PostgreSQL adds lease columns, which start free).
package struct StoreExport: Sendable {
    package struct Table: Sendable {
        package var name: String
        package var columns: [String]
        package var rows: [[Value]]

        package init(name: String, columns: [String], rows: [[Value]]) {
            self.name = name
            self.columns = columns
            self.rows = rows
        }
    }

    package enum Value: Sendable, Equatable {
        case null
        case integer(Int64)
        case real(Double)
        case text(String)
    }

    /// In dependency order: a row's references come before it.
    package static let tableOrder = ["job", "sub_job", "transition", "event", "delivery", "delivery_attempt"]

    package var tables: [Table]
    /// The highest event sequence ever handed out (retention may have deleted the newest rows' elders, never
    /// the counter): the importer continues from it so `events --since` cursors stay valid.
    package var lastEventSequence: Int64

    package init(tables: [Table], lastEventSequence: Int64) {
        self.tables = tables
        self.lastEventSequence = lastEventSequence
    }

    package func table(_ name: String) -> Table? { tables.first { $0.name == name } }
}

extension JobStore {
    /// Reads every table in one read transaction (a consistent snapshot even while the CLI writes).
    package func exportAll() throws -> StoreExport {
        do {
            return try pool.read { db in
                var tables: [StoreExport.Table] = []
                for name in StoreExport.tableOrder {
                    let columns = try db.columns(in: name).map(\.name)
                    let list = columns.map { "\"\($0)\"" }.joined(separator: ", ")
                    let rows = try Row.fetchAll(db, sql: "SELECT \(list) FROM \(name) ORDER BY rowid").map { row in
                        columns.map { column -> StoreExport.Value in
                            switch row[column] as DatabaseValue? {
                            case .none: return .null
                            case .some(let value):
                                switch value.storage {
                                case .null: return .null
                                case .int64(let number): return .integer(number)
                                case .double(let number): return .real(number)
                                case .string(let text): return .text(text)
                                case .blob(let data): return .text(String(decoding: data, as: UTF8.self))
                                }
                            }
                        }
                    }
                    tables.append(StoreExport.Table(name: name, columns: columns, rows: rows))
                }
                let counter =
                    try Int64.fetchOne(db, sql: "SELECT seq FROM sqlite_sequence WHERE name = 'event'") ?? 0
                let newest = try Int64.fetchOne(db, sql: "SELECT MAX(sequence) FROM event") ?? 0
                return StoreExport(tables: tables, lastEventSequence: max(counter, newest))
            }
        } catch {
            throw StoreError.wrap(error, path: path)
        }
    }
}
