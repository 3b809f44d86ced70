import Foundation
import JobwatchCore
import JobwatchTestKit
import Testing

@testable import JobwatchSimulator

@Suite struct AdminAndScenarioTests {
    @Test func adminAPICreatesListsFinishesAndFaultsJobs() async throws {
        let clock = ManualClock()
        let simulator = makeSimulator(clock: clock, credentials: ["AK": "SK"])
        let live = try await LiveSimulator.start(simulator)

        let created = try await live.send(
            "/_simulator/jobs", method: .POST,
            body: """
                {"jobs": [
                  {"kind": "imsImportOvaImageJob", "job_id": "ova-1", "duration": "1m"},
                  {"api": "workspace", "kind": "workspace-abnormal", "project_id": "proj", "duration_ms": 30000}
                ]}
                """)
        #expect(created.status == 201)
        let ids = try #require(created.json?["job_ids"] as? [String])
        try #require(ids.count == 2)
        #expect(ids[0] == "ova-1")

        let duplicate = try await live.send("/_simulator/jobs", method: .POST, body: #"{"job_id": "ova-1"}"#)
        #expect(duplicate.status == 409)
        let badKind = try await live.send("/_simulator/jobs", method: .POST, body: #"{"kind": "imsTeleportJob"}"#)
        #expect(badKind.status == 400)
        #expect((badKind.json?["error"] as? String)?.contains("imsTeleportJob") == true)

        let faults = try await live.send(
            "/_simulator/jobs/ova-1/faults", method: .POST, body: #"{"faults": [{"kind": "throttled", "count": 2}]}"#)
        #expect(faults.json?["pending_faults"] as? Int == 2)

        clock.advance(byMillis: 1000)
        let finished = try await live.send(
            "/_simulator/jobs/\(ids[1])/finish", method: .POST, body: #"{"status": "SUCCESS"}"#)
        #expect(finished.status == 200)
        #expect(finished.json?["status"] as? String == "SUCCESS")
        #expect(finished.json?["finished_at"] as? String == CloudTime.format(millis: clock.now))
        let again = try await live.send(
            "/_simulator/jobs/\(ids[1])/finish", method: .POST, body: #"{"status": "FAILED"}"#)
        #expect(again.status == 409)
        #expect(try await live.send("/_simulator/jobs/nope/finish", method: .POST, body: "").status == 404)

        let listed = try await live.send("/_simulator/jobs")
        let jobs = try #require(listed.json?["jobs"] as? [[String: Any]])
        try #require(jobs.map { $0["job_id"] as? String } == ids)
        #expect(jobs.map { $0["status"] as? String } == ["INIT", "SUCCESS"])
        #expect(jobs[0]["pending_faults"] as? Int == 2)
        #expect(jobs[1]["project_id"] as? String == "proj")

        let catalog = try await live.send("/_simulator/catalog")
        #expect(catalog.json?["kinds"] as? [String] == Simulator.catalog)
        try await live.close()
    }

    @Test func scenarioFileCreatesItsJobs() throws {
        let directory = try makeTemporaryDirectory("sim")
        defer { try? FileManager.default.removeItem(at: directory) }
        let file = directory.appendingPathComponent("scenario.json")
        try """
        {"jobs": [
          {"api": "ims", "kind": "imsCreateImageByInstance", "duration": "20s"},
          {"api": "ims-project", "kind": "ims-fail", "project_id": "p1", "init": "2s", "duration": "10s",
           "faults": [{"kind": "not-found", "count": 2}, {"kind": "slow", "delay_ms": 200}]},
          {"api": "workspace", "job_id": "702364883651395584", "kind": "workspace-success"}
        ]}
        """.write(to: file, atomically: true, encoding: .utf8)

        let simulator = makeSimulator(clock: ManualClock())
        let ids = try simulator.loadScenario(file: file.path)
        try #require(ids.count == 3)
        #expect(ids[0].count == 32 && ids[0].allSatisfy(\.isHexDigit))
        #expect(ids[2] == "702364883651395584")
        #expect(simulator.job(id: ids[1])?.pendingFaults.map(\.kind) == [.notFound, .slow])
        #expect(simulator.status(jobID: ids[1]) == "INIT")

        let broken = directory.appendingPathComponent("broken.json")
        try #"{"jobs": [{"kind": "ims-fail", "duration": "soon"}]}"#.write(
            to: broken, atomically: true, encoding: .utf8)
        #expect(throws: SimulatorError.self) { try simulator.loadScenario(file: broken.path) }
        #expect(throws: SimulatorError.self) {
            try simulator.loadScenario(file: directory.appendingPathComponent("missing").path)
        }
    }

    @Test func demoSamplesAllEndWithinTheirDuration() throws {
        let clock = ManualClock()
        let simulator = makeSimulator(clock: clock)
        let ids = try simulator.add(contentsOf: SimulatedJobSpec.samples(projectID: "proj", durationMillis: 20_000))
        #expect(ids.count == 5)
        clock.advance(byMillis: 20_000)
        #expect(ids.map { simulator.status(jobID: $0) } == ["SUCCESS", "SUCCESS", "FAIL", "SUCCESS", "FAILED"])
    }
}
