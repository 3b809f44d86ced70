import Glibc
import Logging

/// Renders one log entry as exactly one line (ending in `\n`): control characters in the message and in
/// metadata are escaped, metadata is sorted by key, values with spaces or quotes are quoted.
struct LogLineFormatter: Sendable {
    var style: LogLineStyle

    func line(
        level: Logger.Level, message: String, metadata: Logger.Metadata, error: (any Error)?, now: timespec
    ) -> String {
        var line: String
        switch style {
        case .journald:
            line = "<\(Self.syslogPriority(level))>"
        case .plain:
            line = Self.timestamp(now) + " " + level.rawValue + " "
        }
        line += Self.escaped(message)
        var fields = metadata
        if let error { fields["error"] = .string(String(describing: error)) }
        for key in fields.keys.sorted() {
            line += " " + Self.escaped(key) + "=" + Self.value(fields[key]!)
        }
        line += "\n"
        return line
    }

    /// sd-daemon.h priorities: `SD_DEBUG` 7 … `SD_CRIT` 2.
    static func syslogPriority(_ level: Logger.Level) -> Int {
        switch level {
        case .trace, .debug: 7
        case .info: 6
        case .notice: 5
        case .warning: 4
        case .error: 3
        case .critical: 2
        }
    }

    /// ISO 8601 UTC with milliseconds, from a `CLOCK_REALTIME` reading.
    static func timestamp(_ time: timespec) -> String {
        var seconds = time_t(time.tv_sec)
        var parts = tm()
        gmtime_r(&seconds, &parts)
        func padded(_ value: Int32, _ width: Int) -> String {
            let digits = String(value)
            return String(repeating: "0", count: max(0, width - digits.count)) + digits
        }
        let millis = Int32(time.tv_nsec / 1_000_000)
        return "\(padded(parts.tm_year + 1900, 4))-\(padded(parts.tm_mon + 1, 2))-\(padded(parts.tm_mday, 2))"
            + "T\(padded(parts.tm_hour, 2)):\(padded(parts.tm_min, 2)):\(padded(parts.tm_sec, 2)).\(padded(millis, 3))Z"
    }

    /// A metadata value: bare when it is one plain word, otherwise in double quotes with `"` and `\` escaped.
    static func value(_ value: Logger.MetadataValue) -> String {
        let text = String(describing: value)
        let needsQuotes =
            text.isEmpty || text.unicodeScalars.contains { $0 == " " || $0 == "\"" || $0 == "\\" || $0 == "=" }
        guard needsQuotes else { return escaped(text) }
        var quoted = "\""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"": quoted += "\\\""
            case "\\": quoted += "\\\\"
            default: quoted += escaped(scalar)
            }
        }
        return quoted + "\""
    }

    /// The text with line breaks, tabs and other control characters written as escapes, so one entry is one line.
    static func escaped(_ text: String) -> String {
        guard text.unicodeScalars.contains(where: isControl) else { return text }
        var result = ""
        for scalar in text.unicodeScalars { result += escaped(scalar) }
        return result
    }

    private static func escaped(_ scalar: Unicode.Scalar) -> String {
        switch scalar {
        case "\n": return "\\n"
        case "\r": return "\\r"
        case "\t": return "\\t"
        case _ where isControl(scalar):
            let hex = String(scalar.value, radix: 16, uppercase: true)
            return "\\u{" + hex + "}"
        default: return String(scalar)
        }
    }

    private static func isControl(_ scalar: Unicode.Scalar) -> Bool {
        scalar.value < 0x20 || scalar.value == 0x7F || scalar == "\u{2028}" || scalar == "\u{2029}"
            || scalar == "\u{85}"
    }
}
