import HuaweiCloud
import JobwatchCore
import Testing

/// Every JSON example of the four API documents in `shared/seeds/`, copied verbatim into `Fixtures/`.
struct FixtureDecodingTests {
    struct Expected: Sendable, CustomTestStringConvertible {
        var file: String
        var api: JobAPI
        var jobID: String
        var jobType: String
        var begin: String
        var end: String
        var progress: Double?
        var imageID: String?
        var imageName: String?
        var subJobIDs: [String]

        var testDescription: String { file }
    }

    /// The 30 successful IMS examples of ShowJobProgress (000) and ShowJob (001). Image ids come from the top
    /// level, else from the first sub-job that has one, else from a member job's `results[0]`.
    static let imsExamples: [Expected] = [
        Expected(
            file: "000-imsAddImageMembersJob.json", api: .ims,
            jobID: "9a175ac79d84d201019d85a1aaa33350", jobType: "imsAddImageMembersJob",
            begin: "2026-04-13T06:57:37.953Z", end: "2026-04-13T06:57:40.252Z", progress: 1,
            imageID: "a24bf5a1-a44c-405a-ae33-4fe92c19d04e", imageName: nil,
            subJobIDs: []
        ),
        Expected(
            file: "000-imsCopyImageInRegionJob.json", api: .ims,
            jobID: "9a175ac79d2a54ad019d2eb4a0e640a4", jobType: "imsCopyImageInRegionJob",
            begin: "2026-03-27T01:17:50.446Z", end: "2026-03-27T01:57:11.143Z", progress: 1,
            imageID: "698a61e2-abde-4151-a778-f9035e214c92", imageName: "name",
            subJobIDs: []
        ),
        Expected(
            file: "000-imsCreateImageByInstance.json", api: .ims,
            jobID: "9a175ac79d2a54ad019d2d11f02349b4", jobType: "imsCreateImageByInstance",
            begin: "2026-03-27T02:14:03.552Z", end: "2026-03-27T02:17:11.351Z", progress: 1,
            imageID: "eacac5cb-1153-4b8c-873c-73e036f5a988", imageName: "name",
            subJobIDs: []
        ),
        Expected(
            file: "000-imsCreateWholeImageByBackupJob.json", api: .ims,
            jobID: "9a175ac89d2a5e14019d3c71ee087693", jobType: "imsCreateWholeImageByBackupJob",
            begin: "2026-03-27T01:17:50.446Z", end: "2026-03-27T01:57:11.143Z", progress: 1,
            imageID: "698a61e2-abde-4151-a778-f9035e214c92", imageName: "name",
            subJobIDs: []
        ),
        Expected(
            file: "000-imsCreateWholeImageByInstanceJob.json", api: .ims,
            jobID: "9a175ac79d2a54ad019d2ece15ca4808", jobType: "imsCreateWholeImageByInstanceJob",
            begin: "2026-03-27T10:19:11.176Z", end: "2026-03-28T10:19:23.952Z", progress: 1,
            imageID: "698a61e2-abde-4151-a778-f9035e214c92", imageName: "name",
            subJobIDs: []
        ),
        Expected(
            file: "000-imsCrossRegionCopyImageJob.json", api: .ims,
            jobID: "9a175ac79d2a54ad019d47145b8f78cd", jobType: "imsCrossRegionCopyImageJob",
            begin: "2026-03-27T01:17:50.446Z", end: "2026-03-27T01:57:11.143Z", progress: 1,
            imageID: "698a61e2-abde-4151-a778-f9035e214c92", imageName: "name",
            subJobIDs: []
        ),
        Expected(
            file: "000-imsDelImageMembersJob.json", api: .ims,
            jobID: "9a175ac89d84d1fe019d85a549ea35c5", jobType: "imsDelImageMembersJob",
            begin: "2026-04-13T07:01:35.336Z", end: "2026-04-13T07:01:36.277Z", progress: 1,
            imageID: nil, imageName: nil,
            subJobIDs: []
        ),
        Expected(
            file: "000-imsImportDataImageJob.json", api: .ims,
            jobID: "9a175ac69d2a5466019d4c2fcc6a32cb", jobType: "imsImportDataImageJob",
            begin: "2026-04-02T03:14:54.184Z", end: "2026-04-02T03:17:07.450Z", progress: 1,
            imageID: "b4609d4a-dcdc-4a54-bb33-8b9778bb9656", imageName: "name",
            subJobIDs: []
        ),
        Expected(
            file: "000-imsImportImageJob.json", api: .ims,
            jobID: "9a175ac89d2a5e14019d2cde77f03a0f", jobType: "imsImportImageJob",
            begin: "2026-03-27T01:17:50.446Z", end: "2026-03-27T01:57:11.143Z", progress: 1,
            imageID: "698a61e2-abde-4151-a778-f9035e214c92", imageName: "name",
            subJobIDs: []
        ),
        Expected(
            file: "000-imsImportOvaImageJob.json", api: .ims,
            jobID: "9a175ac79d2a54ad019d4c35cf71260b", jobType: "imsImportOvaImageJob",
            begin: "2026-04-02T03:21:28.174Z", end: "2026-04-02T03:59:13.786Z", progress: nil,
            imageID: "6d0c5c0e-5505-4ba8-ab65-7e78efe77130", imageName: "name",
            subJobIDs: ["9a175ac79d2a54ad019d4c37b9772673", "9a175ac79d2a54ad019d4c37b9862674"]
        ),
        Expected(
            file: "000-imsNativeExportImageJob.json", api: .ims,
            jobID: "9a175ac79d2a54ad019d2d0a1f074696", jobType: "imsNativeExportImageJob",
            begin: "2026-03-27T01:17:50.446Z", end: "2026-03-27T01:57:11.143Z", progress: 1,
            imageID: "698a61e2-abde-4151-a778-f9035e214c92", imageName: "name",
            subJobIDs: []
        ),
        Expected(
            file: "000-imsNativeImportImageJob.json", api: .ims,
            jobID: "9a175ac89d2a5e14019d3c76e7cc774c", jobType: "imsNativeImportImageJob",
            begin: "2026-03-27T01:17:50.446Z", end: "2026-03-27T01:57:11.143Z", progress: 1,
            imageID: "698a61e2-abde-4151-a778-f9035e214c92", imageName: "name",
            subJobIDs: []
        ),
        Expected(
            file: "000-imsUpdateImageMembersJob.json", api: .ims,
            jobID: "9a175ac79d89b857019d89da380f07f3", jobType: "imsUpdateImageMembersJob",
            begin: "2026-04-14T02:37:53.036Z", end: "2026-04-14T02:37:53.645Z", progress: 1,
            imageID: "e2851247-416e-4bae-8a1d-de14015f635f", imageName: nil,
            subJobIDs: []
        ),
        Expected(
            file: "000-imsVolumeCreateImageJob.json", api: .ims,
            jobID: "9a175ac79d2a54ad019d3c757c246c47", jobType: "imsVolumeCreateImageJob",
            begin: "2026-03-30T01:57:05.698Z", end: "2026-03-30T02:01:45.927Z", progress: 1,
            imageID: "67891716-2e40-4cff-924e-e609017294fc", imageName: "name",
            subJobIDs: []
        ),
        Expected(
            file: "000-imsVolumesToSysDataImagesJob.json", api: .ims,
            jobID: "9a175ac69d2a5466019d4c2294462ed9", jobType: "imsVolumesToSysDataImagesJob",
            begin: "2026-04-02T03:00:27.845Z", end: "2026-04-02T03:03:30.540Z", progress: nil,
            imageID: "51a2a39b-622e-411f-a1a3-9745393baf3d", imageName: "name",
            subJobIDs: ["9a175ac69d2a5466019d4c2299782edd"]
        ),
        Expected(
            file: "001-imsAddImageMembersJob.json", api: .imsProject,
            jobID: "9a175ac692fa12540193002a6d4b2720", jobType: "imsAddImageMembersJob",
            begin: "2024-11-06T06:30:00.778Z", end: "2024-11-06T06:30:03.179Z", progress: nil,
            imageID: "30e55148-deb9-4923-adb9-91618de16ba0", imageName: nil,
            subJobIDs: []
        ),
        Expected(
            file: "001-imsCopyImageInRegionJob.json", api: .imsProject,
            jobID: "9a175ac892fa13420193001c2e62205a", jobType: "imsCopyImageInRegionJob",
            begin: "2024-11-06T06:14:27.168Z", end: "2024-11-06T06:16:38.446Z", progress: nil,
            imageID: "30e55148-deb9-4923-adb9-91618de16ba0", imageName: "test",
            subJobIDs: []
        ),
        Expected(
            file: "001-imsCreateImageByInstance.json", api: .imsProject,
            jobID: "9a175ac792fa12d20193002100dd2762", jobType: "imsCreateImageByInstance",
            begin: "2024-11-06T06:19:43.195Z", end: "2024-11-06T06:23:25.158Z", progress: nil,
            imageID: "3f7185de-b59a-4bb8-aa1d-7a513528b0e9", imageName: "test",
            subJobIDs: []
        ),
        Expected(
            file: "001-imsCreateWholeImageByBackupJob.json", api: .imsProject,
            jobID: "9a175ac892fa13420193002961972392", jobType: "imsCreateWholeImageByBackupJob",
            begin: "2024-11-06T06:28:52.245Z", end: "2024-11-06T06:28:58.399Z", progress: nil,
            imageID: "ea0d5dce-ddb2-4f6f-83e3-55da065347fd", imageName: "test",
            subJobIDs: []
        ),
        Expected(
            file: "001-imsCreateWholeImageByInstanceJob.json", api: .imsProject,
            jobID: "9a175ac792fa12d201930028cddb29c6", jobType: "imsCreateWholeImageByInstanceJob",
            begin: "2024-11-06T06:28:14.425Z", end: "2024-11-06T06:37:03.742Z", progress: nil,
            imageID: "17b7bdeb-2e72-43a0-a202-d36ce344e902", imageName: "test",
            subJobIDs: []
        ),
        Expected(
            file: "001-imsCrossRegionCopyImageJob.json", api: .imsProject,
            jobID: "9a175ac792fa12d20193001f2a2c2641", jobType: "imsCrossRegionCopyImageJob",
            begin: "2024-11-06T06:17:42.699Z", end: "2024-11-06T06:20:22.419Z", progress: nil,
            imageID: "d998b96f-b7e3-4be9-b0c2-9773e592977d", imageName: "test",
            subJobIDs: []
        ),
        Expected(
            file: "001-imsDelImageMembersJob.json", api: .imsProject,
            jobID: "9a175ac792fa12d20193002da96f2ac2", jobType: "imsDelImageMembersJob",
            begin: "2024-11-06T06:33:32.781Z", end: "2024-11-06T06:33:34.181Z", progress: nil,
            imageID: nil, imageName: nil,
            subJobIDs: []
        ),
        Expected(
            file: "001-imsImportDataImageJob.json", api: .imsProject,
            jobID: "9a175ac692fa125401930027b9c026b3", jobType: "imsImportDataImageJob",
            begin: "2024-11-06T06:27:03.742Z", end: "2024-11-06T06:37:03.742Z", progress: nil,
            imageID: "aa5306f7-bc95-4fa3-aa40-dd38fbdf2031", imageName: "test",
            subJobIDs: []
        ),
        Expected(
            file: "001-imsImportImageJob.json", api: .imsProject,
            jobID: "9a175ac892fa1342019300224f22218e", jobType: "imsImportImageJob",
            begin: "2024-11-06T06:21:08.769Z", end: "2024-11-06T06:27:03.742Z", progress: nil,
            imageID: "431df7fd-a898-4dc0-86b1-22cfefb8a517", imageName: "test",
            subJobIDs: []
        ),
        Expected(
            file: "001-imsImportOvaImageJob.json", api: .imsProject,
            jobID: "9a175ac892fa13420193006a49173317", jobType: "imsImportOvaImageJob",
            begin: "2024-11-06T07:39:45.814Z", end: "2024-11-06T07:49:45.814Z", progress: nil,
            imageID: "fc496c19-40c2-4220-8b1a-eba9d53fca7b", imageName: "test",
            subJobIDs: ["9a175ac892fa13420193006c29e133f0"]
        ),
        Expected(
            file: "001-imsNativeExportImageJob.json", api: .imsProject,
            jobID: "9a175ac892fa134201930039db1a27b1", jobType: "imsNativeExportImageJob",
            begin: "2024-11-06T06:46:51.929Z", end: "2024-11-06T06:49:53.657Z", progress: nil,
            imageID: "1ab4df10-fe18-48b7-91c9-53695fcd9df5", imageName: nil,
            subJobIDs: []
        ),
        Expected(
            file: "001-imsNativeImportImageJob.json", api: .imsProject,
            jobID: "9a175ac692fa12540193005389023059", jobType: "imsNativeImportImageJob",
            begin: "2024-11-06T07:14:54.848Z", end: "2024-11-06T07:19:54.848Z", progress: nil,
            imageID: "af8ea1dc-02f2-4019-8fa9-c9952a0077ce", imageName: nil,
            subJobIDs: []
        ),
        Expected(
            file: "001-imsUpdateImageMembersJob.json", api: .imsProject,
            jobID: "9a175ac692fa12540193005c340f321c", jobType: "imsUpdateImageMembersJob",
            begin: "2024-11-06T07:24:22.925Z", end: "2024-11-06T07:24:23.773Z", progress: nil,
            imageID: "6596628c-42d4-4ff1-8660-8ea5ae61f243", imageName: nil,
            subJobIDs: []
        ),
        Expected(
            file: "001-imsVolumeCreateImageJob.json", api: .imsProject,
            jobID: "9a175ac692fa125401930037d9e329aa", jobType: "imsVolumeCreateImageJob",
            begin: "2024-11-06T06:44:40.545Z", end: "2024-11-06T06:47:40.545Z", progress: nil,
            imageID: "21b04ab5-e817-40ee-8d56-7ccdb8820335", imageName: "test",
            subJobIDs: []
        ),
        Expected(
            file: "001-imsVolumesToSysDataImagesJob.json", api: .imsProject,
            jobID: "9a175ac792fa12d201930031febf2bdd", jobType: "imsVolumesToSysDataImagesJob",
            begin: "2024-11-06T06:38:16.765Z", end: "2024-11-06T06:48:16.765Z", progress: nil,
            imageID: "bfb2de92-e7b9-4820-9522-416d8f2c812a", imageName: "test",
            subJobIDs: ["9a175ac792fa12d20193003205b22be1"]
        ),
    ]

