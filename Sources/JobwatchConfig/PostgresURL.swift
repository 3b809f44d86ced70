import Foundation

/// A `postgresql://user@host:port/database?sslmode=…` database location (CONTRACT §7).
///
/// The URL never carries the password: it is printed by `config check`, logged at start-up and shown in error
/// messages, so the password comes from `database_password` (`_file`, `_env`, `_credential`) instead.
package struct PostgresURL: Sendable, Equatable, CustomStringConvertible {
    package enum SSLMode: String, Sendable, CaseIterable {
        /// Plain TCP: only for loopback or a trusted private network.
        case disable
        /// TLS, without checking the server's certificate (protects against eavesdropping, not impersonation).
        case require
        /// TLS, the certificate checked against the system's (or `sslrootcert`'s) authorities, not the host name
        /// (for a server reached by an address its certificate does not name; the authority must be private).
        case verifyCA = "verify-ca"
        /// TLS, the certificate checked against the system's (or `sslrootcert`'s) authorities and the host name.
        case verifyFull = "verify-full"
    }

    package var host: String
    package var port: Int
    package var user: String
    package var database: String
    package var sslMode: SSLMode
    /// A PEM file of the authorities that sign the server's certificate (`sslrootcert=`); nil: the system's.
    package var sslRootCertificate: String?
    /// `application_name=` shown in `pg_stat_activity`.
    package var applicationName: String

    package static let defaultPort = 5432
    package static let schemes = ["postgresql", "postgres"]

    /// Whether `text` is meant as a PostgreSQL URL rather than a SQLite path.
    package static func looksLikeURL(_ text: String) -> Bool {
        schemes.contains { text.lowercased().hasPrefix("\($0)://") }
    }

    /// Parses the URL; the error is one sentence saying what is wrong and how to write it.
    package static func parse(_ text: String) -> Result<PostgresURL, PostgresURLError> {
        let example = "write it like postgresql://jobwatch@db.example.com:5432/jobwatch?sslmode=verify-full"
        guard looksLikeURL(text), let components = URLComponents(string: text) else {
            return .failure(PostgresURLError("'\(redacted(text))' is not a PostgreSQL URL; \(example)"))
        }
        if components.password != nil {
            return .failure(
                PostgresURLError(
                    "the PostgreSQL URL must not carry a password (it would be printed and logged); remove it "
                        + "and set database_password_file, database_password_env or database_password_credential"
                ))
        }
        guard let host = components.host, !host.isEmpty else {
            return .failure(PostgresURLError("the PostgreSQL URL names no host; \(example)"))
        }
        guard let user = components.user, !user.isEmpty else {
            return .failure(PostgresURLError("the PostgreSQL URL names no user (user@host); \(example)"))
        }
        let port = components.port ?? defaultPort
        guard (1...65535).contains(port) else {
            return .failure(PostgresURLError("the PostgreSQL URL's port \(port) is out of range 1-65535"))
        }
        let database = String(components.path.drop { $0 == "/" })
        guard !database.isEmpty, !database.contains("/") else {
            return .failure(PostgresURLError("the PostgreSQL URL names no database (…/DATABASE); \(example)"))
        }
        var url = PostgresURL(
            host: host.hasPrefix("[") ? String(host.dropFirst().dropLast()) : host, port: port, user: user,
            database: database, sslMode: .verifyFull, sslRootCertificate: nil, applicationName: "jobwatch")
        var seen: Set<String> = []
        for item in components.queryItems ?? [] {
            guard seen.insert(item.name).inserted else {
                return .failure(PostgresURLError("the PostgreSQL URL gives \(item.name) twice"))
            }
            let value = item.value ?? ""
            switch item.name {
            case "sslmode":
                guard let mode = SSLMode(rawValue: value) else {
                    let known = SSLMode.allCases.map(\.rawValue).joined(separator: ", ")
                    return .failure(
                        PostgresURLError(
                            "sslmode '\(value)' is not supported; use one of \(known) (verify-full in production)"))
                }
                url.sslMode = mode
            case "sslrootcert":
                guard value.hasPrefix("/") else {
                    return .failure(PostgresURLError("sslrootcert must be an absolute path to a PEM file"))
                }
                url.sslRootCertificate = value
            case "application_name":
                guard !value.isEmpty, value.count <= 63 else {
                    return .failure(PostgresURLError("application_name must have 1 to 63 characters"))
                }
                url.applicationName = value
            default:
                return .failure(
                    PostgresURLError(
                        "the PostgreSQL URL parameter '\(item.name)' is not supported (known: sslmode, "
                            + "sslrootcert, application_name)"
                    ))
            }
        }
        if url.sslRootCertificate != nil && url.sslMode != .verifyFull && url.sslMode != .verifyCA {
            return .failure(PostgresURLError("sslrootcert is only used with sslmode=verify-full or verify-ca"))
        }
        return .success(url)
    }

    /// The URL as the user wrote it, without any password: safe for logs and messages.
    package var description: String {
        let hostText = host.contains(":") ? "[\(host)]" : host
        var text = "postgresql://\(user)@\(hostText):\(port)/\(database)?sslmode=\(sslMode.rawValue)"
        if let sslRootCertificate { text += "&sslrootcert=\(sslRootCertificate)" }
        return text
    }

    /// Whatever follows `scheme://` up to `@` is dropped from messages: it might hold a password.
    private static func redacted(_ text: String) -> String {
        guard let at = text.firstIndex(of: "@"), let scheme = text.range(of: "://"), scheme.upperBound < at else {
            return text
        }
        return text[..<scheme.upperBound] + "…" + text[at...]
    }
}

package struct PostgresURLError: Error, Sendable, CustomStringConvertible {
    package var message: String
    init(_ message: String) { self.message = message }
    package var description: String { message }
}
