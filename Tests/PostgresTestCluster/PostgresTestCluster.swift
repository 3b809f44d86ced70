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

    package static let binDirectory = "/usr/lib/postgresql/15/bin"

    /// The cluster of this process, started on first use.
    package static func shared() throws -> PostgresTestCluster {
        try sharedCluster.get()
    }

    private static let sharedCluster = Result { try PostgresTestCluster() }

    /// The cluster of this process and a fresh database in it, made on a Dispatch thread: starting the
    /// cluster (initdb, pg_ctl) and creating a database (psql) spawn processes and wait for them, which on
    /// the cooperative pool (two threads here) would stall every other test of the process meanwhile.
    package static func sharedWithDatabase() async throws -> (
        cluster: PostgresTestCluster, database: (url: String, user: String, password: String, database: String)
    ) {
        try await withCheckedThrowingContinuation { continuation in
            DispatchQueue.global().async {
                continuation.resume(
                    with: Result {
                        let cluster = try shared()
                        return (cluster, try cluster.makeDatabase())
                    })
            }
        }
    }

    private init() throws {
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
                        "-c listen_addresses=127.0.0.1 -p \(candidate) -c unix_socket_directories=\(directory) -c "
                            + "fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=200",
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

    /// Stops the server once the test process is gone (normal exit, crash or kill -9).
    private static func startWatchdog(directory: String) throws {
        let script = """
            while kill -0 \(getpid()) 2>/dev/null; do sleep 0.5; done
            runuser -u postgres -- \(binDirectory)/pg_ctl -D '\(directory)/data' \\
                -m immediate -w -t 30 stop >/dev/null 2>&1
            rm -rf '\(directory)'
            """
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

package struct ClusterError: Error, CustomStringConvertible {
    package var description: String
    init(_ description: String) { self.description = description }
}
