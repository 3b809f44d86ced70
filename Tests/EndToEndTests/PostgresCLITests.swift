import Foundation
import JobwatchCore
import JobwatchSimulator
import JobwatchTestKit
import PostgresTestCluster
import Synchronization
import Testing

/// The CLI on PostgreSQL across the process boundary, side by side with SQLite: the same configuration,
/// the same jobs in the same simulated cloud, one daemon on each store; every command's output and exit
/// code must be the same on both (CONTRACT §7: "same records, events and CLI output").
@Suite(.serialized) struct PostgresCLITests {
    /// Fields that depend on when a daemon polled, not on what it saw.
    static let timing: Set<String> = ["polls", "last_polled_at", "next_poll_at", "registered_at"]

    func json(_ text: String) -> Any? { try? JSONSerialization.jsonObject(with: Data(text.utf8)) }

    /// JSON with the timing fields removed, re-encoded with sorted keys (so two stores compare as text).
    func withoutTiming(_ value: Any) throws -> String {
        func strip(_ value: Any) -> Any {
            if let object = value as? [String: Any] {
                return object.filter { !Self.timing.contains($0.key) }.mapValues(strip)
            }
            if let array = value as? [Any] { return array.map(strip) }
            return value
        }
        let data = try JSONSerialization.data(
            withJSONObject: strip(value), options: [.sortedKeys, .prettyPrinted, .fragmentsAllowed])
        return String(decoding: data, as: UTF8.self)
    }

    /// The first line where two texts differ (nil: the same), for a readable failure.
    func firstDifference(_ a: String, _ b: String) -> String? {
        let left = a.split(separator: "\n", omittingEmptySubsequences: false)
        let right = b.split(separator: "\n", omittingEmptySubsequences: false)
        for index in 0..<max(left.count, right.count) {
            let l = index < left.count ? String(left[index]) : "<end>"
            let r = index < right.count ? String(right[index]) : "<end>"
            if l != r { return "line \(index + 1): \(l) | \(r)" }
        }
        return nil
    }

    /// `list`'s table with its POLLS column (the 8th) dropped from the rows; the header is kept as it is.
    func listTable(_ text: String) -> [String] {
        let lines = text.split(separator: "\n").map(String.init)
        return lines.prefix(1)
            + lines.dropFirst().map { line in
                var fields = line.split(whereSeparator: \.isWhitespace).map(String.init)
                if fields.count > 7 { fields.remove(at: 7) }
                return fields.joined(separator: " ")
            }
    }

    @Test func everyCommandPrintsTheSameOnPostgreSQLAsOnSQLiteWhileADaemonPolls() async throws {
        let cloud = try await HACloud()
        defer { Task { await cloud.shutdown() } }
        let postgres = try CLIStore.postgres(cloud, requestsPerSecond: 60)
        let sqlite = try CLIStore.sqlite(cloud, requestsPerSecond: 60)
        let stores = [sqlite, postgres]
        let daemons = try stores.map { try $0.daemon() }
        defer { for daemon in daemons { daemon.signal(SIGKILL) } }
        #expect(
            await eventually(timeout: .seconds(60)) {
                daemons.allSatisfy { $0.stderr.contains("jobwatch daemon is polling") }
            })
        let follows = try stores.map { try $0.follow() }
        defer { for follow in follows { follow.stop() } }

