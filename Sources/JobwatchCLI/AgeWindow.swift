import ArgumentParser
import JobwatchCore

/// `--since DUR`: a window ending now, `DUR` long (at most 10 years).
struct AgeWindow {
    var millis: Int64

    static let longestMillis: Int64 = 3650 * 86_400_000

    static func parse(_ text: String, option: String) throws -> AgeWindow {
        guard let millis = DurationText.parseMillis(text), millis > 0 else {
            throw ValidationError("\(option) '\(text)' is not a duration; write it like 30m, 24h or 3d")
        }
        guard millis <= longestMillis else {
            throw ValidationError("\(option) '\(text)' is longer than 3650d; give a shorter window")
        }
        return AgeWindow(millis: millis)
    }

    func startMillis(now: Int64) -> Int64 { now - millis }
}
