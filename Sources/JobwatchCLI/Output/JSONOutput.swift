import Foundation
import JobwatchCore

/// Writes machine-readable output: pretty JSON documents, or one compact JSON object per line.
enum JSONOutput {
    static func print<T: Encodable>(_ value: T) throws {
        let data = try JSONStyle.prettyEncoder().encode(value)
        FileHandle.standardOutput.write(data + Data("\n".utf8))
    }

    static func printLine(_ text: String) {
        FileHandle.standardOutput.write(Data((text + "\n").utf8))
    }
}