        // 200 IMS jobs, one in five failing, as create calls print them: registered from one file.
        let ids = try (0..<200).map { index in
            try cloud.simulator.add(
                SimulatedJobSpec(
                    api: .ims, kind: index % 5 == 4 ? "ims-fail" : "imsCreateImageByInstance",
                    durationMillis: 2500 + Int64(index % 4) * 500, initMillis: 400))
        }
        let file = postgres.directory.appendingPathComponent("create.json").path
        try "[\(ids.map { #"{"job_id": "\#($0)"}"# }.joined(separator: ", "))]".write(
            toFile: file, atomically: true, encoding: .utf8)
        async let registeredOnSQLite = sqlite.run(["register", "--from-json", file, "--api", "ims", "--label", "b=1"])
        async let registeredOnPostgres = postgres.run(
            ["register", "--from-json", file, "--api", "ims", "--label", "b=1"])
        let registered = try await [registeredOnSQLite, registeredOnPostgres]
        #expect(registered.map(\.status) == [0, 0], "\(registered.map(\.stderr))")
        #expect(registered[0].stdout.hasPrefix("registered 200 of 200 jobs"), "\(registered[0].stdout.prefix(200))")
        #expect(registered[1].stdout == registered[0].stdout)
        #expect(registered[1].stdout.split(separator: "\n").count == 202)
        // wait: all 200 by label, 40 failed: exit 1 and the same one-line summary on both.
        async let waitedOnSQLite = sqlite.run(["wait", "--label", "b=1", "--timeout", "150s"])
        async let waitedOnPostgres = postgres.run(["wait", "--label", "b=1", "--timeout", "150s"])
        let waited = try await [waitedOnSQLite, waitedOnPostgres]
        #expect(waited.map(\.status) == [1, 1], "\(waited.map(\.stderr))")
        #expect(waited[0].stderr.contains("40 of 200 jobs did not succeed"), "\(waited[0].stderr)")
        #expect(waited[1].stderr == waited[0].stderr)
        // The progress lines follow each daemon's polls; the verdict lines ("ID: STATUS after waiting …") match.
        let verdictLines = waited.map { result in
            result.stdout.split(separator: "\n").filter { $0.contains(" after waiting ") }
                .map { $0.components(separatedBy: " after waiting ")[0] }.sorted()
        }
        #expect(verdictLines[0].count == 200 && verdictLines[1] == verdictLines[0])
        #expect(try await postgres.run(["wait", ids[0]]).status == 0)
        #expect(try await postgres.run(["wait", ids[4]]).status == 1)

        // Registering the same file again changes nothing, and says so the same way (all jobs have ended).
        let again = try await postgres.run(["register", "--from-json", file, "--api", "ims", "--json"])
        let againSQLite = try await sqlite.run(["register", "--from-json", file, "--api", "ims", "--json"])
        #expect(again.status == 0 && againSQLite.status == 0)
        #expect((json(again.stdout) as? [Any])?.count == 200)
        let againDifference = try firstDifference(
            withoutTiming(json(againSQLite.stdout) ?? []), withoutTiming(json(again.stdout) ?? []))
        #expect(againDifference == nil, "\(againDifference ?? "")")

        // list: the table and the JSON records, the same but for when each daemon polled.
        let lists = try await stores.asyncMap { try await $0.run(["list", "--tracking", "all"]) }
        #expect(lists.map(\.status) == [0, 0])
        #expect(listTable(lists[1].stdout) == listTable(lists[0].stdout))
        #expect(lists[1].stdout.split(separator: "\n").count == 201)
        let listed = try await stores.asyncMap { try await $0.run(["list", "--tracking", "all", "--json"]) }
        let listDifference = try firstDifference(
            withoutTiming(json(listed[0].stdout) ?? 0), withoutTiming(json(listed[1].stdout) ?? 1))
        #expect(listDifference == nil, "\(listDifference ?? "")")
        let records = try #require(json(listed[1].stdout) as? [[String: Any]])
        #expect(records.filter { $0["status"] as? String == "SUCCESS" }.count == 160)
        #expect(records.filter { $0["status"] as? String == "FAIL" }.count == 40)

        // show: the same record; the text has the same rows.
        for id in [ids[0], ids[4]] {
            let shown = try await stores.asyncMap { try await $0.run(["show", id, "--json"]) }
            #expect(shown.map(\.status) == [0, 0])
            let records = try shown.map { try #require(json($0.stdout) as? [String: Any]) }
            #expect(records[1]["status"] as? String == records[0]["status"] as? String)
            #expect(Set(records[1].keys) == Set(records[0].keys))
            let text = try await stores.asyncMap { try await $0.run(["show", id]) }
            // The rows above the history (whose rows are the times each daemon saw a change).
            let labels = text.map {
                $0.stdout.components(separatedBy: "\nHistory")[0].split(separator: "\n").map {
                    $0.split(separator: " ").first ?? ""
                }
            }
            #expect(labels[1] == labels[0], "\(text[0].stdout) | \(text[1].stdout)")
            #expect(text[1].stdout.contains("Job \(id)"))
            let fixed = ["  api ", "  account ", "  type ", "  status ", "  labels ", "  sinks "]
            let rows = text.map {
                $0.stdout.split(separator: "\n").filter { row in fixed.contains { row.hasPrefix($0) } }
            }
            #expect(rows[1] == rows[0] && rows[0].count == fixed.count)
        }
        #expect(
            try await postgres.run(["show", "no-such-job"]).status
                == (try await sqlite.run(["show", "no-such-job"])).status)

