import Foundation
import HuaweiCloud
import JobwatchCore
import JobwatchSimulator
import JobwatchTestKit
import Logging
import Testing

/// The client against a loopback server playing the cloud: what goes on the wire and how answers are classed.
struct JobClientTests {
    static let projectID = "0123456789abcdef0123456789abcdef"
    static let secretKey = "SK-very-secret-0000"
    static let securityToken = "STS-temporary-token-1111"

    private func account(
        _ server: LoopbackHTTPServer, projectID: String? = projectID, securityToken: String? = securityToken
    ) -> CloudAccount {
        CloudAccount(
            name: "main", region: "cn-north-4", projectID: projectID,
            auth: .accessKey(ak: "AKTEST", sk: Self.secretKey, securityToken: securityToken),
            endpointOverrides: [
                .ims: EndpointOverride(URL(string: server.baseURL)!),
                .workspace: EndpointOverride(URL(string: server.baseURL + "/gateway/")!),
            ])
    }

    private func client(
        _ http: CloudHTTPClient, _ account: CloudAccount, timeout: Int64 = 10_000,
        clock: ManualClock = ManualClock(1_780_000_000_000),
        logs: CapturedLog = CapturedLog()
    ) -> JobClient {
        JobClient(
            httpClient: http, account: account, requestTimeoutMillis: timeout, environment: [:], logger: logs.logger,
            now: clock.closure)
    }

    private static let runningJob = #"{"job_id":"job-1","status":"RUNNING","entities":{"process_percent":0.5}}"#

    @Test func signedRequestOnTheWire() async throws {
        let log = RequestLog()
        let clock = ManualClock(1_780_000_000_000)
        try await withLoopbackCloud(handler: { request in
            await log.record(request)
            return .json(200, Self.runningJob, headers: [("X-Request-Id", "req-42")])
        }) { server, http in
            let result = await client(http, account(server), clock: clock)
                .fetchJob(api: .ims, jobID: "job-1", projectID: nil)
            let job = try result.get()
            #expect(job.snapshot.status == .running)
            #expect(job.snapshot.progress == 0.5)
            #expect(job.requestID == "req-42")
            #expect(job.body == Self.runningJob)

            let request = try #require(await log.requests.first)
            #expect(request.method == "GET")
            #expect(request.uri == "/v1/cloudimages/job/job-1")
            #expect(request.header("Host") == "127.0.0.1:\(server.port)")
            #expect(request.header("X-Project-Id") == Self.projectID)
            #expect(request.header("X-Security-Token") == Self.securityToken)
            #expect(request.header("X-Sdk-Date") == CloudTime.sdkDate(millis: clock.now))
            let auth = try #require(GatewayCheck.authorization(request))
            #expect(auth.accessKey == "AKTEST")
            #expect(auth.signedHeaders == ["host", "x-project-id", "x-sdk-date", "x-security-token"])
            #expect(GatewayCheck.signatureIsValid(request, secretKey: Self.secretKey))
            #expect(!GatewayCheck.signatureIsValid(request, secretKey: "another-key"))
        }
    }

