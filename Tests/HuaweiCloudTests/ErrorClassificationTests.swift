import Testing

@testable import HuaweiCloud

struct ErrorClassificationTests {
    private func classify(
        _ status: Int, _ body: String, requestID: String? = nil, retryAfter: String? = nil, now: Int64 = 0
    ) -> CloudError {
        ErrorResponseClassifier.classify(
            status: status, requestIDHeader: requestID, retryAfterHeader: retryAfter, body: Array(body.utf8),
            nowMillis: now)
    }

    @Test func flatGatewayBody() {
        let error = classify(
            401,
            #"{"error_code":"APIGW.0301","error_msg":"Incorrect IAM authentication information","request_id":"r1"}"#)
        #expect(
            error
                == .unauthorized(
                    CloudErrorDetail(
                        status: 401, code: "APIGW.0301", message: "Incorrect IAM authentication information",
                        requestID: "r1")))
    }

    @Test func nestedIMSBodyAndRequestIDHeader() {
        let error = classify(
            404, #"{"error":{"code":"IMG.0024","message":"The job does not exist."}}"#, requestID: "hdr")
        #expect(
            error
                == .notFound(
                    CloudErrorDetail(
                        status: 404, code: "IMG.0024", message: "The job does not exist.", requestID: "hdr")))
    }

    @Test func gatewayCodesDecideTheClass() {
        if case .throttled = classify(400, #"{"error_code":"APIGW.0308","error_msg":"over ratelimit"}"#) {
        } else {
            Issue.record("APIGW.0308 is throttling whatever the status")
        }
        if case .unauthorized = classify(400, #"{"error_code":"APIGW.0303","error_msg":"signature expired"}"#) {
        } else {
            Issue.record("APIGW.0303 is an authentication failure")
        }
        // "No such API" is a wrong endpoint, not a missing job.
        let noSuchAPI = classify(404, #"{"error_code":"APIGW.0101","error_msg":"The API does not exist"}"#)
        if case .rejected = noSuchAPI {
        } else {
            Issue.record("APIGW.0101 is not a missing job")
        }
    }

    @Test func statusClasses() {
        if case .unauthorized = classify(401, "") {} else { Issue.record("401") }
        // A 403 is one resource's permission, not the credentials: the job backs off, not the account.
        if case .forbidden = classify(403, #"{"error_code":"IMG.0003","error_msg":"no permission"}"#) {
        } else {
            Issue.record("403")
        }
        // The gateway's signature codes mean the credentials whatever the status.
        if case .unauthorized = classify(403, #"{"error_code":"APIGW.0301","error_msg":"bad signature"}"#) {
        } else {
            Issue.record("403 APIGW.0301")
        }
        if case .transient(let reason) = classify(503, #"{"error_code":"WKS.00129901","error_msg":"busy"}"#) {
            #expect(reason.contains("503") && reason.contains("WKS.00129901") && reason.contains("busy"))
        } else {
            Issue.record("503")
        }
        if case .rejected(let detail) = classify(400, "<html>bad</html>") {
            #expect(detail.message == "<html>bad</html>")
        } else {
            Issue.record("400")
        }
    }

    @Test func retryAfterInSecondsOrAsHTTPDateRelativeToTheClock() {
        let bare = CloudErrorDetail(status: 429)
        #expect(classify(429, "", retryAfter: "3") == .throttled(retryAfterMillis: 3000, detail: bare))
        // Sun, 06 Nov 1994 08:49:37 GMT is 784111777000 ms; the clock says 10 s earlier.
        let date = classify(429, "", retryAfter: "Sun, 06 Nov 1994 08:49:37 GMT", now: 784_111_767_000)
        #expect(date == .throttled(retryAfterMillis: 10_000, detail: bare))
        let past = classify(429, "", retryAfter: "Sun, 06 Nov 1994 08:49:37 GMT", now: 784_111_787_000)
        #expect(past == .throttled(retryAfterMillis: 0, detail: bare))
        #expect(classify(429, "", retryAfter: "soon") == .throttled(retryAfterMillis: nil, detail: bare))
    }

    @Test func summariesAreOneLine() {
        let error = CloudError.unauthorized(
            CloudErrorDetail(
                status: 401, code: "APIGW.0301", message: "canonical request:\nGET\n/v1/", requestID: "r"))
        #expect(error.summary == "unauthorized (HTTP 401 APIGW.0301: canonical request: GET /v1/ (request_id=r))")
        #expect(!CloudError.transient("a\nb").summary.contains("\n"))
    }

    @Test func tokenRenewalMargin() {
        let day = IAMToken(value: "t", obtainedAtMillis: 0, expiresAtMillis: 86_400_000)
        #expect(!day.needsRenewal(nowMillis: 82_000_000))
        #expect(day.needsRenewal(nowMillis: 82_800_000))
        let halfHour = IAMToken(value: "t", obtainedAtMillis: 0, expiresAtMillis: 1_800_000)
        #expect(!halfHour.needsRenewal(nowMillis: 1_000_000))
        #expect(halfHour.needsRenewal(nowMillis: 1_440_000))
    }
}