    @Test(arguments: imsExamples)
    func imsExampleDecodes(_ expected: Expected) throws {
        let snapshot = try JobResponseDecoder.decode(
            try fixture(expected.file), api: expected.api, requestedJobID: "requested")
        #expect(snapshot.jobID == expected.jobID)
        #expect(snapshot.jobType == expected.jobType)
        #expect(snapshot.status == .success)
        #expect(snapshot.providerStatus == "SUCCESS")
        #expect(snapshot.beginTime == expected.begin)
        #expect(snapshot.endTime == expected.end)
        #expect(snapshot.progress == expected.progress)
        // Every example sends `"current_task": ""` or nothing: no current task.
        #expect(snapshot.currentTask == nil)
        #expect(snapshot.errorCode == nil)
        #expect(snapshot.failReason == nil)
        #expect(snapshot.imageID == expected.imageID)
        #expect(snapshot.imageName == expected.imageName)
        #expect(snapshot.subJobs.map(\.jobID) == expected.subJobIDs)
        #expect(snapshot.entities?.objectValue != nil)
    }

    @Test func everyFixtureIsCovered() throws {
        let others = ["002-createImageByInstance.json", "003-CREATE_SERVER_IMAGE.json"]
        let covered = Set(Self.imsExamples.map(\.file) + others)
        #expect(Set(try fixtureNames()) == covered)
        #expect(try fixtureNames().count == 32)
    }