        // events: one terminal event per job, the same verdicts; --follow printed exactly what events lists.
        let events = try await stores.asyncMap { store in
            try await store.run(["events", "--json"]).stdout.split(separator: "\n").compactMap {
                self.json(String($0)) as? [String: Any]
            }
        }
        let terminalTypes: Set<String> = ["jobwatch.job.succeeded", "jobwatch.job.failed"]
        let verdicts = events.map { list in
            list.filter { terminalTypes.contains($0["type"] as? String ?? "") }
                .map { "\($0["subject"] as? String ?? "") \($0["type"] as? String ?? "")" }.sorted()
        }
        #expect(verdicts[0].count == 200 && verdicts[1] == verdicts[0])
        #expect(Set(verdicts[1].map { $0.split(separator: " ")[0] }).count == 200)
        for (index, store) in stores.enumerated() {
            let listedLines = try await store.run(["events", "--json"]).stdout.split(separator: "\n").map(String.init)
            #expect(
                await eventually(timeout: .seconds(10)) { follows[index].lines.count >= listedLines.count },
                "\(store.name): --follow printed \(follows[index].lines.count) of \(listedLines.count)")
            #expect(follows[index].lines.prefix(listedLines.count) == listedLines[...], "\(store.name)")
        }
        let eventTables = try await stores.asyncMap { try await $0.run(["events"]) }
        #expect(eventTables.map(\.status) == [0, 0])
        #expect(
            eventTables[1].stdout.split(separator: "\n").first == eventTables[0].stdout.split(separator: "\n").first)

        // deliveries: every terminal event delivered to stdout and to the webhook, on both.
        for store in stores {
            #expect(
                try await eventually(timeout: .seconds(60)) {
                    let pending = try await store.run(["deliveries", "--state", "pending", "--json"])
                    return (self.json(pending.stdout) as? [Any])?.isEmpty == true
                }, "\(store.name)")
        }
        let deliveries = try await stores.asyncMap { store in
            let result = try await store.run(["deliveries", "--json"])
            #expect(result.status == 0)
            return try #require(self.json(result.stdout) as? [[String: Any]])
        }
        let tally = deliveries.map { list in
            Dictionary(grouping: list) { "\($0["sink"] as? String ?? "") \($0["state"] as? String ?? "")" }
                .mapValues(\.count)
        }
        #expect(tally[0] == ["ops delivered": 200, "stdout delivered": 200], "\(tally[0])")
        #expect(tally[1] == tally[0])
        #expect(Set(deliveries[1].first?.keys.map { $0 } ?? []) == Set(deliveries[0].first?.keys.map { $0 } ?? [""]))
        let deliveryTables = try await stores.asyncMap { try await $0.run(["deliveries", "--sink", "ops"]) }
        #expect(
            deliveryTables[1].stdout.split(separator: "\n").first
                == deliveryTables[0].stdout.split(separator: "\n").first)
        #expect(deliveryTables.map { $0.stdout.split(separator: "\n").count } == [201, 201])

        // redeliver: the same answer; the PostgreSQL daemon sends the event again, with the same webhook-id.
        let redelivered = try await stores.asyncMap { store in
            let terminal = try #require(
                try await store.run(["events", "--json"]).stdout.split(separator: "\n").compactMap {
                    self.json(String($0)) as? [String: Any]
                }.first { terminalTypes.contains($0["type"] as? String ?? "") })
            let id = try #require(terminal["id"] as? String)
            let result = try await store.run(["redeliver", id])
            return (id, result)
        }
        #expect(redelivered.map(\.1.status) == [0, 0])
        #expect(redelivered[0].1.stdout.contains("re-queued"), "\(redelivered[0].1.stdout)")
        #expect(
            redelivered[1].1.stdout.replacingOccurrences(of: redelivered[1].0, with: "ID")
                == redelivered[0].1.stdout.replacingOccurrences(of: redelivered[0].0, with: "ID"))
        let resent = redelivered[1].0
        #expect(
            await eventually(timeout: .seconds(20)) {
                cloud.receiver.requests.filter { $0.header("webhook-id") == resent }.count >= 2
            })
        let unknown = try await stores.asyncMap { try await $0.run(["redeliver", "no-such-event"]) }
        #expect(unknown.map(\.status) == [4, 4] && unknown[1].stderr == unknown[0].stderr)

        // A job registered now (the daemons idle) is polled within a second: LISTEN/NOTIFY, not a timer.
        let late = try cloud.simulator.add(
            SimulatedJobSpec(api: .ims, kind: "imsCreateImageByInstance", durationMillis: 60_000, initMillis: 1000))
        let invokedAt = ContinuousClock.now
        let lateRegistered = try await postgres.run(["register", late, "--api", "ims"])
        // The registration is committed (and notified) before the command exits.
        let registeredAt = ContinuousClock.now
        #expect(lateRegistered.status == 0)
        #expect(try await eventually(timeout: .seconds(5)) { cloud.requests.contains { $0.path.hasSuffix(late) } })
        let firstPoll = try #require(cloud.requests.first { $0.path.hasSuffix(late) })
        #expect(firstPoll.at - registeredAt < .seconds(1), "polled \(firstPoll.at - registeredAt) after register")
        print(
            "PostgreSQL CLI: a job registered on an idle daemon was polled \(firstPoll.at - invokedAt) after "
                + "`register` started, \(firstPoll.at - registeredAt) after it exited")

        for daemon in daemons { await daemon.stop() }
        #expect(daemons.map { $0.process.terminationStatus } == [0, 0])
        let logs = daemons.map(\.stderr).joined()
        #expect(!logs.contains(cloud.database.password) && !logs.contains(CloudFixture.secretKey))

        // migrate-store both ways: PostgreSQL → a new SQLite file → a new PostgreSQL database; every
        // command shows the same on all three.
        let copy = try CLIStore.sqlite(cloud, requestsPerSecond: 60)
        let back = try cloud.cluster.makeDatabase()
        let second = try CLIStore.postgres(cloud, requestsPerSecond: 60, url: back.url, password: back.password)
        let out = try await postgres.run(["migrate-store", "--from", cloud.database.url, "--to", copy.sqlitePath ?? ""])
        #expect(out.status == 0, "\(out.stderr)")
        #expect(
            out.stdout.contains("201 job") && out.stdout.hasSuffix("to \(copy.sqlitePath ?? "")\n"), "\(out.stdout)")
        let home = try await second.run(["migrate-store", "--from", copy.sqlitePath ?? "", "--to", back.url])
        #expect(home.status == 0, "\(home.stderr)")
        let views = [
            ["list", "--tracking", "all", "--json"], ["list", "--tracking", "all"], ["events", "--json"],
            ["deliveries", "--json"], ["deliveries"], ["show", ids[0], "--json"], ["show", ids[4]], ["show", late],
            ["events", "--since", "300", "--json"],
        ]
        for view in views {
            let shown = try await [postgres, copy, second].asyncMap { try await $0.run(view) }
            #expect(shown.map(\.status) == [0, 0, 0], "\(view): \(shown.map(\.stderr))")
            let onCopy = firstDifference(shown[0].stdout, shown[1].stdout)
            #expect(onCopy == nil, "\(view) on the SQLite copy: \(onCopy ?? "")")
            let onCopyOfCopy = firstDifference(shown[0].stdout, shown[2].stdout)
            #expect(onCopyOfCopy == nil, "\(view) on the PostgreSQL copy: \(onCopyOfCopy ?? "")")
        }
        // Copying into a database that has jobs is refused, both ways, in one line.
        for (from, to, store) in [
            (cloud.database.url, copy.sqlitePath ?? "", postgres), (copy.sqlitePath ?? "", back.url, second),
        ] {
            let refused = try await store.run(["migrate-store", "--from", from, "--to", to])
            #expect(refused.status == 74 && refused.stderr.contains("empty"), "\(refused.stderr)")
            #expect(refused.stderr.split(separator: "\n").count == 1)
        }
    }

    @Test func theCLIAndADaemonWorkOverVerifiedTLSAndTLSProblemsAreOneLine() async throws {
        let cluster = try await PostgresTestCluster.offPool { try PostgresTestCluster.sharedTLS() }
        let authority = try TestCertificateAuthority.shared()
        let cloud = try await HACloud(cluster: cluster)
        defer { Task { await cloud.shutdown() } }
        let base = "postgresql://\(cloud.database.user)@localhost:\(cluster.port)/\(cloud.database.database)"
        let verified = "\(base)?sslmode=verify-full&sslrootcert=\(authority.certificateFile)"
        let store = try CLIStore.postgres(cloud, requestsPerSecond: 50, url: verified)
        let daemon = try store.daemon()
        defer { daemon.signal(SIGKILL) }
        let id = try cloud.simulator.add(
            SimulatedJobSpec(api: .ims, kind: "imsCreateImageByInstance", durationMillis: 1500, initMillis: 300))
        #expect(try await store.run(["register", id, "--api", "ims"]).status == 0)
        let waited = try await store.run(["wait", id, "--timeout", "60s"])
        #expect(waited.status == 0, "\(waited.stderr) \(daemon.stderr)")
        // The server saw every session of this database's user over TLS (the CLI's and the daemon's).
        let sessions = try cluster.psql(
            "SELECT s.ssl FROM pg_stat_ssl s JOIN pg_stat_activity a USING (pid) WHERE a.usename = "
                + "'\(cloud.database.user)'"
        ).split(separator: "\n")
        #expect(!sessions.isEmpty && sessions.allSatisfy { $0 == "t" }, "\(sessions)")
        await daemon.stop()
        #expect(daemon.process.terminationStatus == 0)

        let problems: [(url: String, says: String)] = [
            ("\(base)?sslmode=verify-full", "not signed by an authority in the system's trust store"),
            ("\(base)?sslmode=disable", "accepts only TLS connections"),
            ("\(base)?sslmode=verify-full&sslrootcert=/nonexistent/ca.pem", "sslrootcert=/nonexistent/ca.pem"),
        ]
        for problem in problems {
            let result = try await spawnJobwatchAsync(
                ["list", "--config", store.config, "--db", problem.url], environment: store.environment)
            #expect(result.status == 74, "\(problem.url): \(result.status) \(result.stderr)")
            #expect(result.stderr.contains(problem.says), "\(result.stderr)")
            #expect(result.stderr.split(separator: "\n").count == 1, "\(result.stderr)")
            #expect(!result.stderr.contains(cloud.database.password))
        }
    }
}

