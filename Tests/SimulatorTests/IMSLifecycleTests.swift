import Foundation
import JobwatchCore
import JobwatchTestKit
import Testing

@testable import JobwatchSimulator

/// The `entities` keys of each job type's finished ShowJobProgress example in seed 000.
private let progressSeedEntityKeys: [String: Set<String>] = {
    let image: Set = ["image_name", "image_id", "process_percent", "current_task"]
    let members: Set = ["results", "process_percent", "current_task"]
    return [
        "imsCreateImageByInstance": image, "imsImportImageJob": image.union(["subJobId"]),
        "imsImportOvaImageJob": ["sub_jobs_result"], "imsVolumeCreateImageJob": image,
        "imsVolumesToSysDataImagesJob": ["sub_jobs_result"], "imsImportDataImageJob": image.union(["subJobId"]),
        "imsCreateWholeImageByInstanceJob": image, "imsCreateWholeImageByBackupJob": image,
        "imsNativeImportImageJob": image, "imsNativeExportImageJob": image, "imsAddImageMembersJob": members,
        "imsDelImageMembersJob": members, "imsUpdateImageMembersJob": members, "imsCopyImageInRegionJob": image,
        "imsCrossRegionCopyImageJob": image, "ims-fail": image.union(["subJobId"]),
        "ims-subjob-fail": ["sub_jobs_result"],
    ]
}()

/// The same for ShowJob (seed 001).
private let showJobSeedEntityKeys: [String: Set<String>] = {
    let image: Set = ["image_name", "image_id"]
    return [
        "imsCreateImageByInstance": image, "imsImportImageJob": image,
        "imsImportOvaImageJob": ["sub_jobs_result", "sub_jobs_list"], "imsVolumeCreateImageJob": image,
        "imsVolumesToSysDataImagesJob": ["sub_jobs_result", "sub_jobs_list"], "imsImportDataImageJob": image,
        "imsCreateWholeImageByInstanceJob": image, "imsCreateWholeImageByBackupJob": image,
        "imsNativeImportImageJob": ["image_id"], "imsNativeExportImageJob": ["image_id"],
        "imsAddImageMembersJob": ["results"], "imsDelImageMembersJob": ["results"],
        "imsUpdateImageMembersJob": ["results"], "imsCopyImageInRegionJob": image, "imsCrossRegionCopyImageJob": image,
        "ims-fail": image, "ims-subjob-fail": ["sub_jobs_result", "sub_jobs_list"],
    ]
}()

private let topLevelKeys: Set = [
    "job_id", "job_type", "begin_time", "end_time", "status", "error_code", "fail_reason", "entities",
]

private let imsKinds = Simulator.catalog.filter { !$0.hasPrefix("workspace") }

@Suite struct IMSLifecycleTests {
    @Test func catalogHasEveryIMSJobTypeOfTheSeed() {
        #expect(Set(imsKinds) == Set(progressSeedEntityKeys.keys))
    }

