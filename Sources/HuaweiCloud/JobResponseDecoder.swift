import Foundation
import JobwatchCore

/// Turns a 2xx "GET job" body into a `JobSnapshot`, tolerating what the real APIs send: optional fields,
/// quoted numbers, empty strings for "none", odd time formats, a trailing comma.
///
/// Tolerant per field: a field of the wrong JSON type (an object where text belongs, a string where an
/// array belongs, a progress that is not a fraction in [0, 1]) is absent for that field only, and named in
/// `DecodedJob.problems`; the rest of the answer is used. Only a body that is not a JSON object with a
/// text `status` is refused as a whole.
package enum JobResponseDecoder {
    /// At most this many sub-jobs are kept per job (the first ones, duplicates dropped); the cloud's
    /// documented jobs have a handful. Bounds the rows, history and events one poll can create.
    package static let maxSubJobs = 1000

    /// Throws `CloudError.malformed` when the body is not a JSON object with a status.
    package static func decode(_ body: [UInt8], api: JobAPI, requestedJobID: String) throws -> JobSnapshot {
        try decodeReportingProblems(body, api: api, requestedJobID: requestedJobID).snapshot
    }

    /// The snapshot and the fields that were ignored, each problem in words (for a log line).
    package static func decodeReportingProblems(
        _ body: [UInt8], api: JobAPI, requestedJobID: String
    ) throws -> DecodedJob {
        guard let json = TolerantJSON.parse(body), json.objectValue != nil,
            let providerStatus = json["status"]?.stringValue
        else {
            throw CloudError.malformed(excerpt: excerpt(of: body))
        }
        var fields = FieldReader()
        let snapshot: JobSnapshot
        switch api {
        case .ims, .imsProject:
            snapshot = decodeIMS(json, status: providerStatus, api: api, requestedJobID: requestedJobID, &fields)
        case .workspace:
            snapshot = decodeWorkspace(json, status: providerStatus, requestedJobID: requestedJobID, &fields)
        }
        return DecodedJob(snapshot: snapshot, problems: fields.problems)
    }

    /// At most 200 characters of the body on one line, for the log.
    static func excerpt(of body: [UInt8]) -> String {
        let text = String(decoding: body.prefix(800), as: UTF8.self)
        let flat = String(
            text.unicodeScalars.map {
                $0.properties.isWhitespace || $0.properties.generalCategory == .control ? " " : Character($0)
            })
        let trimmed = flat.trimmingCharacters(in: .whitespaces)
        if trimmed.isEmpty { return "(empty body)" }
        return trimmed.count > 200 ? String(trimmed.prefix(199)) + "…" : trimmed
    }

    // MARK: - IMS

    private static func decodeIMS(
        _ json: JSONValue, status: String, api: JobAPI, requestedJobID: String, _ fields: inout FieldReader
    ) -> JobSnapshot {
        let entities = fields.object(json["entities"], "entities")
        var subJobs = SubJobList()
        for (index, item) in fields.array(entities?["sub_jobs_result"], "entities.sub_jobs_result").enumerated() {
            guard let sub = imsSubJob(item, api: api, path: "entities.sub_jobs_result[\(index)]", &fields) else {
                continue
            }
            subJobs.append(sub)
        }
        for (index, item) in fields.array(entities?["sub_jobs_list"], "entities.sub_jobs_list").enumerated() {
            // Listed but not reported yet: the cloud has said nothing about its status (UNKNOWN, provider null).
            guard let id = fields.text(item, "entities.sub_jobs_list[\(index)]") else { continue }
            subJobs.append(SubJobSnapshot(jobID: id, status: .unknown, providerStatus: nil))
        }
        subJobs.report(into: &fields)
        let imageID =
            fields.text(entities?["image_id"], "entities.image_id") ?? subJobs.items.lazy.compactMap(\.imageID).first
            ?? fields.text(
                fields.array(entities?["results"], "entities.results").first?["image_id"],
                "entities.results[0].image_id")
        let imageName =
            fields.text(entities?["image_name"], "entities.image_name")
            ?? subJobs.items.lazy.compactMap(\.imageName).first
        return JobSnapshot(
            jobID: fields.text(json["job_id"], "job_id") ?? requestedJobID,
            jobType: fields.text(json["job_type"], "job_type"),
            status: JobStatus(provider: status, api: api),
            providerStatus: status,
            progress: fields.fraction(entities?["process_percent"], "entities.process_percent"),
            currentTask: fields.text(entities?["current_task"], "entities.current_task"),
            beginTime: fields.time(json["begin_time"], "begin_time"),
            endTime: fields.time(json["end_time"], "end_time"),
            errorCode: fields.text(json["error_code"], "error_code")
                ?? fields.text(entities?["error_code"], "entities.error_code"),
            failReason: fields.text(json["fail_reason"], "fail_reason")
                ?? fields.text(entities?["error"], "entities.error"),
            imageID: imageID,
            imageName: imageName,
            entities: entities.map(JSONValue.object),
            subJobs: subJobs.items
        )
    }

    private static func imsSubJob(
        _ item: JSONValue, api: JobAPI, path: String, _ fields: inout FieldReader
    ) -> SubJobSnapshot? {
        guard let json = fields.object(item, path), let id = fields.text(json["job_id"], "\(path).job_id") else {
            fields.note("\(path) has no job_id; skipped")
            return nil
        }
        let providerStatus = fields.text(json["status"], "\(path).status")
        let entities = fields.object(json["entities"], "\(path).entities")
        return SubJobSnapshot(
            jobID: id,
            jobType: fields.text(json["job_type"], "\(path).job_type"),
            status: providerStatus.map { JobStatus(provider: $0, api: api) } ?? .unknown,
            providerStatus: providerStatus,
            beginTime: fields.time(json["begin_time"], "\(path).begin_time"),
            endTime: fields.time(json["end_time"], "\(path).end_time"),
            errorCode: fields.text(json["error_code"], "\(path).error_code"),
            failReason: fields.text(json["fail_reason"], "\(path).fail_reason"),
            imageID: fields.text(entities?["image_id"], "\(path).entities.image_id"),
            imageName: fields.text(entities?["image_name"], "\(path).entities.image_name")
        )
    }

    // MARK: - Workspace

    private static func decodeWorkspace(
        _ json: JSONValue, status: String, requestedJobID: String, _ fields: inout FieldReader
    ) -> JobSnapshot {
        var subJobs = SubJobList()
        for (index, item) in fields.array(json["sub_jobs"], "sub_jobs").enumerated() {
            if let sub = workspaceSubJob(item, path: "sub_jobs[\(index)]", &fields) { subJobs.append(sub) }
        }
        subJobs.report(into: &fields)
        return JobSnapshot(
            jobID: fields.text(json["id"], "id") ?? requestedJobID,
            jobType: fields.text(json["job_type"], "job_type"),
            status: JobStatus(provider: status, api: .workspace),
            providerStatus: status,
            beginTime: fields.time(json["begin_time"], "begin_time"),
            endTime: fields.time(json["end_time"], "end_time"),
            subJobs: subJobs.items
        )
    }

    private static func workspaceSubJob(_ item: JSONValue, path: String, _ fields: inout FieldReader) -> SubJobSnapshot?
    {
        guard let json = fields.object(item, path), let id = fields.text(json["id"], "\(path).id") else {
            fields.note("\(path) has no id; skipped")
            return nil
        }
        let providerStatus = fields.text(json["status"], "\(path).status")
        let execution = fields.object(json["job_execute_info"], "\(path).job_execute_info")
        let resource = fields.object(json["job_resource_info"], "\(path).job_resource_info")
        return SubJobSnapshot(
            jobID: id,
            jobType: fields.text(json["job_type"], "\(path).job_type"),
            status: providerStatus.map { JobStatus(provider: $0, api: .workspace) } ?? .unknown,
            providerStatus: providerStatus,
            beginTime: fields.time(json["begin_time"], "\(path).begin_time"),
            endTime: fields.time(json["end_time"], "\(path).end_time"),
            errorCode: fields.text(execution?["error_code"], "\(path).job_execute_info.error_code"),
            failReason: fields.text(execution?["error_message"], "\(path).job_execute_info.error_message"),
            resourceID: fields.text(resource?["resource_id"], "\(path).job_resource_info.resource_id"),
            resourceName: fields.text(resource?["resource_name"], "\(path).job_resource_info.resource_name")
        )
    }
}

/// A decoded answer and what was ignored in it.
package struct DecodedJob: Sendable {
    package var snapshot: JobSnapshot
    /// One line per ignored field (at most `FieldReader.maxProblems`), e.g.
    /// `entities.process_percent: "NaN" is not a fraction in [0, 1]; taken as unknown`.
    package var problems: [String]
}

/// Sub-jobs in the cloud's order, de-duplicated by id in linear time and capped at `maxSubJobs`.
private struct SubJobList {
    private(set) var items: [SubJobSnapshot] = []
    private var seen: Set<String> = []
    private var duplicates = 0
    private var dropped = 0

    mutating func append(_ sub: SubJobSnapshot) {
        guard !seen.contains(sub.jobID) else {
            duplicates += 1
            return
        }
        guard items.count < JobResponseDecoder.maxSubJobs else {
            dropped += 1
            return
        }
        seen.insert(sub.jobID)
        items.append(sub)
    }

    /// Duplicates between `sub_jobs_result` and `sub_jobs_list` are normal; only the cap is a problem.
    func report(into fields: inout FieldReader) {
        if dropped > 0 {
            fields.note(
                "\(items.count + dropped) sub-jobs; only the first \(JobResponseDecoder.maxSubJobs) are tracked")
        }
    }
}
