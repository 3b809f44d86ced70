/// `process_percent` as jobwatch keeps it: a finite fraction in [0, 1], or unknown (nil).
///
/// Anything else the cloud (or an old database row) holds — NaN, ±infinity, negative numbers, numbers past
/// 1 — is unknown rather than clamped: a value outside the documented range says nothing reliable.
package enum ProgressFraction {
    /// The value when it is a finite fraction in [0, 1]; nil otherwise.
    package static func validated(_ value: Double?) -> Double? {
        guard let value, value.isFinite, value >= 0, value <= 1 else { return nil }
        return value
    }

    /// Whole percent, 0...100, for a value that may not have been validated.
    package static func percent(_ value: Double?) -> Int? {
        validated(value).map { Int(($0 * 100).rounded()) }
    }

    /// `42%`, or `-` when unknown.
    package static func text(_ value: Double?) -> String {
        percent(value).map { "\($0)%" } ?? "-"
    }
}
