import Foundation
import JobwatchConfig
import JobwatchPostgres
import JobwatchStore
import PostgresTestCluster
import Testing

/// `sslmode` against a PostgreSQL server that really speaks TLS: the test cluster runs with `ssl=on`, a
/// certificate for `localhost` and `127.0.0.1` signed by a throwaway CA, and pg_hba `hostssl` only.
@Suite(.serialized) struct PostgresTLSTests {
    /// A fresh database on `cluster`, and the URL to reach it at `host` with these URL parameters.
    struct TLSDatabase: Sendable {
        let cluster: PostgresTestCluster
        let made: (url: String, user: String, password: String, database: String)

        init(_ cluster: PostgresTestCluster) throws {
            self.cluster = cluster
            made = try cluster.makeDatabase()
        }

        func url(host: String = "127.0.0.1", _ parameters: String) throws -> PostgresURL {
            try PostgresURL.parse("postgresql://\(made.user)@\(host):\(cluster.port)/\(made.database)?\(parameters)")
                .get()
        }

        func open(host: String = "127.0.0.1", _ parameters: String) async throws -> PostgresJobStore {
            try await PostgresJobStore.open(
                url: try url(host: host, parameters), password: made.password, timeout: .seconds(20))
        }

        /// The one-line message a failed open gives (nil: it opened).
        func failure(host: String = "127.0.0.1", _ parameters: String) async throws -> String? {
            do {
                let store = try await open(host: host, parameters)
                await store.close()
                return nil
            } catch let error as StoreError {
                #expect(!error.message.contains("\n"), "one line: \(error.message)")
                #expect(!error.message.contains(made.password))
                return error.message
            }
        }
    }

    var authority: TestCertificateAuthority { get throws { try TestCertificateAuthority.shared() } }

    @Test func requireGivesATLSSessionTheServerSeesAsOne() async throws {
        let database = try await PostgresTestCluster.offPool { try TLSDatabase(try PostgresTestCluster.sharedTLS()) }
        let store = try await database.open("sslmode=require")
        let version = try await store.sessionTLSVersion()
        await store.close()
        #expect(version?.hasPrefix("TLSv1.") == true, "pg_stat_ssl: \(version ?? "no TLS")")
        // Plain TCP is refused by this server, with a hint at sslmode rather than at the password.
        let refused = try #require(try await database.failure("sslmode=disable"))
        #expect(refused.contains("sslmode=verify-full") && refused.contains("TLS"), "\(refused)")
        #expect(!refused.contains("database_password"), "\(refused)")
    }

    @Test func verifyFullWithTheAuthorityConnectsByAddressAndByName() async throws {
        let database = try await PostgresTestCluster.offPool { try TLSDatabase(try PostgresTestCluster.sharedTLS()) }
        let root = try authority.certificateFile
        for host in ["127.0.0.1", "localhost"] {
            let store = try await database.open(host: host, "sslmode=verify-full&sslrootcert=\(root)")
            // The store works over it: a registration reads back, and the pool's sessions are TLS too.
            let registration = Registration(
                jobID: "tls-\(host)", api: .ims, account: "default", region: nil, projectID: nil, labels: [:],
                sinks: nil, deadlineAtMillis: 9_000_000)
            _ = try await store.register(registration, sinks: [], nowMillis: 1000)
            #expect(try await store.jobs(withJobID: "tls-\(host)", api: nil).count == 1)
            #expect(try await store.sessionTLSVersion() != nil)
            await store.close()
        }
        #expect(try await database.failure("sslmode=verify-ca&sslrootcert=\(root)") == nil)
    }

    @Test func anUntrustedAuthorityIsRefusedInOneLine() async throws {
        let database = try await PostgresTestCluster.offPool { try TLSDatabase(try PostgresTestCluster.sharedTLS()) }
        // The system's authorities do not know the test CA.
        let system = try #require(try await database.failure("sslmode=verify-full"))
        #expect(system.contains("certificate") && system.contains("sslrootcert"), "\(system)")
        // Nor does another CA.
        let stranger = try TestCertificateAuthority(name: "another CA")
        defer { stranger.remove() }
        let other = try #require(
            try await database.failure("sslmode=verify-full&sslrootcert=\(stranger.certificateFile)"))
        #expect(other.contains("certificate") && other.contains(stranger.certificateFile), "\(other)")
        // An unreadable sslrootcert says which file.
        let missing = try #require(try await database.failure("sslmode=verify-full&sslrootcert=/nonexistent/ca.pem"))
        #expect(missing.contains("/nonexistent/ca.pem"), "\(missing)")
    }

    @Test func verifyFullRefusesACertificateForAnotherHostNameAndVerifyCADoesNot() async throws {
        let authority = try self.authority
        let issued = try authority.issueServerCertificate(
            prefix: "elsewhere", dnsNames: ["db.elsewhere.test"], ipAddresses: ["192.0.2.10"])
        let cluster = try PostgresTestCluster.start(
            tls: ClusterTLS(certificate: issued.certificate, key: issued.key, onlyTLS: true))
        defer { cluster.stop() }
        let database = try TLSDatabase(cluster)
        let root = authority.certificateFile
        for host in ["127.0.0.1", "localhost"] {
            let message = try #require(
                try await database.failure(host: host, "sslmode=verify-full&sslrootcert=\(root)"), "\(host)")
            #expect(message.contains("does not name \(host)") && message.contains("verify-full"), "\(message)")
        }
        // verify-ca checks the authority only: the same server is accepted.
        let store = try await database.open("sslmode=verify-ca&sslrootcert=\(root)")
        #expect(try await store.sessionTLSVersion() != nil)
        await store.close()
    }

    @Test func requireAgainstAServerWithoutTLSIsRefused() async throws {
        let database = try await PostgresTestCluster.offPool { try TLSDatabase(try PostgresTestCluster.shared()) }
        let message = try #require(try await database.failure("sslmode=require"))
        #expect(message.contains("does not offer TLS"), "\(message)")
        let plain = try await database.open("sslmode=disable")
        #expect(try await plain.sessionTLSVersion() == nil)
        await plain.close()
    }
}
