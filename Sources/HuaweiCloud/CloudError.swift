/// What the cloud said when it refused a request: the HTTP status and, when the body or headers carry
/// them, the error code, message and request id.
package struct CloudErrorDetail: Sendable, Hashable {
    /// The HTTP status; 0 when the request never reached the cloud (a configuration problem).
    package var status: Int
    package var code: String?
    package var message: String?
    package var requestID: String?

    package init(status: Int, code: String? = nil, message: String? = nil, requestID: String? = nil) {
        self.status = status
        self.code = code
        self.message = message
        self.requestID = requestID
    }

    /// `HTTP 401 APIGW.0301: message (request_id=…)` on one line.
    package var summary: String {
        var text = status == 0 ? "no request sent" : "HTTP \(status)"
        if let code { text += " \(code)" }
        if let message { text += ": " + CloudErrorDetail.oneLine(message, limit: 500) }
        if let requestID { text += " (request_id=\(requestID))" }
        return text
    }

    static func oneLine(_ text: String, limit: Int) -> String {
        let flat = String(text.map { $0.isNewline || $0 == "\t" ? " " : $0 })
        return flat.count > limit ? String(flat.prefix(limit)) + "…" : flat
    }
}

/// The classes of failure the poller acts on differently.
package enum CloudError: Error, Sendable, Hashable {
    /// HTTP 429 or `APIGW.0308`: slow down; `Retry-After` (milliseconds from now) when the cloud sent one.
    case throttled(retryAfterMillis: Int64?, detail: CloudErrorDetail)
    /// HTTP 401, or `APIGW.0301`/`APIGW.0303` whatever the status: bad credentials, clock skew, locked AK.
    case unauthorized(CloudErrorDetail)
    /// Any other HTTP 403: the credentials are good but lack a permission on this resource (one project, one job).
    case forbidden(CloudErrorDetail)
    /// HTTP 404: the job does not exist (yet, or any more).
    case notFound(CloudErrorDetail)
    /// 5xx, timeouts, connection errors, truncated or oversized bodies: try again later.
    case transient(String)
    /// A 2xx body that is not a job: not JSON, not an object, or without a status.
    case malformed(excerpt: String)
    /// Any other refusal (other 4xx, an unexpected 3xx, a request that cannot be built): retrying will not help.
    case rejected(CloudErrorDetail)

    /// One line for the log; never contains a secret.
    package var summary: String {
        switch self {
        case .throttled(let retryAfter, let detail):
            let wait = retryAfter.map { ", retry after \($0) ms" } ?? ""
            return "throttled (\(detail.summary))\(wait)"
        case .unauthorized(let detail): return "unauthorized (\(detail.summary))"
        case .forbidden(let detail): return "forbidden (\(detail.summary))"
        case .notFound(let detail): return "not found (\(detail.summary))"
        case .transient(let reason): return "transient failure: \(CloudErrorDetail.oneLine(reason, limit: 500))"
        case .malformed(let excerpt): return "malformed response: \(excerpt)"
        case .rejected(let detail): return "rejected (\(detail.summary))"
        }
    }
}

extension CloudError: CustomStringConvertible {
    package var description: String { summary }
}