    @Test func ovaSubJobsCarryTheirOwnImages() throws {
        let snapshot = try JobResponseDecoder.decode(
            try fixture("000-imsImportOvaImageJob.json"), api: .ims, requestedJobID: "requested")
        #expect(snapshot.subJobs.count == 2)
        let data = try #require(snapshot.subJobs.last)
        #expect(data.jobType == "imsImportDataImageJob")
        #expect(data.status == .success)
        #expect(data.providerStatus == "SUCCESS")
        #expect(data.beginTime == "2026-04-02T03:23:33.635Z")
        #expect(data.endTime == "2026-04-02T03:25:45.953Z")
        #expect(data.imageID == "3e0c2b6c-e56f-435a-bcb5-e6a45cccdd75")
        #expect(data.imageName == "name")
        #expect(data.errorCode == nil && data.failReason == nil)
    }

    @Test func listedSubJobAlreadyInResultsIsNotDuplicated() throws {
        let snapshot = try JobResponseDecoder.decode(
            try fixture("001-imsImportOvaImageJob.json"), api: .imsProject, requestedJobID: "requested")
        #expect(snapshot.subJobs.count == 1)
        #expect(snapshot.subJobs.first?.providerStatus == "SUCCESS")
    }

    /// The 2015 example: a trailing comma inside `entities`, an old time format and an empty end time.
    @Test func legacyExampleWithTrailingCommaDecodes() throws {
        let snapshot = try JobResponseDecoder.decode(
            try fixture("002-createImageByInstance.json"), api: .ims, requestedJobID: "requested")
        #expect(snapshot.jobID == "ff8080814dbd65d7014dbe0d84db0013")
        #expect(snapshot.jobType == "createImageByInstance")
        #expect(snapshot.status == .success)
        #expect(snapshot.beginTime == "2015-06-04T18:11:06.586Z")
        #expect(snapshot.endTime == nil)
        #expect(snapshot.progress == 0.24)
        #expect(snapshot.currentTask == "ImportImageTask:ObtainImageInfoTask")
        #expect(snapshot.imageID == "e9e91bff-14b6-4a0b-8377-4ed0813e3360")
        #expect(snapshot.imageName == nil)
        #expect(snapshot.errorCode == nil && snapshot.failReason == nil)
        #expect(snapshot.entities?["current_task"]?.stringValue == "ImportImageTask:ObtainImageInfoTask")
    }