/// One store the CLI and a daemon run against, with the HA configuration: SQLite (`--db FILE`) or the
/// PostgreSQL database of the configuration.
struct CLIStore: Sendable {
    let name: String
    let directory: URL
    let sqlitePath: String?
    let environment: [String: String]
    var config: String { directory.appendingPathComponent("config.yaml").path }
    var options: [String] { ["--config", config] + (sqlitePath.map { ["--db", $0] } ?? []) }

    /// `url` and `password`: another database than the cloud's (the same configuration otherwise).
    static func postgres(
        _ cloud: HACloud, requestsPerSecond: Int, url: String? = nil, password: String? = nil
    ) throws -> CLIStore {
        var text = cloud.config(requestsPerSecond: requestsPerSecond)
        if let url { text = text.replacingOccurrences(of: "database: \(cloud.database.url)", with: "database: \(url)") }
        var environment = cloud.environment
        if let password { environment["JOBWATCH_E2E_DB_PASSWORD"] = password }
        return try CLIStore(name: "PostgreSQL", config: text, sqlite: false, environment: environment)
    }

    static func sqlite(_ cloud: HACloud, requestsPerSecond: Int) throws -> CLIStore {
        try CLIStore(
            name: "SQLite", config: cloud.config(requestsPerSecond: requestsPerSecond), sqlite: true,
            environment: cloud.environment)
    }

