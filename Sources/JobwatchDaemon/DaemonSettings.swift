import JobwatchConfig
import JobwatchCore
import Synchronization

/// Everything the daemon derives from the configuration; replaced as a whole on SIGHUP.
struct DaemonSettings: Sendable {
    var configuration: Configuration
    /// One fetcher per account that has credentials.
    var fetchers: [String: any JobFetching]

    var pollSettings: PollSettings {
        PollSettings(
            policy: configuration.polling.policy, notFoundAfter: configuration.polling.notFoundAfter,
            stallAfterMillis: configuration.polling.stallAfterMillis)
    }

    var sinks: [SinkSubscription] { configuration.sinkSubscriptions }
}

/// The current settings, readable from any task; swapped atomically on reload.
final class SettingsBox: Sendable {
    private let value: Mutex<DaemonSettings>

    init(_ settings: DaemonSettings) {
        value = Mutex(settings)
    }

    var current: DaemonSettings {
        value.withLock { $0 }
    }

    func replace(_ settings: DaemonSettings) {
        value.withLock { $0 = settings }
    }
}
