import Foundation

/// A throwaway certificate authority for the TLS tests, made with the `openssl` command line: a CA
/// certificate (its PEM file is what a test passes as `sslrootcert=`) and server certificates it signs for
/// the names and addresses a test chooses. Everything lives in one temporary directory, removed with the
/// cluster that uses it (or when the test process ends).
package struct TestCertificateAuthority: Sendable {
    /// The directory holding the CA's key and certificate and the server certificates it issued.
    package let directory: String
    /// The CA certificate (PEM).
    package var certificateFile: String { "\(directory)/ca.crt" }
    private var keyFile: String { "\(directory)/ca.key" }

    static let openssl = "/usr/bin/openssl"

    /// The CA of this process, made on first use; the one `PostgresTestCluster.sharedTLS()` trusts.
    package static func shared() throws -> TestCertificateAuthority {
        try sharedAuthority.get()
    }

    private static let sharedAuthority = Result { try TestCertificateAuthority() }

    /// A new CA named `name` (its subject's CN), valid for two days.
    package init(name: String = "jobwatch test CA") throws {
        guard FileManager.default.isExecutableFile(atPath: Self.openssl) else {
            throw ClusterError("\(Self.openssl) is missing: install openssl; the TLS tests make certificates with it")
        }
        directory = try PostgresTestCluster.run("/bin/mktemp", ["-d", "/tmp/jobwatch-ca-XXXXXXXX"])
            .trimmingCharacters(in: .whitespacesAndNewlines)
        try PostgresTestCluster.removeWhenProcessEnds(directory)
        _ = try PostgresTestCluster.run(
            Self.openssl,
            [
                "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
                "-keyout", keyFile, "-out", certificateFile, "-days", "2", "-subj", "/CN=\(name)",
                "-addext", "basicConstraints=critical,CA:TRUE", "-addext", "keyUsage=critical,keyCertSign,cRLSign",
            ])
    }

    /// A server certificate and its key signed by this CA, with these DNS names and IP addresses as subject
    /// alternative names; written as `<prefix>.crt` and `<prefix>.key` in this CA's directory.
    package func issueServerCertificate(
        prefix: String, dnsNames: [String], ipAddresses: [String]
    ) throws -> (certificate: String, key: String) {
        let certificate = "\(directory)/\(prefix).crt"
        let key = "\(directory)/\(prefix).key"
        let request = "\(directory)/\(prefix).csr"
        let extensions = "\(directory)/\(prefix).ext"
        let names = dnsNames.map { "DNS:\($0)" } + ipAddresses.map { "IP:\($0)" }
        try """
        subjectAltName=\(names.joined(separator: ","))
        basicConstraints=critical,CA:FALSE
        keyUsage=critical,digitalSignature,keyEncipherment
        extendedKeyUsage=serverAuth

        """.write(toFile: extensions, atomically: true, encoding: .utf8)
        _ = try PostgresTestCluster.run(
            Self.openssl,
            [
                "req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes", "-keyout", key,
                "-out", request, "-subj", "/CN=\(dnsNames.first ?? ipAddresses.first ?? "server")",
            ])
        _ = try PostgresTestCluster.run(
            Self.openssl,
            [
                "x509", "-req", "-in", request, "-CA", certificateFile, "-CAkey", keyFile,
                "-set_serial", "\(UInt32.random(in: 1...UInt32.max))", "-days", "2", "-out", certificate,
                "-extfile", extensions,
            ])
        return (certificate, key)
    }

    /// Removes the CA's directory.
    package func remove() {
        try? FileManager.default.removeItem(atPath: directory)
    }
}