    private init(name: String, config: String, sqlite: Bool, environment: [String: String]) throws {
        self.name = name
        directory = try makeTemporaryDirectory("jobwatch-pgcli")
        sqlitePath = sqlite ? directory.appendingPathComponent("jobwatch.sqlite").path : nil
        self.environment = ["HOME": directory.path, "PATH": "/usr/bin:/bin", "LANG": "C.UTF-8"].merging(environment) {
            $1
        }
        try config.write(toFile: self.config, atomically: true, encoding: .utf8)
    }

    func run(_ arguments: [String]) async throws -> ProcessResult {
        try await spawnJobwatchAsync(arguments + options, environment: environment)
    }

    func daemon() throws -> DaemonProcess {
        try DaemonProcess(arguments: ["daemon"] + options, directory: directory, environment: environment)
    }

    func follow() throws -> FollowedEvents {
        try FollowedEvents(arguments: ["events", "--follow", "--json"] + options, environment: environment)
    }
}

/// A running `jobwatch events --follow --json`, its lines collected as they come.
final class FollowedEvents: Sendable {
    private let process: Process
    private let collector = LineCollector()

    init(arguments: [String], environment: [String: String]) throws {
        let process = Process()
        // Bounded by itself: a test process that dies leaves no follower behind for long.
        process.executableURL = URL(fileURLWithPath: "/usr/bin/timeout")
        process.arguments = ["300", jobwatchBinary.path] + arguments
        process.environment = environment
        let out = Pipe()
        process.standardOutput = out
        process.standardError = FileHandle.nullDevice
        collector.follow(out)
        self.process = process
        try process.run()
    }

    var lines: [String] { collector.lines }

    func stop() {
        if process.isRunning { process.terminate() }
        process.waitUntilExit()
    }
}

extension Array where Element: Sendable {
    /// `map` with an async body, one element after the other.
    func asyncMap<T>(_ transform: (Element) async throws -> T) async rethrows -> [T] {
        var result: [T] = []
        for element in self { result.append(try await transform(element)) }
        return result
    }
}