    @Test func projectScopedPathsKeepTheEndpointPrefix() async throws {
        let log = RequestLog()
        try await withLoopbackCloud(handler: { request in
            await log.record(request)
            return request.path.contains("image-server-jobs")
                ? .json(200, #"{"id":"w-1","status":"WAITING"}"#)
                : .json(200, Self.runningJob)
        }) { server, http in
            let jobs = client(http, account(server, securityToken: nil))
            let project = try await jobs.fetchJob(api: .imsProject, jobID: "job-1", projectID: "p-9").get()
            #expect(project.snapshot.jobID == "job-1")
            let workspace = try await jobs.fetchJob(api: .workspace, jobID: "w-1", projectID: nil).get()
            #expect(workspace.snapshot.status == .initial)
            #expect(workspace.snapshot.providerStatus == "WAITING")

            let requests = await log.requests
            let workspacePath = "/gateway/v1/\(Self.projectID)/image-server-jobs/w-1"
            #expect(requests.map(\.uri) == ["/v1/p-9/jobs/job-1", workspacePath])
            #expect(requests.map { $0.header("X-Project-Id") } == ["p-9", Self.projectID])
            for request in requests {
                #expect(request.header("X-Security-Token") == nil)
                #expect(GatewayCheck.authorization(request)?.signedHeaders == ["host", "x-project-id", "x-sdk-date"])
                #expect(GatewayCheck.signatureIsValid(request, secretKey: Self.secretKey))
            }
        }
    }

    @Test func imsWithoutAnyProjectSignsOnlyHostAndDate() async throws {
        let log = RequestLog()
        try await withLoopbackCloud(handler: { request in
            await log.record(request)
            return .json(200, Self.runningJob)
        }) { server, http in
            _ = try await client(http, account(server, projectID: nil, securityToken: nil))
                .fetchJob(api: .ims, jobID: "job-1", projectID: nil).get()
            let request = try #require(await log.requests.first)
            #expect(request.header("X-Project-Id") == nil)
            #expect(GatewayCheck.authorization(request)?.signedHeaders == ["host", "x-sdk-date"])
            #expect(GatewayCheck.signatureIsValid(request, secretKey: Self.secretKey))
        }
    }

    @Test func projectScopedAPIWithoutProjectIsRejectedBeforeAnyRequest() async throws {
        let log = RequestLog()
        try await withLoopbackCloud(handler: { request in
            await log.record(request)
            return .json(200, Self.runningJob)
        }) { server, http in
            let result = await client(http, account(server, projectID: nil))
                .fetchJob(api: .workspace, jobID: "w", projectID: nil)
            guard case .failure(.rejected(let detail)) = result else {
                Issue.record("expected rejected, got \(result)")
                return
            }
            #expect(detail.status == 0)
            #expect(detail.message?.contains("project id") == true)
            #expect(await log.requests.isEmpty)
        }
    }

    @Test func staticTokenIsSentAsXAuthToken() async throws {
        let log = RequestLog()
        try await withLoopbackCloud(handler: { request in
            await log.record(request)
            return .json(200, Self.runningJob)
        }) { server, http in
            let account = CloudAccount(
                name: "t", region: nil, projectID: Self.projectID, auth: .token("static-token-value"),
                endpointOverrides: [.ims: EndpointOverride(URL(string: server.baseURL)!)])
            _ = try await client(http, account).fetchJob(api: .imsProject, jobID: "job-1", projectID: nil).get()
            let request = try #require(await log.requests.first)
            #expect(request.header("X-Auth-Token") == "static-token-value")
            #expect(request.header("Authorization") == nil)
            #expect(request.header("X-Sdk-Date") == nil)
        }
    }

    /// Each error answer, by the job id requested.
    private static func errorAnswer(_ request: ServerRequest) -> ServerResponse {
        switch request.path.split(separator: "/").last.map(String.init) ?? "" {
        case "throttled":
            return .json(
                429, #"{"error_code":"APIGW.0308","error_msg":"The throttling threshold has been reached"}"#,
                headers: [("Retry-After", "2")])
        case "throttled-date":
            // The test clock starts at 1780000000000 ms = Thu, 28 May 2026 20:26:40 GMT.
            return .json(429, "", headers: [("Retry-After", "Thu, 28 May 2026 20:26:45 GMT")])
        case "unauthorized":
            // The gateway echoes its canonical request, which holds the signed security token.
            let message =
                "Incorrect IAM authentication information: verify aksk signature fail, "
                + "canonicalRequest GET|/v1/cloudimages/job/unauthorized/||x-security-token:\(securityToken)|"
            return .json(
                401, #"{"error_code":"APIGW.0301","error_msg":"\#(message)","request_id":"body-id"}"#,
                headers: [("X-Request-Id", "header-id")])
        case "forbidden":
            return .json(403, #"{"error":{"code":"IMG.0003","message":"No permission"}}"#)
        case "missing":
            return .json(404, #"{"error":{"code":"IMG.0024","message":"The job does not exist."}}"#)
        case "broken":
            return .json(500, #"{"error_code":"IMG.0001","error_msg":"internal error"}"#)
        case "bad":
            return .json(400, #"{"error_code":"IMG.0002","error_msg":"bad request"}"#)
        case "html":
            return ServerResponse(
                status: 200, headers: [("Content-Type", "text/html")], body: Array("<html>oops</html>".utf8))
        case "dropped":
            return .dropped
        default:
            return .json(200, runningJob)
        }
    }

    @Test func eachErrorClass() async throws {
        try await withLoopbackCloud(handler: { Self.errorAnswer($0) }) { server, http in
            let logs = CapturedLog()
            let jobs = client(http, account(server), logs: logs)
            func fetch(_ id: String) async -> CloudError? {
                if case .failure(let error) = await jobs.fetchJob(api: .ims, jobID: id, projectID: nil) { return error }
                return nil
            }
            let throttled = await fetch("throttled")
            #expect(
                throttled
                    == .throttled(
                        retryAfterMillis: 2000,
                        detail: CloudErrorDetail(
                            status: 429, code: "APIGW.0308", message: "The throttling threshold has been reached")))
            if case .throttled(let wait, _) = await fetch("throttled-date") {
                #expect(wait == 5000)
            } else {
                Issue.record("HTTP-date Retry-After")
            }

            guard case .unauthorized(let detail) = await fetch("unauthorized") else {
                Issue.record("401")
                return
            }
            #expect(detail.status == 401 && detail.code == "APIGW.0301" && detail.requestID == "header-id")
            let message = try #require(detail.message)
            #expect(message.contains("canonicalRequest GET|/v1/cloudimages/job/unauthorized/|"))
            #expect(!message.contains(Self.securityToken))

            #expect(
                await fetch("forbidden")
                    == .forbidden(
                        CloudErrorDetail(
                            status: 403, code: "IMG.0003", message: "No permission")))
            #expect(
                await fetch("missing")
                    == .notFound(
                        CloudErrorDetail(
                            status: 404, code: "IMG.0024", message: "The job does not exist.")))
            if case .transient(let reason) = await fetch("broken") {
                #expect(reason.contains("500"))
            } else {
                Issue.record("500")
            }
            #expect(
                await fetch("bad")
                    == .rejected(
                        CloudErrorDetail(
                            status: 400, code: "IMG.0002", message: "bad request")))
            #expect(await fetch("html") == .malformed(excerpt: "<html>oops</html>"))
            if case .transient = await fetch("dropped") {} else { Issue.record("dropped connection") }
            #expect(await fetch("fine") == nil)

            let logged = logs.text
            #expect(logged.contains("job_id=unauthorized"))
            #expect(logged.contains("account=main"))
            #expect(!logged.contains(Self.secretKey))
            #expect(!logged.contains(Self.securityToken))
        }
    }

    @Test func slowServerIsATransientTimeout() async throws {
        // The server would answer after 5 s; the client gives up long before (the margin absorbs a loaded machine).
        try await withLoopbackCloud(
            requestTimeoutMillis: 200,
            handler: { _ in
                try? await Task.sleep(for: .milliseconds(5000))
                return .json(200, Self.runningJob)
            }
        ) { server, http in
            let started = ContinuousClock.now
            let result = await client(http, account(server), timeout: 200)
                .fetchJob(api: .ims, jobID: "slow", projectID: nil)
            guard case .failure(.transient(let reason)) = result else {
                Issue.record("expected a transient timeout, got \(result)")
                return
            }
            #expect(reason.contains("timed out"))
            #expect(ContinuousClock.now - started < .milliseconds(4000))
        }
    }

    @Test func bodyOverFourMebibytesIsTransient() async throws {
        let huge = Array(repeating: UInt8(ascii: " "), count: 5 * 1024 * 1024)
        try await withLoopbackCloud(handler: { _ in
            ServerResponse(status: 200, headers: [("Content-Type", "application/json")], body: huge)
        }) { server, http in
            let result = await client(http, account(server)).fetchJob(api: .ims, jobID: "huge", projectID: nil)
            guard case .failure(.transient(let reason)) = result else {
                Issue.record("expected transient, got \(result)")
                return
            }
            #expect(reason.contains("4 MiB"))
        }
    }

    @Test func redirectsAreNotFollowed() async throws {
        let log = RequestLog()
        try await withLoopbackCloud(handler: { request in
            await log.record(request)
            if request.path.hasSuffix("/moved") {
                return ServerResponse(status: 302, headers: [("Location", "/v1/cloudimages/job/target")])
            }
            return .json(200, Self.runningJob)
        }) { server, http in
            let result = await client(http, account(server)).fetchJob(api: .ims, jobID: "moved", projectID: nil)
            guard case .failure(.rejected(let detail)) = result else {
                Issue.record("expected rejected, got \(result)")
                return
            }
            #expect(detail.status == 302)
            #expect(await log.paths == ["/v1/cloudimages/job/moved"])
        }
    }

    /// The same answer again is not decoded again (`AnswerMemo`), but what a user sees is the same: each
    /// answer's own request id, the secrets redacted, and a different answer seen at once.
    @Test func aRepeatedAnswerGivesTheSameJobAndAChangedOneIsSeen() async throws {
        let answers = Counter()
        let echoing = #"{"job_id":"job-1","status":"RUNNING","fail_reason":"token \#(Self.securityToken)"}"#
        let done = #"{"job_id":"job-1","status":"SUCCESS","entities":{"image_id":"img-9"}}"#
        try await withLoopbackCloud(handler: { _ in
            let n = await answers.next()
            return .json(200, n < 3 ? echoing : done, headers: [("X-Request-Id", "req-\(n)")])
        }) { server, http in
            let client = client(http, account(server))
            var fetched: [FetchedJob] = []
            for _ in 0..<4 {
                fetched.append(try await client.fetchJob(api: .ims, jobID: "job-1", projectID: nil).get())
            }
            #expect(fetched.map(\.requestID) == ["req-1", "req-2", "req-3", "req-4"])
            #expect(fetched.map(\.snapshot.status) == [.running, .running, .success, .success])
            #expect(fetched[0].snapshot == fetched[1].snapshot)
            #expect(fetched[3].snapshot.imageID == "img-9")
            for job in fetched.prefix(2) {
                #expect(job.snapshot.failReason == "token [REDACTED]")
                #expect(!job.body.contains(Self.securityToken) && job.body.contains("[REDACTED]"))
            }
        }
    }
}

/// Counts the answers a test server gave (1, 2, …).
private actor Counter {
    private var value = 0
    func next() -> Int {
        value += 1
        return value
    }
}
