import Foundation
import GRDB
import JobwatchCore

/// Reading columns back without trusting them: GRDB's non-optional subscripts trap on a value of another
/// type, and a database edited by hand, written by another version or restored from elsewhere may hold
/// anything. Every accessor returns nil for what it cannot use; callers fall back or clamp.
///
/// Each comes by name and by index: the hot queries (a poll's job row) read by index, because GRDB's
/// by-name lookup lowercases the name on every access.
extension Row {
    func int64(_ column: String) -> Int64? { Self.int64(self[column]) }
    func int64(at index: Int) -> Int64? { Self.int64(self[index]) }

    /// A counter: never negative, at most a billion.
    func count(_ column: String) -> Int { Self.count(int64(column)) }
    func count(at index: Int) -> Int { Self.count(int64(at: index)) }

    func double(_ column: String) -> Double? { Self.double(self[column]) }
    func double(at index: Int) -> Double? { Self.double(self[index]) }

    func text(_ column: String) -> String? { Self.text(self[column]) }
    func text(at index: Int) -> String? { Self.text(self[index]) }

    private static func int64(_ value: DatabaseValue) -> Int64? {
        switch value.storage {
        case .int64(let number): return number
        case .double(let number):
            return number.isFinite ? SaturatingTime.millis(number, clampedTo: Int64.min...Int64.max) : nil
        case .string(let text): return Int64(text)
        case .null, .blob: return nil
        }
    }

    private static func count(_ value: Int64?) -> Int {
        Int(Swift.min(Swift.max(value ?? 0, 0), 1_000_000_000))
    }

    private static func double(_ value: DatabaseValue) -> Double? {
        switch value.storage {
        case .double(let number): return number
        case .int64(let number): return Double(number)
        case .string(let text): return Double(text)
        case .null, .blob: return nil
        }
    }

    private static func text(_ value: DatabaseValue) -> String? {
        switch value.storage {
        case .string(let text): return text
        case .int64(let number): return String(number)
        case .double(let number): return String(number)
        case .blob(let data): return String(decoding: data, as: UTF8.self)
        case .null: return nil
        }
    }
}
