import Foundation
import HuaweiCloud
import JobwatchCore
import JobwatchSimulator
import JobwatchTestKit
import Testing

/// Secrets must not travel back in error texts, whatever the cloud or the HTTP client says.
struct SecretLeakTests {
    static let runningJob = #"{"status": "RUNNING", "job_id": "job-1", "entities": {}}"#

    func client(_ http: CloudHTTPClient, _ account: CloudAccount) -> JobClient {
        JobClient(
            httpClient: http, account: account, requestTimeoutMillis: 10_000, environment: [:],
            logger: CapturedLog().logger)
    }

    @Test func aTokenWithALineBreakNeverReachesTheErrorText() async throws {
        // The configuration refuses such a token (exit 78); this is the client's own defence.
        let token = "tok-SECRET-part\r\nX-Injected: 1"
        try await withLoopbackCloud(handler: { _ in .json(200, Self.runningJob) }) { server, http in
            let account = CloudAccount(
                name: "t", region: nil, projectID: nil, auth: .token(token),
                endpointOverrides: [.ims: EndpointOverride(URL(string: server.baseURL)!)])
            let result = await client(http, account).fetchJob(api: .ims, jobID: "job-1", projectID: nil)
            guard case .failure(let error) = result else {
                Issue.record("a header with a line break was sent: \(result)")
                return
            }
            #expect(!error.summary.contains("SECRET"), "\(error.summary)")
            #expect(!error.summary.contains("Injected"), "\(error.summary)")
        }
    }

    @Test func aJobAnswerEchoingTheSecretIsRedactedEverywhereItIsKept() async throws {
        let secretKey = "SK-echoed/secret"
        let echo = #"""
            {"status": "FAIL", "job_id": "job-1", "fail_reason": "bad key SK-echoed/secret",
             "entities": {"note": "SK-echoed\/secret"}}
            """#
        try await withLoopbackCloud(handler: { _ in .json(200, echo) }) { server, http in
            let account = CloudAccount(
                name: "t", region: nil, projectID: nil,
                auth: .accessKey(ak: "AK", sk: secretKey, securityToken: nil),
                endpointOverrides: [.ims: EndpointOverride(URL(string: server.baseURL)!)])
            let fetched = try await client(http, account).fetchJob(api: .ims, jobID: "job-1", projectID: nil).get()
            #expect(fetched.snapshot.failReason == "bad key [REDACTED]")
            #expect(!fetched.body.contains("SK-echoed"), "\(fetched.body)")
        }
    }

    @Test func aMalformed2xxBodyEchoingTheSecretIsRedacted() async throws {
        let secretKey = "SK-in-a-broken-body"
        try await withLoopbackCloud(handler: { _ in .text(200, "<html>SK-in-a-broken-body</html>") }) {
            server, http in
            let account = CloudAccount(
                name: "t", region: nil, projectID: nil,
                auth: .accessKey(ak: "AK", sk: secretKey, securityToken: nil),
                endpointOverrides: [.ims: EndpointOverride(URL(string: server.baseURL)!)])
            let result = await client(http, account).fetchJob(api: .ims, jobID: "job-1", projectID: nil)
            guard case .failure(.malformed(let excerpt)) = result else {
                Issue.record("expected malformed, got \(result)")
                return
            }
            #expect(excerpt.contains("[REDACTED]") && !excerpt.contains(secretKey))
        }
    }

    @Test func anIdThatWouldLeaveItsPathSegmentIsNeverRequested() async throws {
        let log = RequestLog()
        try await withLoopbackCloud(handler: { request in
            await log.record(request)
            return .json(200, Self.runningJob)
        }) { server, http in
            let account = CloudAccount(
                name: "t", region: nil, projectID: nil, auth: .token("t"),
                endpointOverrides: [.ims: EndpointOverride(URL(string: server.baseURL)!)])
            for id in ["..", ".", "a/../b", "a%2F"] {
                let result = await client(http, account).fetchJob(api: .ims, jobID: id, projectID: nil)
                guard case .failure(.rejected) = result else {
                    Issue.record("\(id): \(result)")
                    continue
                }
            }
            #expect(await log.requests.isEmpty)
        }
    }
}
