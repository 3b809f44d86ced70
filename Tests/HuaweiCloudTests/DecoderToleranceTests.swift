import Foundation
import JobwatchCore
import Testing

@testable import HuaweiCloud

/// What the decoder does with bodies the documents do not show but real services send.
struct DecoderToleranceTests {
    private func decode(_ text: String, api: JobAPI = .ims, requested: String = "requested-id") throws -> JobSnapshot {
        try JobResponseDecoder.decode(Array(text.utf8), api: api, requestedJobID: requested)
    }

    private func malformedExcerpt(_ text: String) -> String? {
        do {
            _ = try decode(text)
            return nil
        } catch let CloudError.malformed(excerpt) {
            return excerpt
        } catch {
            return nil
        }
    }

    @Test func bodiesThatAreNotJobsAreMalformedWithAShortOneLineExcerpt() throws {
        let html = "<html>\n<body>Bad gateway</body>\n</html>"
        #expect(malformedExcerpt(html) == "<html> <body>Bad gateway</body> </html>")
        #expect(malformedExcerpt("[1, 2, 3]") == "[1, 2, 3]")
        #expect(malformedExcerpt(#"{"job_id": "abc"}"#) == #"{"job_id": "abc"}"#)
        #expect(malformedExcerpt(#"{"status": 3}"#) != nil)
        #expect(malformedExcerpt("") == "(empty body)")
        let long = try #require(malformedExcerpt(String(repeating: "x\n", count: 5000)))
        #expect(long.count <= 200)
        #expect(!long.contains("\n"))
    }

    @Test func missingJobIDFallsBackToTheRequestedOne() throws {
        #expect(try decode(#"{"status": "RUNNING"}"#).jobID == "requested-id")
        #expect(try decode(#"{"status": "RUNNING", "job_id": ""}"#).jobID == "requested-id")
        #expect(try decode(#"{"status": "RUNNING"}"#, api: .workspace).jobID == "requested-id")
    }

    @Test func unknownStatusIsKeptRaw() throws {
        let snapshot = try decode(#"{"status": "PAUSED", "job_id": "j"}"#)
        #expect(snapshot.status == .unknown)
        #expect(snapshot.providerStatus == "PAUSED")
    }

    @Test func runningIMSJobWithQuotedProgressAndEmptyEndTime() throws {
        let snapshot = try decode(
            #"""
            {"status": "RUNNING", "job_id": "j", "begin_time": "2026-03-27T02:14:03Z", "end_time": "",
             "error_code": "", "fail_reason": null,
             "entities": {"process_percent": "0.5", "current_task": "ImportImageTask:ObtainImageInfoTask"}}
            """#)
        #expect(snapshot.status == .running)
        #expect(snapshot.progress == 0.5)
        #expect(snapshot.currentTask == "ImportImageTask:ObtainImageInfoTask")
        #expect(snapshot.beginTime == "2026-03-27T02:14:03.000Z")
        #expect(snapshot.endTime == nil)
        #expect(snapshot.errorCode == nil)
    }

    @Test func unparseableTimeIsKeptRaw() throws {
        #expect(try decode(#"{"status": "INIT", "begin_time": "yesterday"}"#).beginTime == "yesterday")
    }

    @Test func failedIMSJobFallsBackToEntitiesErrorOnlyWhenTopLevelIsEmpty() throws {
        let fromEntities = try decode(
            #"""
            {"status": "FAIL", "error_code": null, "fail_reason": "",
             "entities": {"error_code": "IMG.0008", "error": "The image file is invalid."}}
            """#)
        #expect(fromEntities.status == .fail)
        #expect(fromEntities.errorCode == "IMG.0008")
        #expect(fromEntities.failReason == "The image file is invalid.")

        let topLevel = try decode(
            #"""
            {"status": "FAIL", "error_code": "IMG.0001", "fail_reason": "top",
             "entities": {"error_code": "IMG.0008", "error": "nested"}}
            """#)
        #expect(topLevel.errorCode == "IMG.0001")
        #expect(topLevel.failReason == "top")
    }

    @Test func subJobsListedButNotYetReportedHaveNoStatus() throws {
        let snapshot = try decode(
            #"""
            {"status": "RUNNING", "job_id": "parent", "entities": {
              "sub_jobs_result": [{"job_id": "a", "status": "RUNNING", "job_type": "imsImportImageJob",
                                   "error_code": "", "entities": {"image_id": "img-a", "image_name": ""}}],
              "sub_jobs_list": ["a", "b"]}}
            """#)
        try #require(snapshot.subJobs.map(\.jobID) == ["a", "b"])
        #expect(snapshot.subJobs[0].status == .running)
        #expect(snapshot.subJobs[0].imageName == nil)
        #expect(snapshot.subJobs[1].status == .unknown)
        #expect(snapshot.subJobs[1].providerStatus == nil)
        #expect(snapshot.imageID == "img-a")
    }

    @Test func workspaceFailureDetailsAndStatuses() throws {
        let snapshot = try decode(
            #"""
            {"id": "w1", "job_type": "CREATE_SERVER", "status": "FAILED", "begin_time": "2024-05-20T10:39:49.61Z",
             "end_time": "", "sub_jobs": [
               {"id": "s1", "status": "ROLLBACK", "job_resource_info": {"resource_id": "", "resource_name": ""}},
               {"id": "s2", "status": "ABNORMAL",
                "job_execute_info": {"error_code": "WKS.0001", "error_message": "quota exceeded"}},
               {"id": "s3", "status": "WAITING"}]}
            """#, api: .workspace)
        #expect(snapshot.status == .fail)
        #expect(snapshot.providerStatus == "FAILED")
        #expect(snapshot.endTime == nil)
        try #require(snapshot.subJobs.map(\.status) == [.running, .abnormal, .initial])
        #expect(snapshot.subJobs[0].resourceID == nil)
        #expect(snapshot.subJobs[1].errorCode == "WKS.0001")
        #expect(snapshot.subJobs[1].failReason == "quota exceeded")
    }
}

/// The repair pass behind the tolerant parse, for decoders stricter than this platform's `JSONDecoder`.
struct TrailingCommaRepairTests {
    @Test func removesTrailingCommasOutsideStringsOnly() {
        let input = #"{"a": [1, 2, ], "b": "x,}", "c": {"d": "\",]",  }, }"#
        let repaired = String(decoding: TolerantJSON.removingTrailingCommas(Array(input.utf8)), as: UTF8.self)
        #expect(repaired == #"{"a": [1, 2 ], "b": "x,}", "c": {"d": "\",]"  } }"#)
    }

    @Test func parsesTheLegacyFixtureAfterRepair() throws {
        let repaired = TolerantJSON.removingTrailingCommas(try fixture("002-createImageByInstance.json"))
        let strict = try JSONSerialization.jsonObject(with: Data(repaired)) as? [String: Any]
        #expect(strict?["job_id"] as? String == "ff8080814dbd65d7014dbe0d84db0013")
    }
}