    @Test(arguments: imsKinds)
    func progressAPILifecycle(kind: String) async throws {
        let clock = ManualClock()
        let start = clock.now
        let simulator = makeSimulator(clock: clock)
        let id = try simulator.add(SimulatedJobSpec(api: .ims, kind: kind, durationMillis: 100_000, initMillis: 10_000))
        let path = "/v1/cloudimages/job/\(id)"

        clock.advance(byMillis: 1000)
        let initial = await simulator.get(path)
        #expect(initial.status == 200)
        #expect(initial.string("status") == "INIT")
        #expect(initial.string("end_time") == "")
        #expect(initial.string("begin_time") == "2026-03-27T02:14:03.552Z")
        #expect(initial.entities["process_percent"] as? Double == 0)

        var last = -1.0
        for offset: Int64 in [20_000, 50_000, 80_000] {
            clock.set(start + offset)
            let running = await simulator.get(path)
            #expect(running.string("status") == "RUNNING")
            #expect(running.string("end_time") == "")
            let progress = try #require(running.entities["process_percent"] as? Double)
            #expect(progress > last && progress < 1)
            #expect((running.entities["current_task"] as? String)?.isEmpty == false)
            last = progress
        }

        clock.set(start + 100_000)
        let done = await simulator.get(path)
        let failing = kind.hasSuffix("-fail")
        #expect(done.string("status") == (failing ? "FAIL" : "SUCCESS"))
        #expect(done.string("end_time") == CloudTime.format(millis: start + 100_000))
        #expect(Set(done.json.keys) == topLevelKeys)
        #expect(Set(done.entities.keys) == progressSeedEntityKeys[kind])
        if failing {
            #expect(done.string("error_code") == "IMG.0084")
            #expect(done.string("fail_reason")?.isEmpty == false)
        } else {
            #expect(done.json["error_code"] is NSNull && done.json["fail_reason"] is NSNull)
            if done.entities["process_percent"] != nil { #expect(done.entities["process_percent"] as? Double == 1) }
        }
        #expect(simulator.pollCount(jobID: id) == 5)
    }

    @Test(arguments: imsKinds)
    func showJobAPIFinishedShape(kind: String) async throws {
        let clock = ManualClock()
        let simulator = makeSimulator(clock: clock)
        let id = try simulator.add(
            SimulatedJobSpec(api: .imsProject, kind: kind, projectID: "p1", durationMillis: 5000))
        clock.advance(byMillis: 5000)
        let done = await simulator.get("/v1/p1/jobs/\(id)")
        #expect(Set(done.json.keys) == topLevelKeys)
        #expect(Set(done.entities.keys) == showJobSeedEntityKeys[kind])
        let otherProject = await simulator.get("/v1/p2/jobs/\(id)")
        #expect(otherProject.status == 404)
    }

    @Test func ovaSubJobsAreListedBeforeTheyHaveResults() async throws {
        let clock = ManualClock()
        let start = clock.now
        let simulator = makeSimulator(clock: clock)
        let id = try simulator.add(SimulatedJobSpec(api: .ims, kind: "imsImportOvaImageJob", durationMillis: 100_000))
        let path = "/v1/cloudimages/job/\(id)"

        clock.set(start + 12_000)
        let early = await simulator.get(path)
        #expect((early.entities["sub_jobs_list"] as? [String])?.count == 2)
        #expect((early.entities["sub_jobs_result"] as? [Any])?.isEmpty == true)

        clock.set(start + 40_000)
        let middle = await simulator.get(path)
        let subJobs = try #require(middle.entities["sub_jobs_result"] as? [[String: Any]])
        try #require(subJobs.map { $0["status"] as? String } == ["RUNNING", "SUCCESS"])
        #expect(subJobs.map { $0["job_type"] as? String } == ["imsImportImageJob", "imsImportDataImageJob"])
        #expect(subJobs[0]["end_time"] as? String == "")
        #expect(middle.string("status") == "RUNNING")

        clock.set(start + 100_000)
        let done = await simulator.get(path)
        let finished = try #require(done.entities["sub_jobs_result"] as? [[String: Any]])
        try #require(finished.map { $0["status"] as? String } == ["SUCCESS", "SUCCESS"])
        #expect(finished.allSatisfy { (($0["entities"] as? [String: Any])?["image_id"] as? String)?.count == 36 })
        #expect(Set(finished[0].keys) == topLevelKeys)
        let listed = try #require(early.entities["sub_jobs_list"] as? [String])
        #expect(finished.map { $0["job_id"] as? String } == listed)
    }

    @Test func failingSubJobFailsBeforeTheJob() async throws {
        let clock = ManualClock()
        let start = clock.now
        let simulator = makeSimulator(clock: clock)
        let id = try simulator.add(SimulatedJobSpec(api: .ims, kind: "ims-subjob-fail", durationMillis: 100_000))
        clock.set(start + 60_000)
        let middle = await simulator.get("/v1/cloudimages/job/\(id)")
        #expect(middle.string("status") == "RUNNING")
        let subJobs = try #require(middle.entities["sub_jobs_result"] as? [[String: Any]])
        try #require(subJobs.count == 2)
        #expect(subJobs[1]["status"] as? String == "FAIL")
        #expect(subJobs[1]["error_code"] as? String == "IMG.0084")
        #expect((subJobs[1]["fail_reason"] as? String)?.isEmpty == false)

        clock.set(start + 100_000)
        let done = await simulator.get("/v1/cloudimages/job/\(id)")
        #expect(done.string("status") == "FAIL")
        #expect(done.string("error_code") == "IMG.0084")
        let finished = try #require(done.entities["sub_jobs_result"] as? [[String: Any]])
        #expect(finished.map { $0["status"] as? String } == ["SUCCESS", "FAIL"])
    }

    @Test func memberJobsReportResultsWhenDone() async throws {
        let clock = ManualClock()
        let simulator = makeSimulator(clock: clock)
        let id = try simulator.add(SimulatedJobSpec(api: .ims, kind: "imsAddImageMembersJob", durationMillis: 2000))
        let running = await simulator.get("/v1/cloudimages/job/\(id)")
        #expect((running.entities["results"] as? [Any])?.isEmpty == true)
        clock.advance(byMillis: 2000)
        let done = await simulator.get("/v1/cloudimages/job/\(id)")
        let results = try #require(done.entities["results"] as? [[String: Any]])
        try #require(results.count == 1)
        #expect(results[0]["status"] as? String == "success")
        #expect(Set(results[0].keys) == ["image_id", "project_id", "status"])
    }

    @Test func finishEndsAJobAtOnceAndOnlyOnce() async throws {
        let clock = ManualClock()
        let simulator = makeSimulator(clock: clock)
        let id = try simulator.add(SimulatedJobSpec(api: .ims, kind: "imsImportOvaImageJob", durationMillis: 600_000))
        clock.advance(byMillis: 5000)
        #expect(simulator.finish(jobID: id, status: "PAUSED") == nil)
        #expect(simulator.finish(jobID: id, status: "SUCCESS") == clock.now)
        #expect(simulator.finish(jobID: id, status: "FAIL") == nil)
        #expect(simulator.finish(jobID: "unknown", status: "SUCCESS") == nil)
        let done = await simulator.get("/v1/cloudimages/job/\(id)")
        #expect(done.string("status") == "SUCCESS")
        #expect(done.string("end_time") == CloudTime.format(millis: clock.now))
        let subJobs = try #require(done.entities["sub_jobs_result"] as? [[String: Any]])
        #expect(subJobs.map { $0["status"] as? String } == ["SUCCESS", "SUCCESS"])
        #expect(simulator.status(jobID: id) == "SUCCESS")
    }

    @Test func forcedFailureCarriesAnErrorCode() async throws {
        let clock = ManualClock()
        let simulator = makeSimulator(clock: clock)
        let id = try simulator.add(SimulatedJobSpec(api: .ims, durationMillis: 600_000))
        clock.advance(byMillis: 120_000)
        #expect(simulator.finish(jobID: id, status: "FAIL") != nil)
        let done = await simulator.get("/v1/cloudimages/job/\(id)")
        #expect(done.string("status") == "FAIL")
        #expect(done.string("error_code") == "IMG.0084")
        let percent = try #require(done.entities["process_percent"] as? Double)
        #expect(percent > 0 && percent < 1)
    }

    @Test func unknownJobsAnswer404InTheServiceShape() async {
        let simulator = makeSimulator(clock: ManualClock())
        let ims = await simulator.get("/v1/cloudimages/job/0123456789abcdef0123456789abcdef")
        #expect(ims.status == 404)
        #expect((ims.json["error"] as? [String: Any])?["code"] as? String == "IMG.0027")
        let workspace = await simulator.get("/v1/p1/image-server-jobs/702364883651395584")
        #expect(workspace.status == 404)
        #expect(workspace.string("error_code") == "WKS.00129901")
        #expect(workspace.header("X-Request-Id")?.count == 32)
        let noAPI = await simulator.get("/v2/whatever")
        #expect(noAPI.status == 404)
        #expect(noAPI.string("error_code") == "APIGW.0101")
    }

    @Test func specsAreValidated() throws {
        let simulator = makeSimulator(clock: ManualClock())
        #expect(throws: SimulatorError.unknownKind("nope")) {
            try simulator.add(SimulatedJobSpec(api: .ims, kind: "nope"))
        }
        #expect(throws: SimulatorError.kindDoesNotFitAPI(kind: "workspace-success", api: "ims")) {
            try simulator.add(SimulatedJobSpec(api: .ims, kind: "workspace-success"))
        }
        #expect(throws: SimulatorError.self) { try simulator.add(SimulatedJobSpec(api: .ims, jobID: "a/b")) }
        #expect(throws: SimulatorError.self) { try simulator.add(SimulatedJobSpec(api: .ims, durationMillis: 0)) }
        try simulator.add(SimulatedJobSpec(api: .ims, jobID: "job-1"))
        #expect(throws: SimulatorError.duplicateJob("job-1")) {
            try simulator.add(SimulatedJobSpec(api: .ims, jobID: "job-1"))
        }
    }
}
