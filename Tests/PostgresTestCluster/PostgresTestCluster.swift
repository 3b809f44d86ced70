import Foundation

/// A private PostgreSQL 15 cluster for the tests: `initdb` and `pg_ctl` run as the `postgres` user (via
/// `runuser`), the data directory is a fresh temporary directory, the server listens on 127.0.0.1 at a random
/// free port with its Unix socket in that directory. One cluster serves a whole test process (each test takes
/// its own database); a watchdog stops it and removes the directory when the test process ends, however it
/// ends. A missing server is a failure, never a skip.
package final class PostgresTestCluster: Sendable {
    package let port: Int
    package let directory: String
    /// The superuser's password (`postgres`); host connections need SCRAM.
    package let superuserPassword: String
    /// The server's TLS setup; nil: the server speaks plain TCP only.
    package let tls: ClusterTLS?

    package static let binDirectory = "/usr/lib/postgresql/15/bin"

    /// The cluster of this process, started on first use: plain TCP (the tests use `sslmode=disable`).
    package static func shared() throws -> PostgresTestCluster {
        try sharedCluster.get()
    }

    /// A second cluster of this process, started on first use, that speaks TLS only (`ssl=on`, pg_hba
    /// `hostssl`: a plain connection is refused) with a certificate for `localhost` and `127.0.0.1` signed
    /// by `TestCertificateAuthority.shared()`.
    package static func sharedTLS() throws -> PostgresTestCluster {
        try sharedTLSCluster.get()
    }

    /// The cluster of this process and a fresh database in it, made on a Dispatch thread: starting the
    /// cluster (initdb, pg_ctl) and creating a database (psql) spawn processes and wait for them, which on
    /// the cooperative pool (two threads here) would stall every other test of the process meanwhile.
    /// Runs blocking set-up (starting a cluster, `psql`) on a Dispatch thread, not the cooperative pool.
    package static func offPool<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
        try await withCheckedThrowingContinuation { continuation in
            DispatchQueue.global().async { continuation.resume(with: Result { try body() }) }
        }
    }

    /// `pick` names the cluster (the shared plain one unless told).
    package static func sharedWithDatabase(
        _ pick: @escaping @Sendable () throws -> PostgresTestCluster = { try shared() }
    ) async throws -> (
        cluster: PostgresTestCluster, database: (url: String, user: String, password: String, database: String)
    ) {
        try await withCheckedThrowingContinuation { continuation in
            DispatchQueue.global().async {
                continuation.resume(
                    with: Result {
                        let cluster = try pick()
                        return (cluster, try cluster.makeDatabase())
                    })
            }
        }
    }

    private static let sharedCluster = Result { try PostgresTestCluster(tls: nil) }
    private static let sharedTLSCluster = Result {
        let authority = try TestCertificateAuthority.shared()
        let issued = try authority.issueServerCertificate(
            prefix: "loopback", dnsNames: ["localhost"], ipAddresses: ["127.0.0.1"])
        return try PostgresTestCluster(
            tls: ClusterTLS(certificate: issued.certificate, key: issued.key, onlyTLS: true))
    }

    /// A cluster of the caller's own (for a server certificate no other test should see, or the benchmark);
    /// `stop()` it at the end (the watchdog stops it when this process ends in any case). `durable`: the
    /// server writes and flushes its WAL as in production (`fsync`, full-page writes), only the commit does
    /// not wait for the flush (`synchronous_commit=off`, as SQLite's WAL with `synchronous=NORMAL`); the
    /// tests' clusters skip every flush.
    package static func start(tls: ClusterTLS?, durable: Bool = false) throws -> PostgresTestCluster {
        try PostgresTestCluster(tls: tls, durable: durable)
    }

    /// The server's main process (its children are the sessions), for measuring its CPU.
    package var postmasterPID: Int32? {
        let text = try? String(contentsOfFile: "\(directory)/data/postmaster.pid", encoding: .utf8)
        return text.flatMap { Int32($0.split(separator: "\n").first ?? "") }
    }

    private init(tls: ClusterTLS?, durable: Bool = false) throws {
        self.tls = tls
        for tool in ["initdb", "pg_ctl", "postgres"]
        where !FileManager.default.isExecutableFile(atPath: "\(Self.binDirectory)/\(tool)") {
            throw ClusterError(
                "\(Self.binDirectory)/\(tool) is missing: install PostgreSQL 15 (scripts/install-deps.sh does)")
        }
        guard
            FileManager.default.isExecutableFile(atPath: "/usr/sbin/runuser")
                || FileManager.default.isExecutableFile(atPath: "/sbin/runuser")
        else {
            throw ClusterError(
                "runuser is missing (util-linux); the tests start PostgreSQL as the postgres user with it")
        }
        directory = try Self.run("/bin/mktemp", ["-d", "/tmp/jobwatch-pg-XXXXXXXX"]).trimmingCharacters(
            in: .whitespacesAndNewlines)
        superuserPassword = UUID().uuidString
        let passwordFile = "\(directory)/pwfile"
        try superuserPassword.write(toFile: passwordFile, atomically: true, encoding: .utf8)
        _ = try Self.run("/bin/chown", ["-R", "postgres:postgres", directory])
        _ = try Self.run("/bin/chmod", ["0700", directory])
        try Self.asPostgres(
            "initdb",
            [
                "-D", "\(directory)/data", "-U", "postgres", "--pwfile=\(passwordFile)", "--auth-host=scram-sha-256",
                "--auth-local=trust", "-E", "UTF8", "--locale=C.UTF-8", "--no-sync",
            ])
        let flushing = durable ? "-c fsync=on -c full_page_writes=on" : "-c fsync=off -c full_page_writes=off"
        var serverOptions =
            "-c listen_addresses=127.0.0.1 -c unix_socket_directories=\(directory) \(flushing) "
            + "-c synchronous_commit=off -c max_connections=200"
        if let tls {
            serverOptions += try Self.installTLS(tls, directory: directory)
        }
        var started: Int?
        var lastError: Error?
        // The port is free when chosen; another process may take it before the server binds it: try again.
        for _ in 1...5 {
            let candidate = try Self.freePort()
            do {
                try Self.runDetached(
                    [
                        "/usr/sbin/runuser", "-u", "postgres", "--", "\(Self.binDirectory)/pg_ctl", "-D",
                        "\(directory)/data", "-l", "\(directory)/server.log", "-w", "-t", "60", "-o",
                        "-p \(candidate) \(serverOptions)",
                        "start",
                    ], output: "\(directory)/pg_ctl.out")
                started = candidate
                break
            } catch {
                lastError = error
            }
        }
        guard let started else {
            let log = (try? String(contentsOfFile: "\(directory)/server.log", encoding: .utf8)) ?? ""
            throw ClusterError("PostgreSQL did not start: \(lastError.map { "\($0)" } ?? "") \(log.suffix(2000))")
        }
        port = started
        try Self.startWatchdog(directory: directory)
    }

    /// Copies the certificate and key where the server reads them (the key owned by postgres, mode 0600, as
    /// PostgreSQL requires) and, for `onlyTLS`, rewrites pg_hba.conf so that TCP logins need TLS; returns
    /// the server options that turn TLS on.
    private static func installTLS(_ tls: ClusterTLS, directory: String) throws -> String {
        let certificate = "\(directory)/server.crt"
        let key = "\(directory)/server.key"
        _ = try run("/bin/cp", [tls.certificate, certificate])
        _ = try run("/bin/cp", [tls.key, key])
        _ = try run("/bin/chown", ["postgres:postgres", certificate, key])
        _ = try run("/bin/chmod", ["0600", key])
        if tls.onlyTLS {
            let rules = "\(directory)/data/pg_hba.conf"
            try """
            local   all   all                  trust
            hostssl all   all   127.0.0.1/32   scram-sha-256

            """.write(toFile: rules, atomically: true, encoding: .utf8)
            _ = try run("/bin/chown", ["postgres:postgres", rules])
            _ = try run("/bin/chmod", ["0600", rules])
        }
        return " -c ssl=on -c ssl_cert_file=\(certificate) -c ssl_key_file=\(key)"
    }

    /// Stops the server now and removes its directory (for a cluster from `start(tls:)`).
    package func stop() {
        _ = try? Self.asPostgres("pg_ctl", ["-D", "\(directory)/data", "-m", "immediate", "-w", "-t", "30", "stop"])
        try? FileManager.default.removeItem(atPath: directory)
    }

    /// Removes `path` once the test process is gone (normal exit, crash or kill -9).
    static func removeWhenProcessEnds(_ path: String) throws {
        try startBackground(
            """
            while kill -0 \(getpid()) 2>/dev/null; do sleep 0.5; done
            rm -rf '\(path)'
            """)
    }

    /// Stops the server once the test process is gone (normal exit, crash or kill -9).
    private static func startWatchdog(directory: String) throws {
        try startBackground(
            """
            while kill -0 \(getpid()) 2>/dev/null; do sleep 0.5; done
            if [ -d '\(directory)/data' ]; then
                runuser -u postgres -- \(binDirectory)/pg_ctl -D '\(directory)/data' \\
                    -m immediate -w -t 30 stop >/dev/null 2>&1
            fi
            rm -rf '\(directory)'
            """)
    }

    /// Runs a shell script in its own session, detached from this process's descriptors.
    private static func startBackground(_ script: String) throws {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/bin/bash")
        process.arguments = [
            "-c", closeInheritedDescriptors + "exec /usr/bin/setsid /bin/sh -c \"$1\"", "bash", script,
        ]
        process.standardInput = FileHandle.nullDevice
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
    }

    /// Long-lived children (the server, the watchdog) must not keep copies of this process's other
    /// descriptors: a pipe another test reads to its end would never end.
    private static let closeInheritedDescriptors =
        "for fd in /proc/$$/fd/*; do n=${fd##*/}; if [ \"$n\" -gt 2 ]; then eval \"exec $n>&-\"; fi; done; "

    /// Runs a command whose children outlive it (`pg_ctl start`): output to a file, not a pipe, and only
    /// the standard descriptors inherited.
    private static func runDetached(_ command: [String], output: String) throws {
        FileManager.default.createFile(atPath: output, contents: nil)
        guard let log = FileHandle(forWritingAtPath: output) else { throw ClusterError("cannot write \(output)") }
        defer { try? log.close() }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/bin/bash")
        process.arguments = ["-c", closeInheritedDescriptors + "exec \"$@\"", "bash"] + command
        process.standardInput = FileHandle.nullDevice
        process.standardOutput = log
        process.standardError = log
        try process.run()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else {
            let text = (try? String(contentsOfFile: output, encoding: .utf8)) ?? ""
            throw ClusterError("\(command.joined(separator: " ")) exited \(process.terminationStatus): \(text)")
        }
    }

    /// Creates a fresh database owned by a fresh login role with a password; returns its URL and the password.
    package func makeDatabase() throws -> (url: String, user: String, password: String, database: String) {
        let name = "t_" + UUID().uuidString.replacingOccurrences(of: "-", with: "").prefix(16).lowercased()
        let password = UUID().uuidString
        try psql("CREATE ROLE \(name) LOGIN PASSWORD '\(password)'")
        try psql("CREATE DATABASE \(name) OWNER \(name)")
        return ("postgresql://\(name)@127.0.0.1:\(port)/\(name)?sslmode=disable", name, password, name)
    }

    /// Runs SQL as the superuser over the Unix socket (trust), for setting up and inspecting tests.
    @discardableResult
    package func psql(_ sql: String, database: String = "postgres") throws -> String {
        try Self.asPostgres(
            "psql",
            [
                "-h", directory, "-p", "\(port)", "-d", database, "-X", "-q", "-A", "-t", "-v", "ON_ERROR_STOP=1", "-c",
                sql,
            ],
        )
    }

    // MARK: - Processes

    @discardableResult
    static func asPostgres(_ tool: String, _ arguments: [String], bin: String = binDirectory) throws -> String {
        try run("/usr/sbin/runuser", ["-u", "postgres", "--", "\(bin)/\(tool)"] + arguments)
    }

    static func run(_ executable: String, _ arguments: [String]) throws -> String {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        process.currentDirectoryURL = URL(fileURLWithPath: "/tmp")
        let out = Pipe(), err = Pipe()
        process.standardOutput = out
        process.standardError = err
        process.standardInput = FileHandle.nullDevice
        try process.run()
        let output = out.fileHandleForReading.readDataToEndOfFile()
        let errors = err.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else {
            throw ClusterError(
                "\(executable) \(arguments.joined(separator: " ")) exited \(process.terminationStatus): "
                    + "\(String(decoding: errors, as: UTF8.self))"
            )
        }
        return String(decoding: output, as: UTF8.self)
    }

    /// A TCP port nobody listens on at the moment.
    package static func freePort() throws -> Int {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw ClusterError("socket() failed") }
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = 0
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
            }
        }
        guard bound == 0 else { throw ClusterError("bind() failed") }
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let named = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) }
        }
        guard named == 0 else { throw ClusterError("getsockname() failed") }
        return Int(UInt16(bigEndian: address.sin_port))
    }
}

/// How a test cluster speaks TLS.
package struct ClusterTLS: Sendable {
    /// The server's certificate and key (PEM files; copied into the cluster's directory).
    package var certificate: String
    package var key: String
    /// Only TLS logins over TCP (pg_hba `hostssl`): a plain connection is refused by the server.
    package var onlyTLS: Bool

    package init(certificate: String, key: String, onlyTLS: Bool) {
        self.certificate = certificate
        self.key = key
        self.onlyTLS = onlyTLS
    }
}

package struct ClusterError: Error, CustomStringConvertible {
    package var description: String
    init(_ description: String) { self.description = description }
}
