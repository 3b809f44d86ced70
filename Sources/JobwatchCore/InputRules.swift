import Foundation

/// The rules user input must follow, shared by the CLI and the configuration. Each returns the problem
/// in words, or nil when the input is fine.
package enum InputRules {
    package static let maxJobIDLength = 128

    package static func jobIDProblem(_ id: String) -> String? {
        if id.isEmpty { return "the job id is empty" }
        if id.count > maxJobIDLength {
            return "the job id is \(id.count) characters long; at most \(maxJobIDLength) are allowed"
        }
        if id.contains(where: { $0.isWhitespace }) { return "the job id '\(id)' contains whitespace" }
        if id.contains("/") { return "the job id '\(id)' contains '/'" }
        if id.unicodeScalars.contains(where: { $0.value < 0x20 || $0.value == 0x7F }) {
            return "the job id contains control characters"
        }
        return nil
    }

    /// Project ids travel in the URL path and a signed header: the same rules as job ids.
    package static func projectIDProblem(_ id: String) -> String? {
        jobIDProblem(id).map { $0.replacingOccurrences(of: "job id", with: "project id") }
    }

    /// `K=V`: a key of letters, digits, `_`, `-`, `.`, `/` (at most 63), and any value without newlines.
    package static func parseLabel(_ text: String) -> (key: String, value: String)? {
        guard let equals = text.firstIndex(of: "=") else { return nil }
        let key = String(text[..<equals]), value = String(text[text.index(after: equals)...])
        guard !key.isEmpty, key.count <= 63,
            key.unicodeScalars.allSatisfy({ isLabelKeyScalar($0) }),
            !value.contains(where: { $0.isNewline })
        else { return nil }
        return (key, value)
    }

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
