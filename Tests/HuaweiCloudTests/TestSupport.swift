import Foundation
import Logging
import Synchronization
import Testing

/// The package root, found from this file's path.
func packageRoot(from file: String = #filePath) -> URL {
    var directory = URL(fileURLWithPath: file).deletingLastPathComponent()
    while directory.path != "/" {
        if FileManager.default.fileExists(atPath: directory.appendingPathComponent("Package.swift").path) {
            return directory
        }
        directory = directory.deletingLastPathComponent()
    }
    return directory
}

/// A file of `Tests/Reference`: verbatim copies of the official SDKs' vectors (`.ci/reference-check` compares
/// them with the shared reference when it is beside the clone).
func referenceFile(_ name: String) throws -> Data {
    try Data(contentsOf: packageRoot().appendingPathComponent("Tests/Reference/\(name)"))
}

func fixture(_ name: String) throws -> [UInt8] {
    let url = try #require(Bundle.module.resourceURL).appendingPathComponent("Fixtures/\(name)")
    return Array(try Data(contentsOf: url))
}

func fixtureNames() throws -> [String] {
    let directory = try #require(Bundle.module.resourceURL).appendingPathComponent("Fixtures")
    return try FileManager.default.contentsOfDirectory(atPath: directory.path).filter { $0.hasSuffix(".json") }.sorted()
}

/// A clock the test moves by hand, in milliseconds since 1970.
final class ManualClock: Sendable {
    private let millis: Mutex<Int64>

    init(_ start: Int64 = 1_780_000_000_000) {
        millis = Mutex(start)
    }

    var now: Int64 { millis.withLock { $0 } }

    func advance(byMillis delta: Int64) {
        millis.withLock { $0 += delta }
    }

    var closure: @Sendable () -> Int64 { { self.now } }
}

/// Everything logged through a `Logger`, at every level, for checking that no secret is ever written.
final class LogCapture: Sendable {
    private let lines = Mutex<[String]>([])

    var text: String { lines.withLock { $0.joined(separator: "\n") } }

    func logger() -> Logger {
        var logger = Logger(label: "test") { _ in CapturingHandler(capture: self) }
        logger.logLevel = .trace
        return logger
    }

    fileprivate func append(_ line: String) {
        lines.withLock { $0.append(line) }
    }
}

private struct CapturingHandler: LogHandler {
    let capture: LogCapture
    var metadata: Logger.Metadata = [:]
    var logLevel: Logger.Level = .trace

    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    func log(event: LogEvent) {
        let all = metadata.merging(event.metadata ?? [:]) { $1 }
        capture.append("\(event.level) \(event.message) \(all.map { "\($0)=\($1)" }.sorted().joined(separator: " "))")
    }
}
