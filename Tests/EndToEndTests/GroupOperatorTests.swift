import Foundation
import JobwatchTestKit
import Testing

extension SharedServiceTests {
    /// Operators share the service's database through its group (CONTRACT §1; the unit's `StateDirectoryMode=2770`):
    /// the daemon's uid creates it, another uid in the group runs the CLI.
    @Suite(.serialized) struct GroupOperatorTests {
        static let operatorUID = "4242"
        static let sharedGID: gid_t = 4243
        static let otherGID = "4244"
        static let canSwitchUsers = getuid() == 0 && FileManager.default.isExecutableFile(atPath: "/usr/bin/setpriv")

        /// `jobwatch ARGS` as another uid whose only group is `gid` (CI runs as root, which setpriv needs).
        func runAsOperator(
            _ sandbox: Sandbox, gid: String, config: String? = nil, _ arguments: [String]
        ) async throws -> ProcessResult {
            try await withCheckedThrowingContinuation { continuation in
                DispatchQueue.global().async {
                    continuation.resume(
                        with: Result {
                            let process = Process()
                            process.executableURL = URL(fileURLWithPath: "/usr/bin/setpriv")
                            process.arguments =
                                ["--reuid", Self.operatorUID, "--regid", gid, "--clear-groups", jobwatchBinary.path]
                                + arguments + ["--config", config ?? sandbox.config, "--db", sandbox.database]
                            process.environment = sandbox.environment
                            let out = Pipe(), err = Pipe()
                            process.standardOutput = out
                            process.standardError = err
                            try process.run()
                            let stdout = out.fileHandleForReading.readDataToEndOfFile()
                            let stderr = err.fileHandleForReading.readDataToEndOfFile()
                            process.waitUntilExit()
                            return ProcessResult(
                                status: process.terminationStatus, stdout: String(decoding: stdout, as: UTF8.self),
                                stderr: String(decoding: stderr, as: UTF8.self))
                        })
                }
            }
        }

        func mode(_ path: String) throws -> Int {
            (try FileManager.default.attributesOfItem(atPath: path)[.posixPermissions] as? Int) ?? -1
        }

        @Test(.enabled(if: canSwitchUsers, "needs root and setpriv to run the CLI as another uid"))
        func aGroupMemberUsesTheCLIOnTheDatabaseTheDaemonCreated() async throws {
            let cloud = try await CloudFixture()
            defer { Task { await cloud.shutdown() } }
            let sandbox = try Sandbox(config: cloud.config())
            // The state directory as systemd makes it: owned by the service, its group, set-gid, 2770.
            #expect(chown(sandbox.directory.path, 0, Self.sharedGID) == 0)
            #expect(chmod(sandbox.directory.path, 0o2770) == 0)
            #expect(chown(sandbox.config, 0, Self.sharedGID) == 0 && chmod(sandbox.config, 0o640) == 0)
            let id = try cloud.add("imsCreateImageByInstance", api: .ims, durationMillis: 800)

            // The daemon (root here, the service's uid) creates the database, under the unit's umask.
            let daemon = try DaemonProcess(
                sandbox: sandbox, environment: CloudFixture.environment,
                wrapper: ["/bin/sh", "-c", "umask 0007 && exec \"$0\" \"$@\""])
            defer { Task { await daemon.stop() } }
            #expect(await eventually { daemon.stderr.contains("jobwatch daemon is polling") }, "\(daemon.stderr)")
            for suffix in ["", "-wal", "-shm"] {
                #expect(try mode(sandbox.database + suffix) == 0o660, "jobwatch.sqlite\(suffix)")
            }

            let gid = String(Self.sharedGID)
            let registered = try await runAsOperator(sandbox, gid: gid, ["register", id, "--api", "ims"])
            #expect(registered.status == 0, "\(registered.stderr)")
            let waited = try await runAsOperator(sandbox, gid: gid, ["wait", id, "--timeout", "20s"])
            #expect(waited.status == 0, "\(waited.stderr)")
            for command in [
                ["list", "--tracking", "all", "--json"], ["show", id, "--json"], ["events", "--json"],
                ["deliveries", "--json"],
            ] {
                let result = try await runAsOperator(sandbox, gid: gid, command)
                #expect(result.status == 0, "\(command): \(result.stderr)")
                #expect(
                    result.stdout.contains(id) || command[0] == "deliveries",
                    "\(command): \(result.stdout) \(result.stderr)")
            }
            #expect(
                try await runAsOperator(sandbox, gid: gid, ["list", "--tracking", "all", "--json"]).stdout.contains(
                    "done"))

            // Outside the group: one line, exit 74 (the directory itself is closed to others), not an empty list.
            let openConfig = FileManager.default.temporaryDirectory.appendingPathComponent("jobwatch-\(UUID()).yaml")
                .path
            #expect(
                FileManager.default.createFile(
                    atPath: openConfig, contents: Data(), attributes: [.posixPermissions: 0o644])
            )
            defer { try? FileManager.default.removeItem(atPath: openConfig) }
            let outsider = try await runAsOperator(sandbox, gid: Self.otherGID, config: openConfig, ["list"])
            #expect(outsider.status == 74, "\(outsider.stderr)")
            #expect(outsider.stderr.split(separator: "\n").count == 1)
        }

        @Test(.enabled(if: canSwitchUsers, "needs root and setpriv to run the CLI as another uid"))
        func readCommandsNeedOnlyReadAccess() async throws {
            let sandbox = try Sandbox(config: "")
            #expect(try await sandbox.runAsync(["register", "job-1", "--api", "ims"], environment: [:]).status == 0)
            // A database the operator may read but not write: the read commands still work, migrating nothing.
            #expect(chown(sandbox.directory.path, 0, Self.sharedGID) == 0)
            #expect(chmod(sandbox.directory.path, 0o2750) == 0)
            #expect(chown(sandbox.config, 0, Self.sharedGID) == 0 && chmod(sandbox.config, 0o640) == 0)
            for suffix in ["", "-wal", "-shm"] where FileManager.default.fileExists(atPath: sandbox.database + suffix) {
                #expect(chown(sandbox.database + suffix, 0, Self.sharedGID) == 0)
                #expect(chmod(sandbox.database + suffix, 0o640) == 0)
            }
            let gid = String(Self.sharedGID)
            let list = try await runAsOperator(sandbox, gid: gid, ["list", "--json"])
            #expect(list.status == 0 && list.stdout.contains("job-1"), "\(list.status) \(list.stderr)")
            // Writing still needs write access, and says so in one line.
            let unregister = try await runAsOperator(sandbox, gid: gid, ["unregister", "job-1"])
            #expect(unregister.status == 74, "\(unregister.stderr)")
            #expect(unregister.stderr.split(separator: "\n").count == 1)
        }
    }
}
