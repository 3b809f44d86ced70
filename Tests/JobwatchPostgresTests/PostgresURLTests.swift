import JobwatchConfig
import Testing

@Suite struct PostgresURLTests {
    func parse(_ text: String) throws -> PostgresURL { try PostgresURL.parse(text).get() }
    func problem(_ text: String) -> String? {
        if case .failure(let error) = PostgresURL.parse(text) { return error.message }
        return nil
    }

    @Test func readsEveryPartAndDefaultsToVerifyFull() throws {
        let url = try parse("postgresql://jobwatch@db.internal:6543/jobs")
        #expect(url.host == "db.internal" && url.port == 6543 && url.user == "jobwatch" && url.database == "jobs")
        #expect(url.sslMode == .verifyFull)
        #expect(try parse("postgres://u@h/d").port == 5432)
        #expect(try parse("postgresql://u@h/d?sslmode=disable").sslMode == .disable)
        #expect(try parse("postgresql://u@h/d?sslmode=require").sslMode == .require)
        let pinned = try parse("postgresql://u@h/d?sslmode=verify-full&sslrootcert=/etc/ssl/db-ca.pem")
        #expect(pinned.sslRootCertificate == "/etc/ssl/db-ca.pem")
        let byAuthority = try parse("postgresql://u@10.0.0.5/d?sslmode=verify-ca&sslrootcert=/etc/ssl/db-ca.pem")
        #expect(byAuthority.sslMode == .verifyCA && byAuthority.sslRootCertificate == "/etc/ssl/db-ca.pem")
        #expect(byAuthority.description.hasSuffix("?sslmode=verify-ca&sslrootcert=/etc/ssl/db-ca.pem"))
        #expect(try parse("postgresql://u@[::1]:5433/d").host == "::1")
        #expect(PostgresURL.looksLikeURL("POSTGRESQL://u@h/d") && !PostgresURL.looksLikeURL("/var/lib/x.sqlite"))
    }

    @Test func aPasswordInTheURLIsRefusedWithoutEchoingIt() throws {
        let message = try #require(problem("postgresql://u:hunter2@h/d"))
        #expect(message.contains("database_password_file") && !message.contains("hunter2"))
        let garbled = try #require(problem("postgresql://u:hunter2@h:notaport/d"))
        #expect(!garbled.contains("hunter2"))
    }

    @Test func badURLsSayWhatIsWrong() throws {
        #expect(problem("postgresql://h/d")?.contains("no user") == true)
        #expect(problem("postgresql://u@h")?.contains("no database") == true)
        #expect(problem("postgresql://u@h/d?sslmode=prefer")?.contains("verify-full") == true)
        #expect(problem("postgresql://u@h/d?sslmode=disable&sslmode=require")?.contains("twice") == true)
        #expect(problem("postgresql://u@h/d?connect_timeout=3")?.contains("not supported") == true)
        #expect(problem("postgresql://u@h/d?sslmode=require&sslrootcert=/ca.pem")?.contains("verify-full") == true)
        #expect(problem("postgresql://u@h/d?sslmode=verify-full&sslrootcert=ca.pem")?.contains("absolute") == true)
        #expect(problem("postgresql://u@h:0/d")?.contains("port") == true)
    }

    @Test func theDescriptionIsSafeToLog() throws {
        #expect(
            try parse("postgresql://jobwatch@db:5432/jobwatch").description
                == "postgresql://jobwatch@db:5432/jobwatch?sslmode=verify-full")
    }
}
