import Foundation
import JobwatchCore
import JobwatchSimulator
import JobwatchTestKit
import Testing

extension SharedServiceTests {
    /// A 403 is one resource's permission: that job backs off; the account's other jobs go on.
    @Suite(.serialized) struct ForbiddenJobTests {
        @Test func a403BacksOffOnlyThatJobAndNamesIt() async throws {
            let cloud = try await CloudFixture()
            defer { Task { await cloud.shutdown() } }
            let sandbox = try Sandbox(config: cloud.config())
            let refused = try cloud.add(
                "imsCreateImageByInstance", api: .ims, durationMillis: 3000, faults: [SimulatedFault(.forbidden)])
            let fine = try cloud.add("imsCreateImageByInstance", api: .ims, durationMillis: 1500)
            for id in [refused, fine] {
                #expect(try await sandbox.runAsync(["register", id, "--api", "ims"]).status == 0)
            }
            let daemon = try DaemonProcess(sandbox: sandbox, environment: CloudFixture.environment)
            defer { Task { await daemon.stop() } }

            func record(_ id: String) async throws -> [String: Any]? {
                let shown = try await sandbox.runAsync(["show", id, "--json"]).stdout
                return try? JSONSerialization.jsonObject(with: Data(shown.utf8)) as? [String: Any]
            }
            #expect(
                try await eventually(timeout: .seconds(30)) { try await record(fine)?["tracking"] as? String == "done" }
            )
            let shown = try #require(try await record(refused))
            #expect(shown["polls"] as? Int == 1 && shown["tracking"] as? String == "active")
            let next = try #require((shown["next_poll_at"] as? String).flatMap(CloudTime.parseMillis))
            #expect(next > Int64(Date().timeIntervalSince1970 * 1000) + 240_000)
            #expect(daemon.stderr.contains("refused job \(refused)"), "\(daemon.stderr)")
            #expect(daemon.stderr.contains("IMG.0003"))
            #expect(!daemon.stderr.contains("rejected the credentials"))
        }
    }
}
