import JobwatchCore

/// The IMS job body: ShowJobProgress (`ims`, seed 000: with `process_percent` and `current_task`) or
/// ShowJob (`ims-project`, seed 001: without them, with `sub_jobs_list` beside `sub_jobs_result`).
enum IMSJobBody {
    static func render(_ job: SimulatedJob, progressAPI: Bool, now: Int64) -> JSONText {
        let phase = job.phase(at: now)
        let error = phase == .ended ? job.outcome.error : nil
        return .object([
            ("job_id", .string(job.id)),
            ("job_type", .string(job.kind.jobType)),
            ("begin_time", .string(CloudTime.format(millis: job.createdAt))),
            ("end_time", .string(phase == .ended ? CloudTime.format(millis: job.endsAt) : "")),
            ("status", .string(status(job, at: now))),
            ("error_code", .optional(error?.code)),
            ("fail_reason", .optional(error?.reason)),
            ("entities", entities(job, progressAPI: progressAPI, phase: phase, now: now)),
        ])
    }

    static func status(_ job: SimulatedJob, at now: Int64) -> String {
        switch job.phase(at: now) {
        case .initializing: return "INIT"
        case .running: return "RUNNING"
        case .ended: return job.outcome == .success ? "SUCCESS" : "FAIL"
        }
    }

    private static func entities(
        _ job: SimulatedJob, progressAPI: Bool, phase: SimulatedJob.Phase, now: Int64
    ) -> JSONText {
        var members: [(String, JSONText)] = []
        switch job.kind.shape {
        case .image(let subJobID, let nameInShowJob):
            if progressAPI || nameInShowJob { members.append(("image_name", .string(job.imageName))) }
            if subJobID && progressAPI { members.append(("subJobId", .string(job.internalSubJobID))) }
            members.append(("image_id", .string(job.imageID)))
        case .members(let count):
            let succeeded = phase == .ended && job.outcome == .success
            let results = (0..<(succeeded ? count : 0)).map { _ -> JSONText in
                var result: [(String, JSONText)] = [("image_id", .string(job.imageID))]
                if progressAPI { result.append(("project_id", .string(job.memberProjectID))) }
                result.append(("status", .string("success")))
                return .object(result)
            }
            members.append(("results", .array(results)))
        case .subJobs:
            let results = job.kind.subJobs.indices.compactMap { subJob(job, $0, now: now) }
            members.append(("sub_jobs_result", .array(results)))
            // Sub-jobs are listed before they appear in sub_jobs_result; the finished ShowJobProgress
            // example of seed 000 no longer lists them.
            if !progressAPI || phase != .ended {
                members.append(("sub_jobs_list", .array(job.subJobIDs.map(JSONText.string))))
            }
            if progressAPI && phase == .ended { return .object(members) }
        case .workspace:
            break
        }
        if progressAPI {
            let percent: Double
            switch phase {
            case .initializing: percent = 0
            case .running(let progress): percent = progress
            case .ended: percent = job.outcome == .success ? 1 : job.progress(at: job.endsAt)
            }
            members.append(("process_percent", .number(percent)))
            members.append(("current_task", .string(job.currentTask(at: now))))
        }
        return .object(members)
    }

    private static func subJob(_ job: SimulatedJob, _ index: Int, now: Int64) -> JSONText? {
        guard let state = job.subJob(index, at: now) else { return nil }
        let status: String
        var error: (code: String, reason: String)?
        switch state.stage {
        case .waiting: status = "INIT"
        case .running, .rollingBack: status = "RUNNING"
        case .ended(let outcome):
            status = outcome == .success ? "SUCCESS" : "FAIL"
            error = outcome.error
        }
        return .object([
            ("job_id", .string(job.subJobIDs[index])),
            ("job_type", .string(job.kind.subJobs[index].jobType)),
            ("begin_time", .string(CloudTime.format(millis: state.beganAt))),
            ("end_time", .string(state.endedAt.map { CloudTime.format(millis: $0) } ?? "")),
            ("status", .string(status)),
            ("error_code", .optional(error?.code)),
            ("fail_reason", .optional(error?.reason)),
            (
                "entities",
                .object([
                    ("image_name", .string("\(job.imageName)-\(index + 1)")),
                    ("image_id", .string(job.subJobResourceIDs[index])),
                ])
            ),
        ])
    }
}
