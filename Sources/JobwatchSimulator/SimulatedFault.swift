/// A misbehaviour injected into a job's next `count` polls, in the order the faults are listed.
///
/// JSON: `{"kind": "throttled", "count": 2, "retry_after": 3}`; `count` defaults to 1.
package struct SimulatedFault: Codable, Sendable, Hashable {
    package enum Kind: String, Codable, Sendable, CaseIterable {
        /// 429 `APIGW.0308` with `Retry-After: retry_after` (seconds, default 2).
        case throttled
        /// 500 with the service's error body.
        case serverError = "server-error"
        /// 503 with the service's error body.
        case unavailable
        /// The normal answer, after `delay_ms` (default 1000).
        case slow
        /// The normal JSON body cut in half (status 200 unless `status` says otherwise).
        case truncatedJSON = "truncated-json"
        /// An HTML error page instead of JSON (status 200 unless `status` says otherwise).
        case htmlPage = "html-page"
        /// The connection is closed without an answer.
        case dropConnection = "drop-connection"
        /// 404 with the service's "job not found" body, as for an unknown job.
        case notFound = "not-found"
        /// 403 with the service's "no permission" body: the credentials are good, a permission is missing.
        case forbidden
    }

    package var kind: Kind
    /// How many polls this fault answers.
    package var count: Int
    package var retryAfterSeconds: Int?
    package var delayMillis: Int64?
    /// The HTTP status of a malformed body (`truncated-json`, `html-page`).
    package var status: Int?

    package init(
        _ kind: Kind, count: Int = 1, retryAfterSeconds: Int? = nil, delayMillis: Int64? = nil, status: Int? = nil
    ) {
        self.kind = kind
        self.count = count
        self.retryAfterSeconds = retryAfterSeconds
        self.delayMillis = delayMillis
        self.status = status
    }

    private enum CodingKeys: String, CodingKey {
        case kind, count, status
        case retryAfterSeconds = "retry_after"
        case delayMillis = "delay_ms"
    }

    package init(from decoder: Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        kind = try container.decode(Kind.self, forKey: .kind)
        count = try container.decodeIfPresent(Int.self, forKey: .count) ?? 1
        retryAfterSeconds = try container.decodeIfPresent(Int.self, forKey: .retryAfterSeconds)
        delayMillis = try container.decodeIfPresent(Int64.self, forKey: .delayMillis)
        status = try container.decodeIfPresent(Int.self, forKey: .status)
        guard count >= 1 else {
            throw DecodingError.dataCorruptedError(
                forKey: .count, in: container, debugDescription: "count must be at least 1")
        }
    }
}
