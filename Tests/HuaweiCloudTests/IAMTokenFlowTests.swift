import Foundation
import HuaweiCloud
import JobwatchCore
import JobwatchSimulator
import JobwatchTestKit
import Testing

/// The loopback server plays IAM (`POST /v3/auth/tokens`) and the IMS job API that checks `X-Auth-Token`.
actor FakeIAM {
    let clock: ManualClock
    let password: String
    /// Tokens the job API refuses even before they expire (revoked).
    var revoked: Set<String> = []
    private(set) var issued: [String] = []
    private(set) var tokenRequests: [JSONValue] = []
    private(set) var tokensSeenByAPI: [String?] = []

    init(clock: ManualClock, password: String) {
        self.clock = clock
        self.password = password
    }

    func revoke(_ token: String) {
        revoked.insert(token)
    }

    func handle(_ request: ServerRequest) async -> ServerResponse {
        if request.path == "/v3/auth/tokens" {
            let body = try? JSONDecoder().decode(JSONValue.self, from: Data(request.body))
            tokenRequests.append(body ?? .null)
            // Slow enough that concurrent callers overlap with the first renewal.
            try? await Task.sleep(for: .milliseconds(100))
            let user = body?["auth"]?["identity"]?["password"]?["user"]
            guard request.method == "POST", user?["password"]?.stringValue == password else {
                return .json(
                    401,
                    #"{"error":{"code":401,"message":"The username or password is wrong.","title":"Unauthorized"}}"#)
            }
            let token = "token-\(issued.count + 1)"
            issued.append(token)
            let expires = CloudTime.format(millis: clock.now + 86_400_000)
            return .json(
                201, #"{"token":{"expires_at":"\#(expires)","methods":["password"]}}"#,
                headers: [("X-Subject-Token", token)])
        }
        let token = request.header("X-Auth-Token")
        tokensSeenByAPI.append(token)
        guard let token, issued.contains(token), !revoked.contains(token) else {
            return .json(401, #"{"error_code":"APIGW.0301","error_msg":"Incorrect IAM authentication information"}"#)
        }
        return .json(200, #"{"job_id":"job-1","status":"SUCCESS"}"#)
    }
}

struct IAMTokenFlowTests {
    static let password = "P@ssw0rd-secret"

    private func account(_ server: LoopbackHTTPServer, projectID: String? = "proj-1") -> CloudAccount {
        let credentials = IAMPasswordCredentials(
            endpoint: URL(string: server.baseURL), domainName: "my-domain", userName: "robot", password: Self.password)
        return CloudAccount(
            name: "iam", region: "cn-north-4", projectID: projectID, auth: .iamPassword(credentials),
            endpointOverrides: [.ims: EndpointOverride(URL(string: server.baseURL)!)])
    }

    private func jobClient(
        _ http: CloudHTTPClient, _ account: CloudAccount, _ clock: ManualClock, logs: CapturedLog = CapturedLog()
    ) -> JobClient {
        JobClient(
            httpClient: http, account: account, requestTimeoutMillis: 10_000, environment: [:], logger: logs.logger,
            now: clock.closure)
    }

    @Test func tokenIsIssuedOnceReusedAndRenewedNearExpiry() async throws {
        let clock = ManualClock(1_780_000_000_000)
        let iam = FakeIAM(clock: clock, password: Self.password)
        try await withLoopbackCloud(handler: { await iam.handle($0) }) { server, http in
            let jobs = jobClient(http, account(server), clock)
            _ = try await jobs.fetchJob(api: .ims, jobID: "job-1", projectID: nil).get()
            _ = try await jobs.fetchJob(api: .ims, jobID: "job-1", projectID: nil).get()
            #expect(await iam.issued == ["token-1"])
            #expect(await iam.tokensSeenByAPI == ["token-1", "token-1"])

            clock.advance(byMillis: 22 * 3_600_000)
            _ = try await jobs.fetchJob(api: .ims, jobID: "job-1", projectID: nil).get()
            #expect(await iam.issued == ["token-1"])

            // Less than an hour left: renewed before use.
            clock.advance(byMillis: 90 * 60_000)
            _ = try await jobs.fetchJob(api: .ims, jobID: "job-1", projectID: nil).get()
            #expect(await iam.issued == ["token-1", "token-2"])
            #expect(await iam.tokensSeenByAPI.last == "token-2")

            let request = try #require(await iam.tokenRequests.first)
            let user = request["auth"]?["identity"]?["password"]?["user"]
            #expect(request["auth"]?["identity"]?["methods"] == .array([.string("password")]))
            #expect(user?["name"]?.stringValue == "robot")
            #expect(user?["domain"]?["name"]?.stringValue == "my-domain")
            #expect(request["auth"]?["scope"]?["project"]?["id"]?.stringValue == "proj-1")
        }
    }

    @Test func concurrentCallersShareOneRenewal() async throws {
        let clock = ManualClock(1_780_000_000_000)
        let iam = FakeIAM(clock: clock, password: Self.password)
        try await withLoopbackCloud(handler: { await iam.handle($0) }) { server, http in
            let jobs = jobClient(http, account(server), clock)
            let successes = await withTaskGroup(of: Bool.self) { group in
                for _ in 0..<8 {
                    group.addTask { (try? await jobs.fetchJob(api: .ims, jobID: "job-1", projectID: nil).get()) != nil }
                }
                return await group.reduce(0) { $0 + ($1 ? 1 : 0) }
            }
            #expect(successes == 8)
            #expect(await iam.issued == ["token-1"])
        }
    }

    @Test func refusedTokenIsRenewedAndRetriedOnce() async throws {
        let clock = ManualClock(1_780_000_000_000)
        let iam = FakeIAM(clock: clock, password: Self.password)
        try await withLoopbackCloud(handler: { await iam.handle($0) }) { server, http in
            let jobs = jobClient(http, account(server), clock)
            _ = try await jobs.fetchJob(api: .ims, jobID: "job-1", projectID: nil).get()
            await iam.revoke("token-1")
            let job = try await jobs.fetchJob(api: .ims, jobID: "job-1", projectID: nil).get()
            #expect(job.snapshot.status == .success)
            #expect(await iam.issued == ["token-1", "token-2"])
            #expect(await iam.tokensSeenByAPI == ["token-1", "token-1", "token-2"])

            // A refusal that persists is reported after one retry, not hammered.
            await iam.revoke("token-2")
            await iam.revoke("token-3")
            let result = await jobs.fetchJob(api: .ims, jobID: "job-1", projectID: nil)
            guard case .failure(.unauthorized(let detail)) = result else {
                Issue.record("expected unauthorized, got \(result)")
                return
            }
            #expect(detail.code == "APIGW.0301")
            #expect(await iam.tokensSeenByAPI.count == 5)
        }
    }

    @Test func wrongPasswordIsUnauthorizedWithoutLeakingIt() async throws {
        let clock = ManualClock(1_780_000_000_000)
        let iam = FakeIAM(clock: clock, password: "the-real-one")
        let logs = CapturedLog()
        try await withLoopbackCloud(handler: { await iam.handle($0) }) { server, http in
            let result = await jobClient(http, account(server), clock, logs: logs)
                .fetchJob(api: .ims, jobID: "job-1", projectID: nil)
            guard case .failure(let error) = result, case .unauthorized(let detail) = error else {
                Issue.record("expected unauthorized, got \(result)")
                return
            }
            #expect(detail.status == 401)
            #expect(detail.message == "The username or password is wrong.")
            #expect(!error.summary.contains(Self.password))
            #expect(!logs.text.contains(Self.password))
            #expect(await iam.tokensSeenByAPI.isEmpty)
        }
    }

    @Test func withoutProjectIDTheTokenIsScopedByRegionName() async throws {
        let clock = ManualClock(1_780_000_000_000)
        let iam = FakeIAM(clock: clock, password: Self.password)
        try await withLoopbackCloud(handler: { await iam.handle($0) }) { server, http in
            _ = try await jobClient(http, account(server, projectID: nil), clock)
                .fetchJob(api: .ims, jobID: "job-1", projectID: nil).get()
            let request = try #require(await iam.tokenRequests.first)
            #expect(request["auth"]?["scope"]?["project"]?["name"]?.stringValue == "cn-north-4")
        }
    }
}
