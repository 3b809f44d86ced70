/// The `Retry-After` header (RFC 9110 §10.2.3): delay seconds or an HTTP date. The one parser of both the
/// cloud side (a 429 from the gateway) and the webhook side (a receiver's 429/503).
package enum RetryAfter {
    /// A wait past this counts as this: a wild value must not park a job or a delivery for good.
    package static let maxMillis: Int64 = 3_600_000

    /// The wait it asks for in milliseconds from `nowMillis`, within 0...`maxMillis` (a date in the past is
    /// no wait); nil when absent or neither form.
    package static func delayMillis(_ value: String?, nowMillis: Int64) -> Int64? {
        guard let value else { return nil }
        let text = value.trimmingWhitespace()
        guard !text.isEmpty, text.utf8.count <= 64 else { return nil }
        if text.utf8.allSatisfy({ $0 >= 48 && $0 <= 57 }) {
            // Digits only: a number of seconds, any length (a huge one is simply the cap).
            let digits = text.drop { $0 == "0" }
            guard digits.count <= 7, let seconds = Int64(digits.isEmpty ? "0" : String(digits)) else {
                return maxMillis
            }
            return min(seconds * 1000, maxMillis)
        }
        guard let date = httpDateMillis(String(text)) else { return nil }
        return min(max(0, SaturatingTime.difference(date, nowMillis)), maxMillis)
    }

    /// Milliseconds since 1970 for the three HTTP-date forms a recipient must accept:
    /// `Sun, 06 Nov 1994 08:49:37 GMT`, `Sunday, 06-Nov-94 08:49:37 GMT` and `Sun Nov  6 08:49:37 1994`.
    package static func httpDateMillis(_ text: String) -> Int64? {
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
        guard let monthIndex = months.firstIndex(of: month), day.count <= 2, year.count <= 4,
            let dayNumber = Int(day), var yearNumber = Int(year), dayNumber >= 0, yearNumber >= 0,
            time.utf8.count == 8
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
