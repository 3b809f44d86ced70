import Foundation
import JobwatchCore

/// JSON as the cloud writes it: strict first, then once more with trailing commas removed
/// (the IMS documentation's own example has one inside `entities`).
enum TolerantJSON {
    /// Deeper nesting than this is refused before parsing: job answers nest a few levels, and a recursive
    /// parser must not be handed a stack-exhausting `[[[[…`.
    static let maxDepth = 64

    static func parse(_ bytes: [UInt8]) -> JSONValue? {
        guard depthIsWithinLimit(bytes) else { return nil }
        if let value = JSONParser.parse(bytes) { return value }
        let repaired = removingTrailingCommas(bytes)
        guard repaired.count != bytes.count else { return nil }
        return JSONParser.parse(repaired)
    }

    /// Drops every `,` outside a string that is followed (after whitespace) by `}` or `]`.
    static func removingTrailingCommas(_ bytes: [UInt8]) -> [UInt8] {
        var result: [UInt8] = []
        result.reserveCapacity(bytes.count)
        var inString = false
        var escaped = false
        for (index, byte) in bytes.enumerated() {
            if inString {
                if escaped {
                    escaped = false
                } else if byte == UInt8(ascii: "\\") {
                    escaped = true
                } else if byte == UInt8(ascii: "\"") {
                    inString = false
                }
            } else if byte == UInt8(ascii: "\"") {
                inString = true
            } else if byte == UInt8(ascii: ","), closesAfterWhitespace(bytes, from: index + 1) {
                continue
            }
            result.append(byte)
        }
        return result
    }

    static func depthIsWithinLimit(_ bytes: [UInt8]) -> Bool {
        var depth = 0
        var inString = false
        var escaped = false
        for byte in bytes {
            if inString {
                if escaped {
                    escaped = false
                } else if byte == UInt8(ascii: "\\") {
                    escaped = true
                } else if byte == UInt8(ascii: "\"") {
                    inString = false
                }
                continue
            }
            switch byte {
            case UInt8(ascii: "\""): inString = true
            case UInt8(ascii: "["), UInt8(ascii: "{"):
                depth += 1
                if depth > maxDepth { return false }
            case UInt8(ascii: "]"), UInt8(ascii: "}"): depth -= 1
            default: break
            }
        }
        return true
    }

    private static func closesAfterWhitespace(_ bytes: [UInt8], from start: Int) -> Bool {
        var index = start
        while index < bytes.count {
            switch bytes[index] {
            case UInt8(ascii: " "), UInt8(ascii: "\t"), UInt8(ascii: "\n"), UInt8(ascii: "\r"): index += 1
            case UInt8(ascii: "}"), UInt8(ascii: "]"): return true
            default: return false
            }
        }
        return false
    }
}
