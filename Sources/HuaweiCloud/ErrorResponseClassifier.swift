import JobwatchCore

/// Sorts a non-2xx response into the error class the poller acts on.
enum ErrorResponseClassifier {
    /// The gateway's codes that decide the class whatever the HTTP status says.
    static let throttledCode = "APIGW.0308"
    static let unauthorizedCodes: Set<String> = ["APIGW.0301", "APIGW.0303"]
    /// A 404 meaning "no such API on this endpoint": a wrong endpoint, not a missing job.
    static let noSuchAPICode = "APIGW.0101"

    static func classify(
        status: Int, requestIDHeader: String?, retryAfterHeader: String?, body: [UInt8], nowMillis: Int64
    ) -> CloudError {
        let detail = detail(status: status, requestIDHeader: requestIDHeader, body: body)
        if status == 429 || detail.code == throttledCode {
            return .throttled(
                retryAfterMillis: RetryAfter.delayMillis(retryAfterHeader, nowMillis: nowMillis), detail: detail)
        }
        if status == 401 || detail.code.map(unauthorizedCodes.contains) == true {
            return .unauthorized(detail)
        }
        if status == 403 { return .forbidden(detail) }
        if status == 404 && detail.code != noSuchAPICode { return .notFound(detail) }
        if (500...599).contains(status) { return .transient(detail.summary) }
        return .rejected(detail)
    }

    /// Both body shapes: `{"error_code","error_msg","request_id"}` (gateway, Workspace) and
    /// `{"error":{"code","message"}}` (IMS, IAM); a body that is neither lends a one-line excerpt as message.
    static func detail(status: Int, requestIDHeader: String?, body: [UInt8]) -> CloudErrorDetail {
        let json = TolerantJSON.parse(body)
        let nested = json?["error"]
        let code = text(json?["error_code"]) ?? text(nested?["code"])
        let message = text(json?["error_msg"]) ?? text(nested?["message"])
        let requestID = nonEmpty(requestIDHeader) ?? text(json?["request_id"]) ?? text(nested?["request_id"])
        let fallback = json?.objectValue == nil && !body.isEmpty ? JobResponseDecoder.excerpt(of: body) : nil
        return CloudErrorDetail(status: status, code: code, message: message ?? fallback, requestID: requestID)
    }

    private static func text(_ value: JSONValue?) -> String? {
        switch value {
        case .string(let string): return nonEmpty(string)
        case .number(let number):
            return number.rounded() == number && abs(number) < 1e15 ? String(Int64(number)) : String(number)
        default: return nil
        }
    }

    private static func nonEmpty(_ text: String?) -> String? {
        guard let text, !text.isEmpty else { return nil }
        return text
    }
}
