import JobwatchCore

/// The JSON columns of a job row (`labels`, `sinks`, `entities`), read back with `JSONParser`: they are
/// decoded on every poll, and a value that is not what the column should hold is absent, never an error.
enum StoredJSON {
    static func labels(_ text: String) -> [String: String]? {
        if text == "{}" { return [:] }
        guard case .object(let object) = JSONParser.parse(text) else { return nil }
        var labels: [String: String] = [:]
        for (key, value) in object {
            guard case .string(let text) = value else { return nil }
            labels[key] = text
        }
        return labels
    }

    static func sinks(_ text: String) -> [String]? {
        guard case .array(let items) = JSONParser.parse(text) else { return nil }
        var sinks: [String] = []
        for item in items {
            guard case .string(let name) = item else { return nil }
            sinks.append(name)
        }
        return sinks
    }

    static func entities(_ text: String) -> JSONValue? {
        JSONParser.parse(text)
    }
}
