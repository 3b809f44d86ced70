import Foundation
import JobwatchCore
import Testing

@Suite struct JobRecordTests {
    @Test func encodesEveryContractKeyWithExplicitNulls() throws {
        let record = JobRecord(
            jobID: "9a175ac79d2a54ad019d2d11f02349b4", api: .imsProject, account: "default", region: "cn-north-4",
            projectID: "p", registeredAtMillis: 1_763_790_000_000, nextPollAtMillis: 1_763_790_007_500,
            subJobs: [
                SubJobSnapshot(jobID: "s", jobType: "imsImportImageJob", status: .success, providerStatus: "SUCCESS")
            ])
        let object = try #require(
            JSONSerialization.jsonObject(with: JSONStyle.encoder().encode(record)) as? [String: Any])
        let expected: Set<String> = [
            "job_id", "api", "account", "region", "project_id", "job_type", "status", "provider_status", "tracking",
            "progress", "current_task", "begin_time", "end_time", "error_code", "fail_reason", "image_id", "image_name",
            "entities", "labels", "registered_at", "last_polled_at", "next_poll_at", "polls", "sub_jobs",
        ]
        #expect(Set(object.keys) == expected)
        #expect(object["api"] as? String == "ims-project")
        #expect(object["end_time"] is NSNull)
        #expect(object["registered_at"] as? String == "2025-11-22T05:40:00.000Z")
        #expect(object["next_poll_at"] as? String == "2025-11-22T05:40:07.500Z")
        let sub = try #require((object["sub_jobs"] as? [[String: Any]])?.first)
        #expect(
            Set(sub.keys) == [
                "job_id", "job_type", "status", "provider_status", "begin_time", "end_time", "error_code",
                "fail_reason",
                "image_id", "image_name", "resource_id", "resource_name",
            ])
    }

    @Test func nextPollIsNullOnceTrackingEnds() throws {
        var record = JobRecord(
            jobID: "j", api: .ims, account: "a", region: nil, projectID: nil, registeredAtMillis: 0, nextPollAtMillis: 5
        )
        record.tracking = .done
        let object = try #require(
            JSONSerialization.jsonObject(with: JSONStyle.encoder().encode(record)) as? [String: Any])
        #expect(object["next_poll_at"] is NSNull)
    }
}
