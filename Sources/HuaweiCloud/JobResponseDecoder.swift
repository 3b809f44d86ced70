import Foundation
import JobwatchCore

/// Turns a 2xx "GET job" body into a `JobSnapshot`, tolerating what the real APIs send: optional fields,
/// quoted numbers, empty strings for "none", odd time formats, a trailing comma.
package enum JobResponseDecoder {
    /// Throws `CloudError.malformed` when the body is not a JSON object with a status.
    package static func decode(_ body: [UInt8], api: JobAPI, requestedJobID: String) throws -> JobSnapshot {
        guard let json = TolerantJSON.parse(body), json.objectValue != nil,
            let providerStatus = json["status"]?.stringValue
        else {
            throw CloudError.malformed(excerpt: excerpt(of: body))
        }
        switch api {
        case .ims, .imsProject:
            return decodeIMS(json, status: providerStatus, api: api, requestedJobID: requestedJobID)
        case .workspace:
            return decodeWorkspace(json, status: providerStatus, requestedJobID: requestedJobID)
        }
    }

    /// At most 200 characters of the body on one line, for the log.
    static func excerpt(of body: [UInt8]) -> String {
        let text = String(decoding: body.prefix(800), as: UTF8.self)
        let flat = String(text.map { $0.isNewline || $0.isWhitespace ? " " : $0 })
        let trimmed = flat.trimmingCharacters(in: .whitespaces)
        if trimmed.isEmpty { return "(empty body)" }
        return trimmed.count > 200 ? String(trimmed.prefix(199)) + "…" : trimmed
    }

    // MARK: - IMS

    private static func decodeIMS(_ json: JSONValue, status: String, api: JobAPI, requestedJobID: String) -> JobSnapshot
    {
        let entities = json["entities"].flatMap { $0 == .null ? nil : $0 }
        var subJobs = (entities?["sub_jobs_result"]?.arrayValue ?? []).compactMap { imsSubJob($0, api: api) }
        for id in entities?["sub_jobs_list"]?.arrayValue ?? [] {
            guard let id = text(id), !subJobs.contains(where: { $0.jobID == id }) else { continue }
            subJobs.append(SubJobSnapshot(jobID: id, status: .initial, providerStatus: nil))
        }
        // Member jobs name their image only in `results[]`; OVA and data-image jobs only in their sub-jobs.
        let imageID =
            text(entities?["image_id"]) ?? subJobs.lazy.compactMap(\.imageID).first
            ?? text(entities?["results"]?.arrayValue?.first?["image_id"])
        let imageName = text(entities?["image_name"]) ?? subJobs.lazy.compactMap(\.imageName).first
        return JobSnapshot(
            jobID: text(json["job_id"]) ?? requestedJobID,
            jobType: text(json["job_type"]),
            status: JobStatus(provider: status, api: api),
            providerStatus: status,
            progress: entities?["process_percent"]?.doubleValue,
            currentTask: text(entities?["current_task"]),
            beginTime: time(json["begin_time"]),
            endTime: time(json["end_time"]),
            errorCode: text(json["error_code"]) ?? text(entities?["error_code"]),
            failReason: text(json["fail_reason"]) ?? text(entities?["error"]),
            imageID: imageID,
            imageName: imageName,
            entities: entities,
            subJobs: subJobs
        )
    }

    private static func imsSubJob(_ json: JSONValue, api: JobAPI) -> SubJobSnapshot? {
        guard let id = text(json["job_id"]) else { return nil }
        let providerStatus = json["status"]?.stringValue
        return SubJobSnapshot(
            jobID: id,
            jobType: text(json["job_type"]),
            status: providerStatus.map { JobStatus(provider: $0, api: api) } ?? .unknown,
            providerStatus: providerStatus,
            beginTime: time(json["begin_time"]),
            endTime: time(json["end_time"]),
            errorCode: text(json["error_code"]),
            failReason: text(json["fail_reason"]),
            imageID: text(json["entities"]?["image_id"]),
            imageName: text(json["entities"]?["image_name"])
        )
    }

    // MARK: - Workspace

    private static func decodeWorkspace(_ json: JSONValue, status: String, requestedJobID: String) -> JobSnapshot {
        JobSnapshot(
            jobID: text(json["id"]) ?? requestedJobID,
            jobType: text(json["job_type"]),
            status: JobStatus(provider: status, api: .workspace),
            providerStatus: status,
            beginTime: time(json["begin_time"]),
            endTime: time(json["end_time"]),
            subJobs: (json["sub_jobs"]?.arrayValue ?? []).compactMap(workspaceSubJob)
        )
    }

    private static func workspaceSubJob(_ json: JSONValue) -> SubJobSnapshot? {
        guard let id = text(json["id"]) else { return nil }
        let providerStatus = json["status"]?.stringValue
        return SubJobSnapshot(
            jobID: id,
            jobType: text(json["job_type"]),
            status: providerStatus.map { JobStatus(provider: $0, api: .workspace) } ?? .unknown,
            providerStatus: providerStatus,
            beginTime: time(json["begin_time"]),
            endTime: time(json["end_time"]),
            errorCode: text(json["job_execute_info"]?["error_code"]),
            failReason: text(json["job_execute_info"]?["error_message"]),
            resourceID: text(json["job_resource_info"]?["resource_id"]),
            resourceName: text(json["job_resource_info"]?["resource_name"])
        )
    }

    // MARK: - Fields

    /// A non-empty string; numbers are accepted too (ids and codes are sometimes sent unquoted).
    private static func text(_ value: JSONValue?) -> String? {
        switch value {
        case .string(let string): return string.isEmpty ? nil : string
        case .number(let number):
            return number.rounded() == number && abs(number) < 1e15 ? String(Int64(number)) : String(number)
        default: return nil
        }
    }

    private static func time(_ value: JSONValue?) -> String? {
        CloudTime.normalize(value?.stringValue)
    }
}
