import JobwatchCore

/// The poison answers of the `set-field` and `sub-job-flood` faults: the normal answer, altered.
enum PoisonAnswer {
    /// The answer listing `count` sub-jobs, each in the job's own provider status.
    static func flooded(_ body: JSONText, job: SimulatedJob, api: JobAPI, count: Int) -> JSONText {
        let status = body.member("status") ?? .string("RUNNING")
        let ids = (0..<count).map { "\(job.id.prefix(8))-sub-\($0)" }
        switch api {
        case .ims, .imsProject:
            let results = ids.map { id in
                JSONText.object([
                    ("job_id", .string(id)), ("job_type", .string("imsImportImageJob")), ("status", status),
                    ("entities", .object([])),
                ])
            }
            return body.setting(["entities", "sub_jobs_result"], to: .array(results))
                .setting(["entities", "sub_jobs_list"], to: .array(ids.map(JSONText.string)))
        case .workspace:
            let subJobs = ids.map { id in JSONText.object([("id", .string(id)), ("status", status)]) }
            return body.setting(["sub_jobs"], to: .array(subJobs))
        }
    }
}

extension JSONText {
    /// Any JSON value as simulator text; a non-finite number (JSON has none) as its name in a string.
    init(_ value: JSONValue) {
        switch value {
        case .null: self = .null
        case .bool(let flag): self = .bool(flag)
        case .number(let number): self = number.isFinite ? .number(number) : .string(String(number))
        case .string(let text): self = .string(text)
        case .array(let items): self = .array(items.map(JSONText.init))
        case .object(let members):
            self = .object(members.sorted { $0.key < $1.key }.map { ($0.key, JSONText($0.value)) })
        }
    }

    func member(_ key: String) -> JSONText? {
        guard case .object(let members) = self else { return nil }
        return members.first { $0.0 == key }?.1
    }

    /// This value with the member at `path` replaced (or added, creating objects on the way).
    func setting(_ path: [String], to value: JSONText) -> JSONText {
        guard let key = path.first else { return value }
        var members: [(String, JSONText)]
        if case .object(let existing) = self { members = existing } else { members = [] }
        if let index = members.firstIndex(where: { $0.0 == key }) {
            members[index].1 = members[index].1.setting(Array(path.dropFirst()), to: value)
        } else {
            members.append((key, JSONText.null.setting(Array(path.dropFirst()), to: value)))
        }
        return .object(members)
    }
}
