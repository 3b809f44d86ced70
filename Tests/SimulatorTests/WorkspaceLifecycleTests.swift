import Foundation
import JobwatchCore
import JobwatchTestKit
import Testing

@testable import JobwatchSimulator

private let seedJobKeys: Set = ["id", "job_type", "begin_time", "end_time", "status", "sub_jobs_total", "sub_jobs"]
private let seedSubJobKeys: Set = [
    "id", "job_type", "job_resource_info", "begin_time", "end_time", "status", "job_execute_info", "project_id",
    "job_id",
]

@Suite struct WorkspaceLifecycleTests {
    private func subJobStatuses(_ answer: Answer) -> [String] {
        (answer.json["sub_jobs"] as? [[String: Any]] ?? []).compactMap { $0["status"] as? String }
    }

    @Test func successfulJobMovesItsSubJobsFromWaitingToSuccess() async throws {
        let clock = ManualClock()
        let start = clock.now
        let simulator = makeSimulator(clock: clock)
        let id = try simulator.add(SimulatedJobSpec(api: .workspace, projectID: "proj", durationMillis: 100_000))
        #expect(id.count == 18 && id.allSatisfy(\.isNumber))
        let path = "/v1/proj/image-server-jobs/\(id)"

        let waiting = await simulator.get(path)
        #expect(waiting.string("status") == "WAITING")
        #expect(subJobStatuses(waiting) == ["WAITING", "WAITING", "WAITING"])

        clock.set(start + 50_000)
        let running = await simulator.get(path)
        #expect(running.string("status") == "RUNNING")
        #expect(subJobStatuses(running) == ["SUCCESS", "RUNNING", "WAITING"])

        clock.set(start + 100_000)
        let done = await simulator.get(path)
        #expect(done.string("status") == "SUCCESS")
        #expect(done.string("end_time") == CloudTime.format(millis: start + 100_000))
        #expect(Set(done.json.keys) == seedJobKeys)
        #expect(done.json["sub_jobs_total"] as? Int == 3)
        let subJobs = try #require(done.json["sub_jobs"] as? [[String: Any]])
        #expect(subJobs.allSatisfy { Set($0.keys) == seedSubJobKeys })
        #expect(subJobs.allSatisfy { $0["project_id"] as? String == "proj" && $0["job_id"] as? String == id })
        #expect(
            subJobs.allSatisfy {
                ($0["job_execute_info"] as? [String: String]) == ["error_code": "", "error_message": ""]
            })
        #expect(subJobStatuses(done) == ["SUCCESS", "SUCCESS", "SUCCESS"])
    }

    @Test func abnormalSubJobRollsBackAndTheJobFails() async throws {
        let clock = ManualClock()
        let start = clock.now
        let simulator = makeSimulator(clock: clock)
        let id = try simulator.add(
            SimulatedJobSpec(api: .workspace, kind: "workspace-abnormal", durationMillis: 100_000))
        let path = "/v1/any-project/image-server-jobs/\(id)"

        clock.set(start + 70_000)
        #expect(subJobStatuses(await simulator.get(path)) == ["SUCCESS", "ROLLBACK"])

        clock.set(start + 90_000)
        let abnormal = await simulator.get(path)
        #expect(abnormal.string("status") == "RUNNING")
        #expect(subJobStatuses(abnormal) == ["SUCCESS", "ABNORMAL"])
        let failed = try #require((abnormal.json["sub_jobs"] as? [[String: Any]])?[1])
        let info = try #require(failed["job_execute_info"] as? [String: String])
        #expect(info["error_code"]?.hasPrefix("WKS.") == true)
        #expect(info["error_message"]?.isEmpty == false)

        clock.set(start + 100_000)
        #expect(await simulator.get(path).string("status") == "FAILED")
    }

    @Test func finishAbnormalMakesTheRunningSubJobAbnormal() async throws {
        let clock = ManualClock()
        let simulator = makeSimulator(clock: clock)
        let id = try simulator.add(SimulatedJobSpec(api: .workspace, durationMillis: 100_000))
        clock.advance(byMillis: 50_000)
        #expect(simulator.finish(jobID: id, status: "ABNORMAL") != nil)
        let done = await simulator.get("/v1/p/image-server-jobs/\(id)")
        #expect(done.string("status") == "FAILED")
        #expect(subJobStatuses(done) == ["SUCCESS", "ABNORMAL", "ABNORMAL"])
    }

    @Test func imsRoutesDoNotServeWorkspaceJobs() async throws {
        let simulator = makeSimulator(clock: ManualClock())
        let id = try simulator.add(SimulatedJobSpec(api: .workspace))
        #expect(await simulator.get("/v1/cloudimages/job/\(id)").status == 404)
        #expect(await simulator.get("/v1/p/image-server-jobs/\(id)").status == 200)
    }
}
