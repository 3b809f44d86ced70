import JobwatchCore

/// Reads one field of a decoded answer at a time: a value of the expected JSON type, or nil (absent) with
/// the reason noted when it was there but of another type.
struct FieldReader {
    /// A hostile answer could name thousands of bad fields; a log line needs the first few.
    static let maxProblems = 10

    private(set) var problems: [String] = []
    private var noted = 0

    mutating func note(_ problem: String) {
        noted += 1
        if noted <= Self.maxProblems {
            problems.append(problem)
        } else if noted == Self.maxProblems + 1 {
            problems.append("(more fields ignored)")
        }
    }

    /// A non-empty string; numbers are accepted too (ids and codes are sometimes sent unquoted).
    mutating func text(_ value: JSONValue?, _ path: String) -> String? {
        switch value {
        case .string(let string): return string.isEmpty ? nil : Self.bounded(string)
        case .number(let number):
            guard number.isFinite else { return nil }
            return number.rounded() == number && abs(number) < 1e15 ? String(Int64(number)) : String(number)
        case nil, .null: return nil
        case .bool, .array, .object:
            note("\(path): \(Self.kind(value)) where text belongs; ignored")
            return nil
        }
    }

    /// A time as text: normalized when it parses, raw otherwise.
    mutating func time(_ value: JSONValue?, _ path: String) -> String? {
        switch value {
        case .string(let string): return CloudTime.normalize(Self.bounded(string))
        case nil, .null: return nil
        default:
            note("\(path): \(Self.kind(value)) where a time belongs; ignored")
            return nil
        }
    }

    /// `process_percent`: a finite fraction in [0, 1] (a number or a quoted number), else unknown.
    mutating func fraction(_ value: JSONValue?, _ path: String) -> Double? {
        switch value {
        case nil, .null: return nil
        case .string(let string) where string.isEmpty: return nil
        default:
            if let fraction = ProgressFraction.validated(value?.doubleValue) { return fraction }
            note("\(path): \(Self.describe(value)) is not a fraction in [0, 1]; taken as unknown")
            return nil
        }
    }

    mutating func object(_ value: JSONValue?, _ path: String) -> [String: JSONValue]? {
        switch value {
        case .object(let object): return object
        case nil, .null: return nil
        default:
            note("\(path): \(Self.kind(value)) where an object belongs; ignored")
            return nil
        }
    }

    mutating func array(_ value: JSONValue?, _ path: String) -> [JSONValue] {
        switch value {
        case .array(let array): return array
        case nil, .null: return []
        default:
            note("\(path): \(Self.kind(value)) where an array belongs; ignored")
            return []
        }
    }

    /// At most `EventSize.maxTextScalars` scalars: a 4 MiB `fail_reason` must not be copied into every event.
    static func bounded(_ text: String) -> String {
        let scalars = text.unicodeScalars
        guard scalars.count > EventSize.maxTextScalars else { return text }
        var cut = String.UnicodeScalarView(scalars.prefix(EventSize.maxTextScalars - 1))
        cut.append("…")
        return String(cut)
    }

    private static func kind(_ value: JSONValue?) -> String {
        switch value {
        case .bool: return "a boolean"
        case .number: return "a number"
        case .string: return "a string"
        case .array: return "an array"
        case .object: return "an object"
        case .null, nil: return "null"
        }
    }

    /// The value itself when it is short, for the log (never more than 40 characters, on one line).
    private static func describe(_ value: JSONValue?) -> String {
        switch value {
        case .number(let number): return String(number)
        case .string(let string):
            let flat = String(
                string.unicodeScalars.prefix(40).map { $0.value < 0x20 || $0.value == 0x7F ? "?" : Character($0) })
            return "\"\(flat)\(string.unicodeScalars.count > 40 ? "…" : "")\""
        default: return kind(value)
        }
    }
}
