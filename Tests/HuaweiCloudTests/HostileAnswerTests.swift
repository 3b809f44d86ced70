import Foundation
import JobwatchCore
import PropertyBased
import Testing

@testable import HuaweiCloud

/// Answers a hostile or broken cloud sends: each field of the wrong type is absent for that field only.
struct HostileAnswerTests {
    private func decode(_ text: String, api: JobAPI = .ims) throws -> DecodedJob {
        try JobResponseDecoder.decodeReportingProblems(Array(text.utf8), api: api, requestedJobID: "requested")
    }

    @Test func aFieldOfTheWrongTypeIsAbsentAndNamedTheRestIsUsed() throws {
        let decoded = try decode(
            #"""
            {"status": "RUNNING", "job_id": "j", "job_type": {"nested": true}, "begin_time": 17,
             "fail_reason": ["a"], "error_code": 42,
             "entities": {"process_percent": "NaN", "current_task": "Task", "image_id": true,
                          "sub_jobs_result": {"not": "an array"}, "sub_jobs_list": "s1"}}
            """#)
        let snapshot = decoded.snapshot
        #expect(snapshot.status == .running)
        #expect(snapshot.jobID == "j")
        #expect(snapshot.jobType == nil)
        #expect(snapshot.beginTime == nil)
        #expect(snapshot.failReason == nil)
        #expect(snapshot.errorCode == "42")  // an unquoted code is still a code
        #expect(snapshot.progress == nil)
        #expect(snapshot.currentTask == "Task")
        #expect(snapshot.imageID == nil)
        #expect(snapshot.subJobs.isEmpty)
        let named = decoded.problems.joined(separator: "\n")
        for field in [
            "job_type", "begin_time", "fail_reason", "entities.process_percent", "entities.image_id",
            "entities.sub_jobs_result", "entities.sub_jobs_list",
        ] {
            #expect(named.contains(field + ":"), "\(field) not named in \(named)")
        }
    }

    @Test func progressOutsideTheUnitIntervalIsUnknown() throws {
        for value in [#""NaN""#, #""Infinity""#, #""-inf""#, "1e308", "-0.5", "1.5", "100", #""abc""#, "{}", "[]"] {
            let decoded = try decode(#"{"status": "RUNNING", "entities": {"process_percent": \#(value)}}"#)
            #expect(decoded.snapshot.progress == nil, "\(value)")
            #expect(decoded.problems.count == 1, "\(value)")
        }
        #expect(
            try decode(#"{"status": "RUNNING", "entities": {"process_percent": "0.25"}}"#).snapshot.progress == 0.25)
        #expect(try decode(#"{"status": "RUNNING", "entities": {"process_percent": 1e-300}}"#).problems.isEmpty)
    }

    @Test func subJobsAreDeduplicatedAndCappedInLinearTime() throws {
        // 50,000 listed ids (most duplicated) decode in well under a second; only the first 1,000 are kept.
        let results = (0..<1500).map { #"{"job_id": "s\#($0)", "status": "RUNNING"}"# }.joined(separator: ",")
        let list = (0..<50_000).map { #""s\#($0 % 3000)""# }.joined(separator: ",")
        let body =
            #"{"status": "RUNNING", "entities": {"sub_jobs_result": [\#(results)], "sub_jobs_list": [\#(list)]}}"#
        let decoded = try decode(body)
        #expect(decoded.snapshot.subJobs.count == JobResponseDecoder.maxSubJobs)
        #expect(Set(decoded.snapshot.subJobs.map(\.jobID)).count == JobResponseDecoder.maxSubJobs)
        #expect(decoded.snapshot.subJobs.first?.jobID == "s0")
        #expect(decoded.problems.contains { $0.contains("only the first 1000") })
    }

    @Test func aHugeTextFieldIsCut() throws {
        let reason = String(repeating: "x", count: 100_000)
        let snapshot = try decode(#"{"status": "FAIL", "fail_reason": "\#(reason)"}"#).snapshot
        #expect(snapshot.failReason?.unicodeScalars.count == EventSize.maxTextScalars)
        #expect(snapshot.failReason?.hasSuffix("…") == true)
    }

    @Test func deeplyNestedBodiesAreRefusedNotRecursedInto() {
        let deep = String(repeating: "[", count: 100_000) + String(repeating: "]", count: 100_000)
        let body = #"{"status": "RUNNING", "entities": \#(deep)}"#
        #expect(throws: CloudError.self) { try decode(body) }
    }

    @Test func aWorkspaceAnswerWithWrongTypesKeepsItsStatus() throws {
        let decoded = try decode(
            #"{"id": 7, "status": "RUNNING", "sub_jobs": [{"id": "a", "status": 3}, "junk", {"status": "SUCCESS"}]}"#,
            api: .workspace)
        #expect(decoded.snapshot.status == .running)
        #expect(decoded.snapshot.jobID == "7")
        #expect(decoded.snapshot.subJobs.map(\.jobID) == ["a"])
        #expect(decoded.problems.count >= 2)
    }
}

/// Any bytes at all give a snapshot or `CloudError.malformed`, never a trap, and what they give is in range.
struct DecoderProperties {
    static let tokens = [
        "{", "}", "[", "]", ",", ":", " ", "\"status\"", "\"RUNNING\"", "\"SUCCESS\"", "\"entities\"",
        "\"process_percent\"", "\"NaN\"", "1e308", "-1", "0.5", "1e-300", "\"sub_jobs_result\"", "\"sub_jobs_list\"",
        "\"job_id\"", "\"a\"", "\"sub_jobs\"", "\"id\"", "null", "true", "\"begin_time\"", "\"2026-01-01T00:00:00Z\"",
        "\"\\u0000\"", "\"\\ud800\"", "\u{FF}", "\"job_execute_info\"", "\"error_code\"", "99999999999999999999999",
    ]

    @Test func anyBodyDecodesOrIsMalformed() async {
        let apis = Gen<JobAPI?>.element(of: JobAPI.allCases).map { $0 ?? .ims }
        await propertyCheck(count: 3000, input: tokenSoup(Self.tokens, length: 0...40), apis) { text, api in
            do {
                let decoded = try JobResponseDecoder.decodeReportingProblems(
                    Array(text.utf8), api: api, requestedJobID: "r")
                let snapshot = decoded.snapshot
                #expect(ProgressFraction.validated(snapshot.progress) == snapshot.progress)
                #expect(snapshot.subJobs.count <= JobResponseDecoder.maxSubJobs)
                #expect(Set(snapshot.subJobs.map(\.jobID)).count == snapshot.subJobs.count)
                #expect(decoded.problems.count <= FieldReader.maxProblems + 1)
                // Whatever was decoded can be stored and sent.
                #expect((try? JSONStyle.string(snapshot.entities)) != nil)
            } catch {
                #expect(error is CloudError)
            }
        }
    }

    @Test func anyWellFormedStatusAnswerWithRandomFieldsDecodes() async {
        let values = [
            "\"x\"", "1", "-1e308", "\"NaN\"", "{}", "[]", "[1,\"a\",{}]", "{\"a\":[]}", "null", "true", "\"\"",
        ]
        let fields = [
            "job_id", "job_type", "begin_time", "end_time", "error_code", "fail_reason", "sub_jobs",
            "process_percent", "current_task", "sub_jobs_result", "sub_jobs_list", "image_id",
        ]
        let member = Gen<String?>.element(of: fields).map { $0 ?? "job_id" }
        let value = Gen<String?>.element(of: values).map { $0 ?? "null" }
        let pair = zip(member, value).map { "\"\($0)\": \($1)" }
        await propertyCheck(count: 2000, input: pair.array(of: 0...8), Gen.bool) { pairs, nested in
            let inner = "{" + pairs.joined(separator: ", ") + "}"
            let body =
                #"{"status": "RUNNING", "entities": \#(nested ? inner : "{}"), \#(pairs.joined(separator: ", "))}"#
                .replacingOccurrences(of: ", }", with: "}")
            for api in JobAPI.allCases {
                let decoded = try? JobResponseDecoder.decodeReportingProblems(
                    Array(body.utf8), api: api, requestedJobID: "r")
                // A duplicated key makes the JSON invalid for some parsers; everything else must decode.
                if Set(pairs.map { $0.prefix(while: { $0 != ":" }) }).count == pairs.count {
                    #expect(decoded?.snapshot.status == .running, "\(body)")
                }
            }
        }
    }
}

func tokenSoup(_ tokens: [String], length: ClosedRange<Int> = 0...10) -> Generator<String, some SendableSequenceType> {
    Gen<String?>.element(of: tokens).array(of: length).map { $0.compactMap { $0 }.joined() }
}
