import Foundation
import JobwatchCore

/// The `Retry-After` response header (RFC 9110 §10.2.3): delay seconds or an HTTP date.
enum RetryAfter {
    /// The delay it asks for, in milliseconds from `nowMillis` (a date in the past is no delay);
    /// nil when the value is neither form.
    static func delayMillis(_ value: String, nowMillis: Int64) -> Int64? {
        let text = value.trimmingCharacters(in: .whitespaces)
        if !text.isEmpty, text.allSatisfy(\.isASCIIDigit) {
            guard let seconds = Int64(text) else { return nil }
            return seconds.multipliedReportingOverflow(by: 1000).overflow ? Int64.max : seconds * 1000
        }
        return httpDateMillis(text).map { max(0, $0 - nowMillis) }
    }

    /// Milliseconds since 1970 for the three HTTP-date forms a recipient must accept:
    /// `Sun, 06 Nov 1994 08:49:37 GMT`, `Sunday, 06-Nov-94 08:49:37 GMT` and `Sun Nov  6 08:49:37 1994`.
    static func httpDateMillis(_ text: String) -> Int64? {
        let fields = text.split(whereSeparator: { $0 == " " || $0 == "-" || $0 == "," }).map(String.init)
        let day: String, month: String, year: String, time: String
        switch fields.count {
        case 6 where fields[5] == "GMT":
            (day, month, year, time) = (fields[1], fields[2], fields[3], fields[4])
        case 5:
            (day, month, year, time) = (fields[2], fields[1], fields[4], fields[3])
        default:
            return nil
        }
        let months = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]
        guard let monthIndex = months.firstIndex(of: month), let dayNumber = Int(day), var yearNumber = Int(year),
            time.count == 8
        else { return nil }
        // RFC 850 two-digit years: RFC 9110 reads those more than 50 years ahead as the past century.
        if year.count == 2 { yearNumber += yearNumber < 70 ? 2000 : 1900 }
        let iso = "\(padded(yearNumber, 4))-\(padded(monthIndex + 1, 2))-\(padded(dayNumber, 2))T\(time)Z"
        return CloudTime.parseMillis(iso)
    }

    private static func padded(_ value: Int, _ width: Int) -> String {
        let digits = String(value)
        return String(repeating: "0", count: max(0, width - digits.count)) + digits
    }
}

extension Character {
    fileprivate var isASCIIDigit: Bool { isASCII && isNumber }
}
