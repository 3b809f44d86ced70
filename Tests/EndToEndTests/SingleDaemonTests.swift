import Foundation
import JobwatchTestKit
import Testing

extension SharedServiceTests {
    /// One daemon per database (CONTRACT §5): a second one exits 75 naming the first; the lock dies with it.
    @Suite(.serialized) struct SingleDaemonTests {
        @Test func aSecondDaemonOnTheSameDatabaseExits75AndTheLockDiesWithKill9() async throws {
            let cloud = try await CloudFixture()
            defer { Task { await cloud.shutdown() } }
            let sandbox = try Sandbox(config: cloud.config())
            let first = try DaemonProcess(sandbox: sandbox, environment: CloudFixture.environment)
            #expect(
                await eventually(timeout: .seconds(20)) { first.stderr.contains("jobwatch daemon is polling") },
                "\(first.stderr)")

            let second = try DaemonProcess(sandbox: sandbox, environment: CloudFixture.environment)
            #expect(await second.waitForExit(timeout: .seconds(20)) == 75)
            let lines = second.stderr.split(separator: "\n")
            #expect(lines.count == 1, "\(second.stderr)")
            #expect(second.stderr.contains("pid \(first.process.processIdentifier)"), "\(second.stderr)")
            #expect(second.stderr.contains(sandbox.database))
            // The CLI never needs the lock, while the first daemon holds it.
            #expect(try await sandbox.runAsync(["list"]).status == 0)

            first.signal(SIGKILL)
            _ = await first.waitForExit(timeout: .seconds(10))
            let third = try DaemonProcess(sandbox: sandbox, environment: CloudFixture.environment)
            #expect(
                await eventually(timeout: .seconds(20)) { third.stderr.contains("jobwatch daemon is polling") },
                "\(third.stderr)")
            #expect(third.process.isRunning)
            await third.stop()
            #expect(third.process.terminationStatus == 0)
        }
    }
}
