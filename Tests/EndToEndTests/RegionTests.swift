import Foundation
import JobwatchTestKit
import Testing

extension SharedServiceTests {
    /// `register --region R` polls the job in R, at R's endpoint derived as for the account (CONTRACT §1).
    @Suite(.serialized) struct RegionTests {
        func record(_ sandbox: Sandbox, _ id: String) async throws -> [String: Any]? {
            let shown = try await sandbox.runAsync(["show", id, "--json"]).stdout
            return try? JSONSerialization.jsonObject(with: Data(shown.utf8)) as? [String: Any]
        }

        @Test func aJobIsPolledInTheRegionItWasRegisteredIn() async throws {
            let cloud = try await CloudFixture()
            defer { Task { await cloud.shutdown() } }
            // The simulator serves a job with a region only under `/{region}`, as that region's endpoint would.
            let base = cloud.server.baseURL
            let config = cloud.config().replacingOccurrences(of: "ims: \(base)", with: "ims: \"\(base)/{region}\"")
            let sandbox = try Sandbox(config: config)
            let south = try cloud.add("imsCreateImageByInstance", api: .ims, durationMillis: 1500, region: "test-2")
            let astray = try cloud.add("imsCreateImageByInstance", api: .ims, durationMillis: 1500, region: "test-2")
            #expect(try await sandbox.runAsync(["register", south, "--api", "ims", "--region", "test-2"]).status == 0)
            // Registered without --region: polled in the account's region test-1, where it does not exist.
            #expect(try await sandbox.runAsync(["register", astray, "--api", "ims"]).status == 0)
            let daemon = try DaemonProcess(sandbox: sandbox, environment: CloudFixture.environment)
            defer { Task { await daemon.stop() } }

            #expect(
                try await eventually(timeout: .seconds(30)) {
                    try await record(sandbox, south)?["tracking"] as? String == "done"
                })
            let shown = try #require(try await record(sandbox, south))
            #expect(shown["region"] as? String == "test-2" && shown["status"] as? String == "SUCCESS")
            #expect(
                try await eventually(timeout: .seconds(30)) {
                    try await record(sandbox, astray)?["tracking"] as? String == "not_found"
                })
            #expect(try await record(sandbox, astray)?["region"] as? String == "test-1")
        }

        @Test func aFixedEndpointRefusesAnotherRegionAtRegistration() async throws {
            let cloud = try await CloudFixture()
            defer { Task { await cloud.shutdown() } }
            let sandbox = try Sandbox(config: cloud.config())
            let result = try await sandbox.runAsync(["register", "job-1", "--api", "ims", "--region", "test-2"])
            #expect(result.status == 64)
            #expect(result.stderr.split(separator: "\n").count == 1)
            #expect(result.stderr.contains("cannot serve region test-2") && result.stderr.contains("{region}"))
            // A project belongs to one region: another region's project-scoped job needs its own project id.
            let templated = cloud.config().replacingOccurrences(
                of: "workspace: \(cloud.server.baseURL)", with: "workspace: \"\(cloud.server.baseURL)/{region}\"")
            let other = try Sandbox(config: templated)
            let workspace = try await other.runAsync([
                "register", "702364883651395584", "--api", "workspace", "--region", "test-2",
            ])
            #expect(workspace.status == 64 && workspace.stderr.contains("--project-id"), "\(workspace.stderr)")
            let listed = try await other.runAsync(["list", "--json"]).stdout
            #expect(
                (try? JSONSerialization.jsonObject(with: Data(listed.utf8)) as? [Any])?.isEmpty == true, "\(listed)")
            // `config check` applies the same rules as the client: a URL with a query is refused there too.
            let bad = try Sandbox(
                config: cloud.config().replacingOccurrences(
                    of: "ims: \(cloud.server.baseURL)", with: "ims: \(cloud.server.baseURL)/?x=1"))
            let check = try await bad.runAsync(["config", "check"])
            #expect(check.status == 78 && check.stderr.contains("must not carry a query"), "\(check.stderr)")
        }
    }
}
