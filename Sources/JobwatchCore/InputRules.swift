import Foundation

/// The rules user input must follow, shared by the CLI and the configuration. Each returns the problem
/// in words, or nil when the input is fine.
package enum InputRules {
    package static let maxJobIDLength = 128

    /// Huawei job and project ids are hexadecimal strings or UUIDs; jobwatch accepts letters, digits, `-`,
    /// `_` and `.`, at most 128 of them, and not `.` or `..` alone (they would leave their URL path segment).
    package static func jobIDProblem(_ id: String) -> String? {
        idProblem(id, what: "job id")
    }

    /// Project ids travel in the URL path and a signed header: the same rules as job ids.
    package static func projectIDProblem(_ id: String) -> String? {
        idProblem(id, what: "project id")
    }

    private static func idProblem(_ id: String, what: String) -> String? {
        if id.isEmpty { return "the \(what) is empty" }
        if id.unicodeScalars.count > maxJobIDLength {
            return "the \(what) is \(id.unicodeScalars.count) characters long; at most \(maxJobIDLength) are allowed"
        }
        if let bad = id.unicodeScalars.first(where: { !isIDScalar($0) }) {
            return
                "the \(what) '\(printable(id))' contains \(describe(bad)); "
                + "ids have only letters, digits, '-', '_' and '.'"
        }
        if id.unicodeScalars.allSatisfy({ $0 == "." }) { return "the \(what) '\(id)' is not an id" }
        return nil
    }

    /// `K=V`: a key of letters, digits, `_`, `-`, `.`, `/` (at most 63), and a value of at most 256
    /// characters without control characters (line breaks, escape sequences).
    package static func parseLabel(_ text: String) -> (key: String, value: String)? {
        guard let equals = text.firstIndex(of: "=") else { return nil }
        let key = String(text[..<equals]), value = String(text[text.index(after: equals)...])
        guard !key.isEmpty, key.count <= 63,
            key.unicodeScalars.allSatisfy({ isLabelKeyScalar($0) }),
            value.unicodeScalars.count <= maxLabelValueLength,
            !value.unicodeScalars.contains(where: isControl)
        else { return nil }
        return (key, value)
    }

    package static let maxLabelValueLength = 256

    /// C0 and C1 control characters and DEL.
    package static func isControl(_ scalar: Unicode.Scalar) -> Bool {
        scalar.properties.generalCategory == .control
    }

    /// The text with every control character written as `\u{…}`, for output (a stored label from before
    /// the rules, a value quoted in an error message).
    package static func printable(_ text: String) -> String {
        guard text.unicodeScalars.contains(where: isControl) else { return text }
        var result = ""
        for scalar in text.unicodeScalars {
            if isControl(scalar) {
                result += "\\u{" + String(scalar.value, radix: 16) + "}"
            } else {
                result.unicodeScalars.append(scalar)
            }
        }
        return result
    }

    private static func describe(_ scalar: Unicode.Scalar) -> String {
        if scalar.properties.isWhitespace && !isControl(scalar) { return "whitespace" }
        if isControl(scalar) { return "a control character" }
        return "'\(scalar)'"
    }

    private static func isIDScalar(_ s: Unicode.Scalar) -> Bool { isNameScalar(s) }

    /// Names of accounts and sinks: letters, digits, `_`, `-`, `.`.
    package static func nameProblem(_ name: String) -> String? {
        if name.isEmpty { return "the name is empty" }
        if !name.unicodeScalars.allSatisfy({ isNameScalar($0) }) {
            return "'\(name)' may only contain letters, digits, '_', '-' and '.'"
        }
        return nil
    }

    private static func isNameScalar(_ s: Unicode.Scalar) -> Bool {
        (s >= "a" && s <= "z") || (s >= "A" && s <= "Z") || (s >= "0" && s <= "9") || s == "_" || s == "-" || s == "."
    }

    private static func isLabelKeyScalar(_ s: Unicode.Scalar) -> Bool { isNameScalar(s) || s == "/" }
}
