/// The three Huawei Cloud "GET the job" APIs that jobwatch can track.
package enum JobAPI: String, CaseIterable, Codable, Sendable, Hashable {
    /// IMS `GET /v1/cloudimages/job/{job_id}` (ShowJobProgress); no project id in the path.
    case ims
    /// IMS `GET /v1/{project_id}/jobs/{job_id}` (ShowJob); the only job API on Huawei Cloud Stack.
    case imsProject = "ims-project"
    /// Workspace `GET /v1/{project_id}/image-server-jobs/{job_id}` (ShowImageJob).
    case workspace

    /// Whether the request path carries a project id, so registration must know one.
    package var needsProjectID: Bool { self != .ims }

    /// The service whose endpoint serves this API.
    package var service: CloudService { self == .workspace ? .workspace : .ims }

    /// The request path for a job, with each segment taken verbatim (ids are validated at registration).
    package func path(jobID: String, projectID: String?) -> String {
        switch self {
        case .ims: return "/v1/cloudimages/job/\(jobID)"
        case .imsProject: return "/v1/\(projectID ?? "")/jobs/\(jobID)"
        case .workspace: return "/v1/\(projectID ?? "")/image-server-jobs/\(jobID)"
        }
    }

    package static var allNames: String { allCases.map(\.rawValue).joined(separator: ", ") }
}

/// A Huawei Cloud service endpoint family.
package enum CloudService: String, CaseIterable, Codable, Sendable, Hashable {
    case ims
    case workspace
    case iam
}
