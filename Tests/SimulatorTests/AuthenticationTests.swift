import Foundation
import HuaweiCloud
import JobwatchCore
import JobwatchTestKit
import Testing

@testable import JobwatchSimulator

@Suite struct AuthenticationTests {
    private let ak = "SIMULATORAK"
    private let sk = "simulator-secret-key"

    @Test func signatureIsVerifiedOverHTTP() async throws {
        let clock = ManualClock()
        let simulator = makeSimulator(clock: clock, credentials: [ak: sk])
        let id = try simulator.add(SimulatedJobSpec(api: .ims))
        let live = try await LiveSimulator.start(simulator)
        let now = CloudTime.sdkDate(millis: clock.now)
        let path = "/v1/cloudimages/job/\(id)"

        let good = try await live.signedGet(path, ak: ak, sk: sk, sdkDate: now)
        #expect(good.status == 200)
        #expect(good.json?["job_id"] as? String == id)
        #expect(good.headers.first(name: "X-Request-Id")?.count == 32)

        let wrongKey = try await live.signedGet(path, ak: ak, sk: "not-the-secret", sdkDate: now)
        #expect(wrongKey.status == 401)
        #expect(wrongKey.json?["error_code"] as? String == "APIGW.0301")
        let message = try #require(wrongKey.json?["error_msg"] as? String)
        #expect(
            message.hasPrefix(
                "Incorrect IAM authentication information: verify aksk signature fail, canonicalRequest: GET|"))
        #expect(message.contains("|/v1/cloudimages/job/\(id)/|"))
        #expect(message.contains("x-sdk-date:\(now)|"))
        #expect(!message.contains(sk) && !message.contains("not-the-secret"))
        #expect(wrongKey.json?["request_id"] as? String == wrongKey.headers.first(name: "X-Request-Id"))

        let unsigned = try await live.send(path)
        #expect(unsigned.status == 401)
        #expect(unsigned.json?["error_code"] as? String == "APIGW.0301")

        let stale = try await live.signedGet(
            path, ak: ak, sk: sk, sdkDate: CloudTime.sdkDate(millis: clock.now - 16 * 60_000))
        #expect(stale.status == 401)
        #expect(stale.json?["error_code"] as? String == "APIGW.0303")
        #expect(simulator.pollCount(jobID: id) == 1)
        try await live.close()
    }

    /// The python SDK's own test vector (reference/signing-vectors.json, "python-get").
    @Test func verifierAcceptsTheSDKTestVector() throws {
        let verifier = SignatureVerifier(credentials: ["AccessKey": "SecretKey"])
        let signedAt = try #require(SignatureVerifier.parseSDKDate("20200608T023900Z"))
        var request = ServerRequest(
            method: "GET", uri: "/resources?size=1",
            headers: [
                ("X-Sdk-Date", "20200608T023900Z"), ("Host", "service.endpoint.myhuaweicloud.com"),
                ("TEST_UNDERSCORE", "TEST_VALUE"),
                (
                    "Authorization",
                    "SDK-HMAC-SHA256 Access=AccessKey, SignedHeaders=host;x-sdk-date, "
                        + "Signature=cfb4171acec81de07d50e53d57eb77edd537414d66ddb1d7d780f128e12cd842"
                ),
            ],
            body: [])
        #expect(verifier.rejection(of: request, now: signedAt + 60_000, requestID: "r") == nil)
        request.uri = "/resources?size=2"
        #expect(verifier.rejection(of: request, now: signedAt, requestID: "r")?.status == 401)
    }

    @Test func issuedIAMTokensAreAccepted() async throws {
        let clock = ManualClock()
        let simulator = makeSimulator(clock: clock, credentials: [ak: sk], iamUsers: ["alice": "s3cret"])
        let id = try simulator.add(SimulatedJobSpec(api: .workspace, projectID: "proj"))
        let live = try await LiveSimulator.start(simulator)
        func body(_ password: String) -> String {
            #"{"auth":{"identity":{"methods":["password"],"password":{"user":{"name":"alice","password":""#
                + password + #"","domain":{"name":"acme"}}}},"scope":{"project":{"id":"proj"}}}}"#
        }

        let refused = try await live.send("/v3/auth/tokens", method: .POST, body: body("wrong"))
        #expect(refused.status == 401)
        #expect(refused.headers.first(name: "X-Subject-Token") == nil)

        let issued = try await live.send("/v3/auth/tokens", method: .POST, body: body("s3cret"))
        #expect(issued.status == 201)
        let token = try #require(issued.headers.first(name: "X-Subject-Token"))
        let expiresAt = try #require((issued.json?["token"] as? [String: Any])?["expires_at"] as? String)
        #expect(CloudTime.parseMillis(expiresAt) == clock.now + 24 * 3_600_000)

        let path = "/v1/proj/image-server-jobs/\(id)"
        #expect(try await live.send(path, headers: [("X-Auth-Token", token)]).status == 200)
        #expect(try await live.send(path, headers: [("X-Auth-Token", "forged")]).status == 401)
        clock.advance(byMillis: 25 * 3_600_000)
        let expired = try await live.send(path, headers: [("X-Auth-Token", token)])
        #expect(expired.status == 401)
        #expect((expired.json?["error_msg"] as? String)?.contains("The token must be updated") == true)
        try await live.close()
    }
}
