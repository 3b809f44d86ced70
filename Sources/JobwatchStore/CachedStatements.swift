import GRDB

/// The store runs the same few statements thousands of times a minute: compile each once per connection
/// (GRDB's statement cache) instead of parsing and authorizing the SQL on every call.
extension Database {
    func executeCached(sql: String, arguments: StatementArguments = []) throws {
        try cachedStatement(sql: sql).execute(arguments: arguments)
    }

    func rows(sql: String, arguments: StatementArguments = []) throws -> [Row] {
        try Row.fetchAll(cachedStatement(sql: sql), arguments: arguments)
    }

    /// Steps through the rows without copying them (each `Row` is valid only inside `body`) until `body`
    /// returns false: for scans that skip most rows.
    func forEachRow(sql: String, arguments: StatementArguments = [], _ body: (Row) throws -> Bool) throws {
        let cursor = try Row.fetchCursor(cachedStatement(sql: sql), arguments: arguments)
        while let row = try cursor.next() {
            if try !body(row) { return }
        }
    }

    func row(sql: String, arguments: StatementArguments = []) throws -> Row? {
        try Row.fetchOne(cachedStatement(sql: sql), arguments: arguments)
    }

    func value<T: DatabaseValueConvertible & StatementColumnConvertible>(
        _ type: T.Type, sql: String, arguments: StatementArguments = []
    ) throws -> T? {
        try T.fetchOne(cachedStatement(sql: sql), arguments: arguments)
    }
}
