import Glibc
import Logging

/// A swift-log handler that writes one line per entry to standard error, readable in a terminal and in
/// journald (`journalctl -u jobwatch -o cat`, with priorities for `journalctl -p warning`).
///
/// The level comes from a shared `LogLevelHolder`, so a configuration reload changes it for every logger
/// at once; setting `logLevel` on one logger overrides it for that logger only, as swift-log expects.
package struct JobwatchLogHandler: LogHandler {
    package var metadata: Logger.Metadata = [:]
    package var metadataProvider: Logger.MetadataProvider?

    private let levels: LogLevelHolder
    private var levelOverride: Logger.Level?
    private let formatter: LogLineFormatter
    private let output: LogOutput

    package init(
        levels: LogLevelHolder, style: LogLineStyle, output: LogOutput = .standardError,
        metadataProvider: Logger.MetadataProvider? = nil
    ) {
        self.levels = levels
        self.formatter = LogLineFormatter(style: style)
        self.output = output
        self.metadataProvider = metadataProvider
    }

    /// Installs the handler for the whole process (`LoggingSystem.bootstrap`, once per process) and returns
    /// the level holder to change the level later, e.g. after a reload.
    @discardableResult
    package static func bootstrap(
        level: Logger.Level, environment: [String: String], metadataProvider: Logger.MetadataProvider? = nil
    ) -> LogLevelHolder {
        let levels = LogLevelHolder(level)
        let style = LogLineStyle.forStandardError(environment: environment)
        LoggingSystem.bootstrap(
            { _, provider in
                JobwatchLogHandler(levels: levels, style: style, metadataProvider: provider)
            }, metadataProvider: metadataProvider)
        return levels
    }

    package var logLevel: Logger.Level {
        get { levelOverride ?? levels.level }
        set { levelOverride = newValue }
    }

    package subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    package func log(event: LogEvent) {
        var fields = metadata
        if let provided = metadataProvider?.get() { fields.merge(provided) { _, new in new } }
        if let explicit = event.metadata { fields.merge(explicit) { _, new in new } }
        var now = timespec()
        clock_gettime(CLOCK_REALTIME, &now)
        output.write(
            formatter.line(
                level: event.level, message: event.message.description, metadata: fields, error: event.error, now: now))
    }
}
