import Foundation
import JobwatchCore

/// The `Retry-After` header: delay seconds, or an HTTP date (`Sun, 06 Nov 1994 08:49:37 GMT`).
enum RetryAfter {
    /// Milliseconds to wait from `nowMillis`, never negative; nil when absent or unreadable.
    static func millis(_ value: String?, nowMillis: Int64) -> Int64? {
        guard let value = value?.trimmingCharacters(in: .whitespaces), !value.isEmpty else { return nil }
        if value.allSatisfy(\.isASCII), let seconds = Int64(value), seconds >= 0 {
            return seconds > Int64.max / 1000 ? nil : seconds * 1000
        }
        guard let date = httpDateMillis(value) else { return nil }
        return max(0, date - nowMillis)
    }

    /// IMF-fixdate, the form RFC 9110 requires senders to use.
    private static func httpDateMillis(_ text: String) -> Int64? {
        let parts = text.split(separator: " ")
        guard parts.count == 6, parts[0].hasSuffix(","), parts[5] == "GMT", parts[1].count == 2, parts[3].count == 4
        else { return nil }
        let months = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]
        guard let month = months.firstIndex(of: String(parts[2])) else { return nil }
        let monthText = month + 1 < 10 ? "0\(month + 1)" : "\(month + 1)"
        return CloudTime.parseMillis("\(parts[3])-\(monthText)-\(parts[1])T\(parts[4])Z")
    }
}
