import Foundation
import JobwatchCore
import Testing

@Suite struct DecodedEventTests {
    /// What the store writes, read back by the one decoder the views and chat messages use.
    @Test func readsBackWhatCloudEventWrites() throws {
        var record = JobRecord(
            jobID: "9a175ac79d2a54ad019d2d11f02349b4", api: .ims, account: "default", region: "cn-north-4",
            projectID: nil, jobType: "imsCreateImageByInstance", status: .running, providerStatus: "RUNNING",
            progress: 0.4, currentTask: "CreateImage", beginTime: "2026-03-27T02:14:03.552Z",
            registeredAtMillis: 1_763_790_000_000)
        record.errorCode = "IMS.0193"
        record.failReason = "bad file"
        record.imageID = "eacac5cb"
        record.imageName = "nightly"
        let subJob = SubJobSnapshot(
            jobID: "s1", jobType: "imsImportImageJob", status: .fail, providerStatus: "FAIL", errorCode: "E1",
            failReason: "broken")
        let event = CloudEvent(
            id: "0193c0de-0000-7000-8000-000000000001", source: "jobwatch://host/default",
            type: .subJobStatusChanged, subject: record.jobID, timeMillis: 1_763_790_060_123, sequence: 7,
            data: EventData(job: record, previousStatus: .initial, subJob: subJob))

        let decoded = try #require(DecodedEvent(json: try JSONStyle.string(event)))
        #expect(decoded.type == "jobwatch.subjob.status_changed" && decoded.eventType == .subJobStatusChanged)
        #expect(decoded.subject == record.jobID)
        #expect(decoded.previousStatus == "INIT")
        let job = try #require(decoded.job)
        #expect(job.jobID == record.jobID && job.api == "ims" && job.jobType == "imsCreateImageByInstance")
        #expect(job.status == "RUNNING" && job.progress == 0.4 && job.currentTask == "CreateImage")
        #expect(job.beginTime == "2026-03-27T02:14:03.552Z" && job.endTime == nil)
        #expect(job.errorCode == "IMS.0193" && job.failReason == "bad file")
        #expect(job.imageID == "eacac5cb" && job.imageName == "nightly")
        let sub = try #require(decoded.subJob)
        #expect(sub.jobID == "s1" && sub.status == "FAIL" && sub.errorCode == "E1" && sub.failReason == "broken")
    }

    @Test func aPartialBodyGivesWhatItHasAndNonJSONGivesNothing() {
        let partial = DecodedEvent(json: #"{"type":"custom.thing","data":{"job":{"status":"FAIL"}}}"#)
        #expect(partial?.type == "custom.thing" && partial?.eventType == nil)
        #expect(partial?.job?.status == "FAIL" && partial?.job?.jobID == nil && partial?.subJob == nil)
        #expect(DecodedEvent(json: "not json") == nil)
        #expect(DecodedEvent(json: "[1, 2]") == nil)
    }
}
