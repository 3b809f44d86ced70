import JobwatchCore

/// Left-aligned columns separated by two spaces, for `list`, `events` and `deliveries`.
struct TextTable {
    var header: [String]
    var rows: [[String]] = []

    init(_ header: [String]) {
        self.header = header
    }

    /// Control characters in a cell (a label or a cloud's message stored before the rules) are escaped, so
    /// that a value can neither break the table nor send escape sequences to the terminal.
    mutating func append(_ row: [String]) {
        rows.append(row.map(InputRules.printable))
    }

    func render() -> String {
        let all = [header] + rows
        let widths = header.indices.map { column in all.map { $0[column].count }.max() ?? 0 }
        return all.map { row in
            row.enumerated().map { column, cell in
                column == row.count - 1 ? cell : cell + String(repeating: " ", count: widths[column] - cell.count)
            }.joined(separator: "  ")
        }.joined(separator: "\n")
    }
}
