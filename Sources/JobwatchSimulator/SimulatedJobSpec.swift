import JobwatchCore

/// One simulated job: an entry of a scenario file or the body of `POST /_simulator/jobs`.
///
/// JSON keys: `api` (`ims`, `ims-project`, `workspace`; default: the kind's), `job_id` (generated when
/// absent: 32 hex digits for IMS, 18 digits for Workspace), `project_id` (when absent the project-scoped
/// APIs accept any project id), `kind` (a `Simulator.catalog` name; default `imsCreateImageByInstance`, or
/// `workspace-success` for the workspace API), `duration_ms` or `duration` (`"30s"`: from creation to the
/// terminal state; default 10 s), `init_ms` or `init` (time spent in INIT/WAITING; default a tenth of the
/// duration), `region` (when set, the job is served only under the path prefix `/{region}`, as by that
/// region's endpoint `http://HOST:PORT/{region}`; when absent, under any prefix or none) and `faults`
/// (see `SimulatedFault`).
///
/// Both IMS APIs serve every IMS job, as the cloud does; `api` only picks the default kind.
package struct SimulatedJobSpec: Codable, Sendable {
    package var api: JobAPI
    package var jobID: String?
    package var projectID: String?
    package var region: String?
    package var kind: String
    package var durationMillis: Int64
    package var initMillis: Int64?
    package var faults: [SimulatedFault]

    package static let defaultDurationMillis: Int64 = 10_000

    package init(
        api: JobAPI, kind: String? = nil, jobID: String? = nil, projectID: String? = nil,
        durationMillis: Int64 = SimulatedJobSpec.defaultDurationMillis, initMillis: Int64? = nil,
        faults: [SimulatedFault] = [], region: String? = nil
    ) {
        self.api = api
        self.region = region
        self.kind = kind ?? Self.defaultKind(for: api)
        self.jobID = jobID
        self.projectID = projectID
        self.durationMillis = durationMillis
        self.initMillis = initMillis
        self.faults = faults
    }

    static func defaultKind(for api: JobAPI) -> String {
        api == .workspace ? "workspace-success" : "imsCreateImageByInstance"
    }

    private enum CodingKeys: String, CodingKey {
        case api, kind, faults, duration, region
        case initText = "init"
        case jobID = "job_id"
        case projectID = "project_id"
        case durationMillis = "duration_ms"
        case initMillis = "init_ms"
    }

    package init(from decoder: Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        let kind = try container.decodeIfPresent(String.self, forKey: .kind)
        let api =
            try container.decodeIfPresent(JobAPI.self, forKey: .api)
            ?? (kind.flatMap(JobKind.named)?.family == .workspace ? .workspace : .ims)
        self.api = api
        self.kind = kind ?? Self.defaultKind(for: api)
        jobID = try container.decodeIfPresent(String.self, forKey: .jobID)
        projectID = try container.decodeIfPresent(String.self, forKey: .projectID)
        region = try container.decodeIfPresent(String.self, forKey: .region)
        durationMillis = try Self.millis(container, .durationMillis, .duration) ?? Self.defaultDurationMillis
        initMillis = try Self.millis(container, .initMillis, .initText)
        faults = try container.decodeIfPresent([SimulatedFault].self, forKey: .faults) ?? []
    }

    package func encode(to encoder: Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(api, forKey: .api)
        try container.encode(kind, forKey: .kind)
        try container.encodeIfPresent(jobID, forKey: .jobID)
        try container.encodeIfPresent(projectID, forKey: .projectID)
        try container.encodeIfPresent(region, forKey: .region)
        try container.encode(durationMillis, forKey: .durationMillis)
        try container.encodeIfPresent(initMillis, forKey: .initMillis)
        if !faults.isEmpty { try container.encode(faults, forKey: .faults) }
    }

    /// A number of milliseconds under `numberKey`, or a duration text (`"1m"`) under `textKey`.
    private static func millis(
        _ container: KeyedDecodingContainer<CodingKeys>, _ numberKey: CodingKeys, _ textKey: CodingKeys
    ) throws -> Int64? {
        if let value = try container.decodeIfPresent(Int64.self, forKey: numberKey) { return value }
        guard let text = try container.decodeIfPresent(String.self, forKey: textKey) else { return nil }
        guard let value = DurationText.parseMillis(text) else {
            throw DecodingError.dataCorruptedError(
                forKey: textKey, in: container, debugDescription: "'\(text)' is not a duration like 500ms, 5s, 10m")
        }
        return value
    }
}
