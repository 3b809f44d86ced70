import Foundation

/// A job named in what a create call printed (`register --from-json`): its id and, where the JSON tells,
/// its API and project id.
package struct JobReference: Sendable, Hashable {
    package var jobID: String
    /// nil when the JSON does not say (IMS create calls answer only `{"job_id": …}`): `--api` decides.
    package var api: JobAPI?
    package var projectID: String?

    package init(jobID: String, api: JobAPI? = nil, projectID: String? = nil) {
        self.jobID = jobID
        self.api = api
        self.projectID = projectID
    }
}

/// Reads the job ids out of the JSON a create call (or a job query) printed. Accepted shapes:
/// - `{"job_id": "…"}`: every IMS create call (CreateImage, ImportImageQuick, CopyImageInRegion, …) and
///   `hcloud IMS …`, and an IMS job answer (ShowJob, ShowJobProgress: `job_id` with an `ims…` `job_type`);
/// - a Workspace image job answer (ShowImageJob): `{"id": "…", "job_type": "CREATE_SERVER_IMAGE",
///   "sub_jobs": [{"project_id": "…", …}]}`: the API is `workspace` and the project id comes from its sub-jobs;
/// - `{"job_ids": ["…", …]}` (the simulator's admin answer);
/// - an array of any of these, or of job id strings.
/// Anything else is refused with one line naming what was expected.
package enum CreateCallOutput {
    package struct Problem: Error, Sendable, CustomStringConvertible {
        package var message: String
        package var description: String { message }
        init(_ message: String) { self.message = message }
    }

    /// Input larger than this is refused (a create call prints a few hundred bytes).
    package static let largestInputBytes = 16 << 20
    /// More jobs than this in one input are refused.
    package static let mostJobs = 10_000

    static let expected =
        #"expected {"job_id": "…"} (IMS create calls, hcloud), a Workspace job answer with "id", "#
        + #"{"job_ids": […]}, or an array of these"#

    package static func references(in data: Data) throws -> [JobReference] {
        guard data.count <= largestInputBytes else {
            throw Problem("the input is \(data.count) bytes; at most \(largestInputBytes) are read")
        }
        let value: JSONValue
        do {
            value = try JSONDecoder().decode(JSONValue.self, from: data)
        } catch {
            throw Problem("the input is not JSON; \(expected)")
        }
        var found: [JobReference] = []
        switch value {
        case .array(let items):
            guard !items.isEmpty else { throw Problem("the input is an empty array: no job to register") }
            for (index, item) in items.enumerated() {
                if let id = item.stringValue {
                    found.append(JobReference(jobID: id))
                } else if let object = item.objectValue {
                    found += try references(inObject: object, at: "element \(index)")
                } else {
                    throw Problem("element \(index) of the array is \(kind(of: item)); \(expected)")
                }
            }
        case .object(let object):
            found = try references(inObject: object, at: "the input")
        default:
            throw Problem("the input is \(kind(of: value)); \(expected)")
        }
        guard found.count <= mostJobs else {
            throw Problem("the input names \(found.count) jobs; at most \(mostJobs) are registered at once")
        }
        for reference in found {
            if let problem = InputRules.jobIDProblem(reference.jobID) { throw Problem("in the input: \(problem)") }
            if let project = reference.projectID, let problem = InputRules.projectIDProblem(project) {
                throw Problem("in the input: \(problem)")
            }
        }
        // The same job named twice is registered once.
        var seen: Set<JobReference> = []
        return found.filter { seen.insert($0).inserted }
    }

    private static func references(inObject object: [String: JSONValue], at place: String) throws -> [JobReference] {
        if let ids = object["job_ids"] {
            guard let list = ids.arrayValue, !list.isEmpty, list.allSatisfy({ $0.stringValue != nil }) else {
                throw Problem("\(place): \"job_ids\" must be a non-empty array of job id strings")
            }
            return list.compactMap(\.stringValue).map { JobReference(jobID: $0) }
        }
        if isWorkspaceJob(object), let id = object["id"] {
            guard let jobID = id.stringValue else { throw Problem("\(place): \"id\" must be a string") }
            let project = object["sub_jobs"]?.arrayValue?.lazy.compactMap { $0["project_id"]?.stringValue }
                .first { !$0.isEmpty }
            return [JobReference(jobID: jobID, api: .workspace, projectID: project)]
        }
        if let id = object["job_id"] {
            guard let jobID = id.stringValue else {
                throw Problem("\(place): \"job_id\" is \(kind(of: id)); job ids are strings")
            }
            return [JobReference(jobID: jobID)]
        }
        let keys = object.keys.sorted().prefix(8).joined(separator: ", ")
        throw Problem("\(place) is an object without a job id (keys: \(keys.isEmpty ? "none" : keys)); \(expected)")
    }

    /// Workspace answers name the job `id` and carry `sub_jobs`, or an upper-case `job_type`
    /// (`CREATE_SERVER_IMAGE`) where IMS job types read `imsCreateImageByInstance`.
    private static func isWorkspaceJob(_ object: [String: JSONValue]) -> Bool {
        guard object["id"] != nil, object["job_id"] == nil || object["sub_jobs"] != nil else { return false }
        if object["sub_jobs"]?.arrayValue != nil || object["sub_jobs_total"] != nil { return true }
        guard let type = object["job_type"]?.stringValue, !type.isEmpty else { return false }
        return type.allSatisfy { $0.isUppercase || $0 == "_" || $0.isNumber }
    }

    private static func kind(of value: JSONValue) -> String {
        switch value {
        case .null: return "null"
        case .bool: return "a boolean"
        case .number: return "a number"
        case .string: return "a string"
        case .array: return "an array"
        case .object: return "an object"
        }
    }
}
