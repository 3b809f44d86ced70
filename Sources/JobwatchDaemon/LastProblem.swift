import Synchronization

/// The most recent problem the daemon logged, with its time, for the systemd STATUS= line.
final class LastProblem: Sendable {
    private let value = Mutex<(message: String, atMillis: Int64)?>(nil)

    func record(_ message: String, atMillis: Int64) {
        value.withLock { $0 = (message, atMillis) }
    }

    var current: (message: String, atMillis: Int64)? {
        value.withLock { $0 }
    }
}
