import JobwatchConfig
import JobwatchStore
import NIOSSL
import PostgresNIO

/// Turns a `PostgresURL` and the password into postgres-nio's client configuration.
package enum PostgresClientSettings {
    /// `connections`: the pool's size; the daemon sizes it from `max_in_flight`, the CLI needs one or two.
    package static func configuration(
        url: PostgresURL, password: String?, connections: Int
    ) throws -> PostgresClient.Configuration {
        var configuration = PostgresClient.Configuration(
            host: url.host, port: url.port, username: url.user, password: password, database: url.database,
            tls: try tls(url))
        configuration.options.maximumConnections = max(2, connections)
        configuration.options.minimumConnections = 0
        configuration.options.connectTimeout = .seconds(10)
        configuration.options.additionalStartupParameters = [("application_name", url.applicationName)]
        // A dead server or a lost route shows up within the keep-alive period on idle connections too.
        configuration.options.keepAliveBehavior = .init(frequency: .seconds(10))
        return configuration
    }

    static func tls(_ url: PostgresURL) throws -> PostgresClient.Configuration.TLS {
        guard let configuration = try tlsConfiguration(url) else { return .disable }
        return .require(configuration)
    }

    /// The same for a single connection (which takes a ready TLS context).
    static func connectionTLS(_ url: PostgresURL) throws -> PostgresConnection.Configuration.TLS {
        guard let configuration = try tlsConfiguration(url) else { return .disable }
        do {
            return .require(try NIOSSLContext(configuration: configuration))
        } catch {
            throw StoreError("cannot set up TLS for PostgreSQL: \(error)")
        }
    }

    /// nil: `sslmode=disable`.
    static func tlsConfiguration(_ url: PostgresURL) throws -> TLSConfiguration? {
        switch url.sslMode {
        case .disable:
            return nil
        case .require:
            var tls = TLSConfiguration.makeClientConfiguration()
            tls.certificateVerification = .none
            return tls
        case .verifyCA, .verifyFull:
            var tls = TLSConfiguration.makeClientConfiguration()
            tls.certificateVerification = url.sslMode == .verifyFull ? .fullVerification : .noHostnameVerification
            if let file = url.sslRootCertificate {
                do {
                    tls.trustRoots = .certificates(try NIOSSLCertificate.fromPEMFile(file))
                } catch {
                    throw StoreError(
                        "cannot read the certificate authorities in sslrootcert=\(file) (\(error)); give a "
                            + "readable PEM file"
                    )
                }
            }
            return tls
        }
    }
}
