/// Times as the cloud sends them, normalized to ISO 8601 UTC with milliseconds (CONTRACT §2).
///
/// Accepted: RFC 3339 with any number of fraction digits and `Z` or an offset (`2024-05-20T10:39:49.61Z`),
/// the same without a zone (taken as UTC, as the API documents say), a space instead of `T`, and the old
/// IMS format `04-Jun-2015 18:11:06:586`. Hand-written so that it is fast, locale-free and never throws.
package enum CloudTime {
    /// The normalized text, the raw text when it cannot be parsed, nil when absent or blank.
    package static func normalize(_ raw: String?) -> String? {
        guard let raw else { return nil }
        let trimmed = String(raw.trimmingWhitespace())
        if trimmed.isEmpty { return nil }
        guard let millis = parseMillis(trimmed) else { return raw }
        return format(millis: millis)
    }

    /// Milliseconds since 1970 for a parseable time, nil otherwise.
    package static func parseMillis(_ text: String) -> Int64? {
        let bytes = Array(text.utf8)
        return parseRFC3339(bytes) ?? parseLegacyIMS(bytes)
    }

    /// The instants `format` can write: years 0000 to 9999.
    package static let formattableMillis: ClosedRange<Int64> = -62_167_219_200_000...253_402_300_799_999

    /// `yyyy-MM-ddTHH:mm:ss.SSSZ` for milliseconds since 1970; an instant outside years 0000–9999 (a stored
    /// extreme value) is written as the nearest one inside, never trapping.
    package static func format(millis unclamped: Int64) -> String {
        let millis = min(max(unclamped, formattableMillis.lowerBound), formattableMillis.upperBound)
        let days = floorDiv(millis, 86_400_000)
        let msOfDay = millis - days * 86_400_000
        let (y, m, d) = civil(fromDays: days)
        let h = msOfDay / 3_600_000, mi = (msOfDay / 60_000) % 60, s = (msOfDay / 1000) % 60, ms = msOfDay % 1000
        return "\(pad(y, 4))-\(pad(m, 2))-\(pad(d, 2))T\(pad(h, 2)):\(pad(mi, 2)):\(pad(s, 2)).\(pad(ms, 3))Z"
    }

    /// `yyyyMMddTHHmmssZ`, the `X-Sdk-Date` form.
    package static func sdkDate(millis: Int64) -> String {
        let iso = format(millis: millis)
        let digits = iso.prefix(19).filter { $0 != "-" && $0 != ":" }
        return digits + "Z"
    }

    // MARK: - Parsing

    private static func parseRFC3339(_ b: [UInt8]) -> Int64? {
        guard b.count >= 19 else { return nil }
        guard let y = digits(b, 0, 4), b[4] == dash, let mo = digits(b, 5, 2), b[7] == dash, let d = digits(b, 8, 2),
            b[10] == UInt8(ascii: "T") || b[10] == UInt8(ascii: "t") || b[10] == UInt8(ascii: " "),
            let h = digits(b, 11, 2), b[13] == colon, let mi = digits(b, 14, 2), b[16] == colon,
            let s = digits(b, 17, 2)
        else { return nil }
        var i = 19
        var millis: Int64 = 0
        if i < b.count, b[i] == UInt8(ascii: ".") || b[i] == UInt8(ascii: ",") {
            i += 1
            var scale: Int64 = 100
            let start = i
            while i < b.count, let digit = digitValue(b[i]) {
                millis += digit * scale
                scale /= 10
                i += 1
            }
            if i == start { return nil }
        }
        var offsetMinutes: Int64 = 0
        if i < b.count {
            switch b[i] {
            case UInt8(ascii: "Z"), UInt8(ascii: "z"):
                i += 1
            case UInt8(ascii: "+"), UInt8(ascii: "-"):
                let sign: Int64 = b[i] == UInt8(ascii: "+") ? 1 : -1
                guard let oh = digits(b, i + 1, 2) else { return nil }
                var j = i + 3
                if j < b.count, b[j] == colon { j += 1 }
                guard let om = digits(b, j, 2) else { return nil }
                offsetMinutes = sign * (oh * 60 + om)
                i = j + 2
            default:
                return nil
            }
        }
        guard i == b.count else { return nil }
        return compose(y, mo, d, h, mi, s, millis).map { $0 - offsetMinutes * 60_000 }
    }

    /// `dd-MMM-yyyy HH:mm:ss:SSS`, the format of the 2015 IMS documentation example.
    private static func parseLegacyIMS(_ b: [UInt8]) -> Int64? {
        guard b.count == 24, let d = digits(b, 0, 2), b[2] == dash, b[6] == dash, let y = digits(b, 7, 4),
            b[11] == UInt8(ascii: " "), let h = digits(b, 12, 2), b[14] == colon, let mi = digits(b, 15, 2),
            b[17] == colon, let s = digits(b, 18, 2), b[20] == colon, let ms = digits(b, 21, 3)
        else { return nil }
        let name = String(decoding: b[3..<6], as: UTF8.self).lowercased()
        let months = ["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"]
        guard let index = months.firstIndex(of: name) else { return nil }
        return compose(y, Int64(index + 1), d, h, mi, s, ms)
    }

    private static func compose(
        _ y: Int64, _ mo: Int64, _ d: Int64, _ h: Int64, _ mi: Int64, _ s: Int64, _ ms: Int64
    ) -> Int64? {
        guard (1...12).contains(mo), (1...31).contains(d), h < 24, mi < 60, s < 61 else { return nil }
        return days(fromCivil: y, mo, d) * 86_400_000 + ((h * 60 + mi) * 60 + s) * 1000 + ms
    }

    private static let dash = UInt8(ascii: "-")
    private static let colon = UInt8(ascii: ":")

    private static func digitValue(_ byte: UInt8) -> Int64? {
        byte >= 48 && byte <= 57 ? Int64(byte - 48) : nil
    }

    private static func digits(_ b: [UInt8], _ start: Int, _ count: Int) -> Int64? {
        guard start + count <= b.count else { return nil }
        var value: Int64 = 0
        for i in start..<(start + count) {
            guard let digit = digitValue(b[i]) else { return nil }
            value = value * 10 + digit
        }
        return value
    }

    private static func pad(_ value: Int64, _ width: Int) -> String {
        let text = String(value)
        return text.count >= width ? text : String(repeating: "0", count: width - text.count) + text
    }

    private static func floorDiv(_ a: Int64, _ b: Int64) -> Int64 {
        a >= 0 ? a / b : (a + 1) / b - 1
    }

    // Howard Hinnant's days-from-civil algorithms (proleptic Gregorian calendar).
    private static func days(fromCivil y0: Int64, _ m: Int64, _ d: Int64) -> Int64 {
        let y = m <= 2 ? y0 - 1 : y0
        let era = floorDiv(y, 400)
        let yoe = y - era * 400
        let doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy
        return era * 146_097 + doe - 719_468
    }

    private static func civil(fromDays z0: Int64) -> (Int64, Int64, Int64) {
        let z = z0 + 719_468
        let era = floorDiv(z, 146_097)
        let doe = z - era * 146_097
        let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100)
        let mp = (5 * doy + 2) / 153
        let d = doy - (153 * mp + 2) / 5 + 1
        let m = mp + (mp < 10 ? 3 : -9)
        return (yoe + era * 400 + (m <= 2 ? 1 : 0), m, d)
    }
}
