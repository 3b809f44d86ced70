import Logging
import Synchronization

/// The process-wide log level, shared by every logger the handler creates, so that a SIGHUP reload that
/// changes `log_level` takes effect at once for loggers that already exist.
package final class LogLevelHolder: Sendable {
    private let storage: Mutex<Logger.Level>

    package init(_ level: Logger.Level) {
        storage = Mutex(level)
    }

    package var level: Logger.Level {
        get { storage.withLock { $0 } }
        set { storage.withLock { $0 = newValue } }
    }
}
