import Logging
import Synchronization

@testable import JobwatchSystemd

/// Collects what a handler writes, for a logger built on it.
final class CapturedLines: Sendable {
    private let lines = Mutex<[String]>([])

    var all: [String] { lines.withLock { $0 } }

    var output: LogOutput {
        LogOutput { line in self.lines.withLock { $0.append(line) } }
    }

    func logger(
        style: LogLineStyle, levels: LogLevelHolder = LogLevelHolder(.trace), provider: Logger.MetadataProvider? = nil
    ) -> Logger {
        Logger(label: "test") { _ in
            JobwatchLogHandler(levels: levels, style: style, output: self.output, metadataProvider: provider)
        }
    }
}
