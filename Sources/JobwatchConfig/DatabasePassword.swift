import Foundation

/// How `database_password` is given (`database_password`, `_file`, `_env`, `_credential`). Only a
/// PostgreSQL database needs it, and then every command does, so it is read when the database is opened,
/// not with the rest of the configuration (which operators must be able to load without the service's
/// credentials).
package struct DatabasePassword: Sendable, CustomStringConvertible {
    package enum Form: String, Sendable {
        case inline, file, env, credential
    }

    package var form: Form
    /// The password itself (inline), or the file, variable or credential name that holds it.
    package var reference: String
    /// Where it was configured, for messages: `config.yaml:3: database_password_file`.
    package var location: String

    package var description: String { form == .inline ? "inline" : "\(form.rawValue) \(reference)" }

    /// The password; a `ConfigError` naming the key when it cannot be read.
    package func read(environment: [String: String]) throws -> String {
        switch form {
        case .inline:
            return reference
        case .env:
            guard let value = environment[reference], !value.isEmpty else {
                throw ConfigError(
                    "\(location) names the environment variable \(reference), which is not set or empty; "
                        + "export it or give the password another way"
                )
            }
            return value
        case .file:
            return try Self.readFile(reference, location: location)
        case .credential:
            guard let directory = environment["CREDENTIALS_DIRECTORY"], !directory.isEmpty else {
                throw ConfigError(
                    "\(location) needs $CREDENTIALS_DIRECTORY, which systemd sets for LoadCredential=; run "
                        + "under systemd or use database_password_file"
                )
            }
            return try Self.readFile("\(directory)/\(reference)", location: location)
        }
    }

    private static func readFile(_ path: String, location: String) throws -> String {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw ConfigError(
                "\(location) names \(path), which does not exist or cannot be read; check the path and its permissions")
        }
        let value = String(decoding: data, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
        if value.isEmpty { throw ConfigError("\(location) names \(path), which is empty") }
        return value
    }
}
