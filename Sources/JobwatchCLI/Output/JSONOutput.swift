import Foundation
import JobwatchCore
import JobwatchDaemon

/// Writes machine-readable output: pretty JSON documents, or one compact JSON object per line.
enum JSONOutput {
    static func print<T: Encodable>(_ value: T) throws {
        let data = try JSONStyle.prettyEncoder().encode(value)
        try? StandardOutput.write(String(decoding: data, as: UTF8.self) + "\n")
    }

    static func printLine(_ text: String) {
        try? StandardOutput.write(text + "\n")
    }
}
