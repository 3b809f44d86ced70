import JobwatchCore

/// A misbehaviour injected into a job's next `count` polls, in the order the faults are listed.
///
/// JSON: `{"kind": "throttled", "count": 2, "retry_after": 3}`; `count` defaults to 1. The "poison"
/// kinds (`set-field`, `sub-job-flood`, and `throttled` with `retry_after_text`) alter the normal answer
/// rather than replace it, so the job's lifecycle goes on and the cloud still gives its verdict.
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
        /// The normal answer with the field at `path` (dot-separated, e.g. `entities.process_percent`) set
        /// to `value`, any JSON: a string where a number belongs, an object where an array belongs, `"NaN"`;
        /// or with each of `fields` (`{"path": value, …}`) set.
        case setField = "set-field"
        /// The normal answer listing `sub_jobs` sub-jobs (default 1500), each in the job's own status.
        case subJobFlood = "sub-job-flood"
    }

    package var kind: Kind
    /// How many polls this fault answers.
    package var count: Int
    package var retryAfterSeconds: Int?
    package var delayMillis: Int64?
    /// The HTTP status of a malformed body (`truncated-json`, `html-page`).
    package var status: Int?
    /// `throttled`: the `Retry-After` header exactly as written (`"99999999999999999999"`, a date), instead
    /// of `retry_after` seconds.
    package var retryAfterText: String?
    /// `set-field`: where and what.
    package var path: String?
    package var value: JSONValue?
    package var fields: [String: JSONValue]?
    /// `sub-job-flood`: how many.
    package var subJobs: Int?

    package init(
        _ kind: Kind, count: Int = 1, retryAfterSeconds: Int? = nil, delayMillis: Int64? = nil, status: Int? = nil,
        retryAfterText: String? = nil, fields: [String: JSONValue]? = nil, subJobs: Int? = nil
    ) {
        self.kind = kind
        self.count = count
        self.retryAfterSeconds = retryAfterSeconds
        self.delayMillis = delayMillis
        self.status = status
        self.retryAfterText = retryAfterText
        self.fields = fields
        self.subJobs = subJobs
    }

    private enum CodingKeys: String, CodingKey {
        case kind, count, status, path, value, fields
        case retryAfterSeconds = "retry_after"
        case delayMillis = "delay_ms"
        case retryAfterText = "retry_after_text"
        case subJobs = "sub_jobs"
    }

    package init(from decoder: Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        kind = try container.decode(Kind.self, forKey: .kind)
        count = try container.decodeIfPresent(Int.self, forKey: .count) ?? 1
        retryAfterSeconds = try container.decodeIfPresent(Int.self, forKey: .retryAfterSeconds)
        delayMillis = try container.decodeIfPresent(Int64.self, forKey: .delayMillis)
        status = try container.decodeIfPresent(Int.self, forKey: .status)
        retryAfterText = try container.decodeIfPresent(String.self, forKey: .retryAfterText)
        path = try container.decodeIfPresent(String.self, forKey: .path)
        value = try container.decodeIfPresent(JSONValue.self, forKey: .value)
        fields = try container.decodeIfPresent([String: JSONValue].self, forKey: .fields)
        subJobs = try container.decodeIfPresent(Int.self, forKey: .subJobs)
        guard count >= 1 else {
            throw DecodingError.dataCorruptedError(
                forKey: .count, in: container, debugDescription: "count must be at least 1")
        }
        if kind == .setField && (path ?? "").isEmpty && (fields ?? [:]).isEmpty {
            throw DecodingError.dataCorruptedError(
                forKey: .path, in: container,
                debugDescription: "set-field needs a path such as entities.process_percent, or fields")
        }
        if let subJobs, !(0...100_000).contains(subJobs) {
            throw DecodingError.dataCorruptedError(
                forKey: .subJobs, in: container, debugDescription: "sub_jobs must be from 0 to 100000")
        }
    }
}
