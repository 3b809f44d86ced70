import Foundation
import JobwatchCore
import Testing

/// `register --from-json`: the shapes of the seed API documents, and everything else refused in one line.
@Suite struct CreateCallOutputTests {
    func references(_ text: String) throws -> [JobReference] {
        try CreateCallOutput.references(in: Data(text.utf8))
    }

    func problem(_ text: String) -> String? {
        do {
            _ = try references(text)
            return nil
        } catch let problem as CreateCallOutput.Problem {
            return problem.message
        } catch {
            return "\(error)"
        }
    }

    @Test func anIMSCreateCallNamesOneJobAndLeavesTheAPIToTheCaller() throws {
        // What `hcloud IMS CreateImage …` and every IMS create call print.
        #expect(
            try references(#"{"job_id": "9a175ac79d2a54ad019d2d11f02349b4"}"#)
                == [JobReference(jobID: "9a175ac79d2a54ad019d2d11f02349b4")])
    }

    @Test func anIMSJobAnswerIsAcceptedToo() throws {
        // The ShowJob example of the IMS document (001).
        let answer = """
            { "job_id": "9a175ac792fa12d20193002100dd2762", "job_type": "imsCreateImageByInstance",
              "begin_time": "2024-11-06T06:19:43.195Z", "end_time": "2024-11-06T06:23:25.158Z", "status": "SUCCESS",
              "error_code": null, "fail_reason": null,
              "entities": { "image_name": "test", "image_id": "3f7185de-b59a-4bb8-aa1d-7a513528b0e9" } }
            """
        #expect(try references(answer) == [JobReference(jobID: "9a175ac792fa12d20193002100dd2762")])
    }

    @Test func aWorkspaceAnswerTellsTheAPIAndTheProject() throws {
        // The ShowImageJob example of the Workspace document (003), verbatim.
        let answer = """
            {
              "id" : "702364883651395584",
              "job_type" : "CREATE_SERVER_IMAGE",
              "begin_time" : "2024-05-20T10:39:49.61Z",
              "end_time" : "2024-05-20T11:03:24.206Z",
              "status" : "SUCCESS",
              "sub_jobs_total" : 1,
              "sub_jobs" : [ {
                "id" : "702364884037271552",
                "job_type" : "CREATE_SERVER_IMAGE",
                "job_resource_info" : {
                  "resource_id" : "f5d443de-a623-4950-a74d-569fe63c1f7a",
                  "resource_name" : "123"
                },
                "begin_time" : "2024-05-20T10:39:50.723Z",
                "end_time" : "2024-05-20T11:03:24.194Z",
                "status" : "SUCCESS",
                "job_execute_info" : {
                  "error_code" : "",
                  "error_message" : ""
                },
                "project_id" : "a4da8115c9d8464ead3a38309130523f",
                "job_id" : "702364883651395584"
              } ]
            }
            """
        #expect(
            try references(answer) == [
                JobReference(
                    jobID: "702364883651395584", api: .workspace, projectID: "a4da8115c9d8464ead3a38309130523f")
            ])
        #expect(
            try references(#"{"id": "702364883651395584", "job_type": "CREATE_SERVER_IMAGE", "status": "WAITING"}"#)
                == [JobReference(jobID: "702364883651395584", api: .workspace)])
    }

    @Test func arraysAndListsOfIDsNameEveryJobOnce() throws {
        let text = """
            [{"job_id": "9a175ac79d2a54ad019d2d11f02349b4"}, "9a175ac89d2a5e14019d2cde77f03a0f",
             {"job_id": "9a175ac79d2a54ad019d2d11f02349b4"}, {"id": "702364883651395584", "sub_jobs": []}]
            """
        #expect(
            try references(text) == [
                JobReference(jobID: "9a175ac79d2a54ad019d2d11f02349b4"),
                JobReference(jobID: "9a175ac89d2a5e14019d2cde77f03a0f"),
                JobReference(jobID: "702364883651395584", api: .workspace),
            ])
        #expect(try references(#"{"job_ids": ["a1", "b2"]}"#).map(\.jobID) == ["a1", "b2"])
    }

    @Test func unknownShapesAreRefusedInOneLineSayingWhatWasExpected() {
        let cases: [(String, String)] = [
            ("not json", "is not JSON"),
            ("42", "the input is a number"),
            ("[]", "empty array"),
            (#"{"image_id": "x", "status": "ok"}"#, "keys: image_id, status"),
            (#"{"job_id": 702364883651395584}"#, "job ids are strings"),
            ("[1]", "element 0 of the array is a number"),
            (#"{"job_id": "a/b"}"#, "contains '/'"),
            (#"{"job_id": ""}"#, "the job id is empty"),
            (#"{"job_ids": []}"#, "non-empty array"),
        ]
        for (input, expected) in cases {
            let message = problem(input)
            #expect(message?.contains(expected) == true, "\(input): \(message ?? "accepted")")
            #expect(message?.contains("\n") == false)
        }
        #expect(problem("{}")?.contains(#"expected {"job_id": "…"}"#) == true)
    }
}
