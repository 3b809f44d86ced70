/// A secret value and where it came from; it prints as `<redacted>` wherever it is interpolated.
package struct Secret: Sendable, CustomStringConvertible, CustomDebugStringConvertible {
    package let value: String
    /// `inline`, `file PATH`, `env NAME` or `credential NAME`: safe to print.
    package let origin: String

    package init(value: String, origin: String) {
        self.value = value
        self.origin = origin
    }

    package var description: String { "<redacted>" }
    package var debugDescription: String { "<redacted>" }

    /// False when the configuration was loaded without reading this secret (see `SecretLoading`).
    package var isLoaded: Bool { !value.isEmpty }
}