    @Test func workspaceExampleDecodes() throws {
        let snapshot = try JobResponseDecoder.decode(
            try fixture("003-CREATE_SERVER_IMAGE.json"), api: .workspace, requestedJobID: "requested")
        #expect(snapshot.jobID == "702364883651395584")
        #expect(snapshot.jobType == "CREATE_SERVER_IMAGE")
        #expect(snapshot.status == .success)
        #expect(snapshot.providerStatus == "SUCCESS")
        #expect(snapshot.beginTime == "2024-05-20T10:39:49.610Z")
        #expect(snapshot.endTime == "2024-05-20T11:03:24.206Z")
        #expect(snapshot.entities == nil)
        #expect(snapshot.progress == nil)
        let sub = try #require(snapshot.subJobs.first)
        #expect(snapshot.subJobs.count == 1)
        #expect(sub.jobID == "702364884037271552")
        #expect(sub.jobType == "CREATE_SERVER_IMAGE")
        #expect(sub.status == .success)
        #expect(sub.resourceID == "f5d443de-a623-4950-a74d-569fe63c1f7a")
        #expect(sub.resourceName == "123")
        #expect(sub.beginTime == "2024-05-20T10:39:50.723Z")
        #expect(sub.endTime == "2024-05-20T11:03:24.194Z")
        // `"error_code": ""` and `"error_message": ""` mean no error.
        #expect(sub.errorCode == nil)
        #expect(sub.failReason == nil)
    }
}
