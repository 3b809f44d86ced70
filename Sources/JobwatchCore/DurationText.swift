/// Durations as users write them: `500ms`, `5s`, `10m`, `72h`, `3d`, or a sum such as `1h30m`.
package enum DurationText {
    /// The longest duration accepted anywhere (configuration, flags, scenarios): 365 days. Past it a value
    /// is refused, naming this bound, so that no sum of durations can overflow.
    package static let maxMillis: Int64 = 365 * 86_400_000

    /// What a duration text is.
    package enum Parsed: Sendable, Hashable {
        case millis(Int64)
        case malformed
        /// Well formed but longer than `maxMillis`.
        case tooLong
    }

    /// Milliseconds for a duration text, nil when it is malformed or longer than `maxMillis`.
    package static func parseMillis(_ text: String) -> Int64? {
        if case .millis(let value) = parse(text) { return value }
        return nil
    }

    /// Why a text is not a usable positive duration, in words; nil when it is one.
    package static func problem(_ text: String) -> String? {
        switch parse(text) {
        case .millis(let value) where value > 0: return nil
        case .millis, .malformed: return "'\(oneLine(text))' is not a duration; write it like 500ms, 5s, 10m, 72h or 3d"
        case .tooLong:
            return "'\(oneLine(text))' is longer than \(format(millis: maxMillis)), the longest allowed duration"
        }
    }

    package static func parse(_ text: String) -> Parsed {
        let input = Array(text.trimmingWhitespace().lowercased().utf8)
        guard !input.isEmpty, input.count <= 256 else { return .malformed }
        var total: Double = 0
        var i = 0
        while i < input.count {
            var number: Double = 0
            var scale = 0.1
            let start = i
            while i < input.count, input[i] >= 48, input[i] <= 57 {
                number = number * 10 + Double(input[i] - 48)
                i += 1
            }
            if i < input.count, input[i] == UInt8(ascii: ".") {
                i += 1
                while i < input.count, input[i] >= 48, input[i] <= 57 {
                    number += Double(input[i] - 48) * scale
                    scale /= 10
                    i += 1
                }
            }
            guard i > start else { return .malformed }
            let unitStart = i
            while i < input.count, input[i] >= 97, input[i] <= 122 { i += 1 }
            let unit = String(decoding: input[unitStart..<i], as: UTF8.self)
            let millisPerUnit: Double
            switch unit {
            case "ms": millisPerUnit = 1
            case "s": millisPerUnit = 1000
            case "m": millisPerUnit = 60_000
            case "h": millisPerUnit = 3_600_000
            case "d": millisPerUnit = 86_400_000
            default: return .malformed
            }
            // In Double, where a long digit string is only a large (or infinite) number, never an overflow.
            total += number * millisPerUnit
        }
        guard total.isFinite, total.rounded() <= Double(maxMillis) else { return .tooLong }
        return .millis(Int64(total.rounded()))
    }

    private static func oneLine(_ text: String) -> String {
        let flat = String(text.unicodeScalars.map { $0.properties.generalCategory == .control ? "?" : Character($0) })
        return flat.count > 40 ? String(flat.prefix(40)) + "…" : flat
    }

    /// The shortest exact text for milliseconds: `1500` → `1500ms`, `90000` → `90s`, `7200000` → `2h`.
    package static func format(millis: Int64) -> String {
        for (unit, size) in [("d", Int64(86_400_000)), ("h", 3_600_000), ("m", 60_000), ("s", 1000)]
        where millis >= size && millis % size == 0 {
            return "\(millis / size)\(unit)"
        }
        return "\(millis)ms"
    }

    /// A rounded human reading: `42s`, `3m12s`, `1h05m`, `2d03h`.
    package static func human(millis: Int64) -> String {
        let seconds = max(0, millis / 1000)
        if seconds < 60 {
            return millis < 10_000 && millis % 1000 != 0 ? String(format1: Double(millis) / 1000) + "s" : "\(seconds)s"
        }
        if seconds < 3600 { return "\(seconds / 60)m\(twoDigits(seconds % 60))s" }
        if seconds < 86_400 { return "\(seconds / 3600)h\(twoDigits((seconds / 60) % 60))m" }
        return "\(seconds / 86_400)d\(twoDigits((seconds / 3600) % 24))h"
    }

    private static func twoDigits(_ value: Int64) -> String { value < 10 ? "0\(value)" : "\(value)" }
}

extension String {
    /// One decimal place, without Foundation's locale-aware formatting.
    init(format1 value: Double) {
        let tenths = Int64((value * 10).rounded())
        self = "\(tenths / 10).\(abs(tenths % 10))"
    }
}
