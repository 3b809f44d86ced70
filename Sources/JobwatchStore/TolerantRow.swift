import Foundation
import GRDB
import JobwatchCore

/// Reading columns back without trusting them: GRDB's non-optional subscripts trap on a value of another
/// type, and a database edited by hand, written by another version or restored from elsewhere may hold
/// anything. Every accessor returns nil for what it cannot use; callers fall back or clamp.
extension Row {
    func int64(_ column: String) -> Int64? {
        let value: DatabaseValue = self[column]
        switch value.storage {
        case .int64(let number): return number
        case .double(let number):
            return number.isFinite ? SaturatingTime.millis(number, clampedTo: Int64.min...Int64.max) : nil
        case .string(let text): return Int64(text)
        case .null, .blob: return nil
        }
    }

    /// A counter: never negative, at most a billion.
    func count(_ column: String) -> Int {
        Int(Swift.min(Swift.max(int64(column) ?? 0, 0), 1_000_000_000))
    }

    func double(_ column: String) -> Double? {
        let value: DatabaseValue = self[column]
        switch value.storage {
        case .double(let number): return number
        case .int64(let number): return Double(number)
        case .string(let text): return Double(text)
        case .null, .blob: return nil
        }
    }

    func text(_ column: String) -> String? {
        let value: DatabaseValue = self[column]
        switch value.storage {
        case .string(let text): return text
        case .int64(let number): return String(number)
        case .double(let number): return String(number)
        case .blob(let data): return String(decoding: data, as: UTF8.self)
        case .null: return nil
        }
    }
}
