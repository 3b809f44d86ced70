import JobwatchCore

/// The Workspace image-server job body (seed 003): `id`, WAITING/RUNNING/SUCCESS/FAILED and `sub_jobs[]`
/// whose statuses add ROLLBACK and ABNORMAL.
enum WorkspaceJobBody {
    static func render(_ job: SimulatedJob, projectID: String, now: Int64) -> JSONText {
        let phase = job.phase(at: now)
        let subJobs = job.kind.subJobs.indices.compactMap { subJob(job, $0, projectID: projectID, now: now) }
        return .object([
            ("id", .string(job.id)),
            ("job_type", .string(job.kind.jobType)),
            ("begin_time", .string(CloudTime.format(millis: job.createdAt))),
            ("end_time", .string(phase == .ended ? CloudTime.format(millis: job.endsAt) : "")),
            ("status", .string(status(job, at: now))),
            ("sub_jobs_total", .int(Int64(job.kind.subJobs.count))),
            ("sub_jobs", .array(subJobs)),
        ])
    }

    static func status(_ job: SimulatedJob, at now: Int64) -> String {
        switch job.phase(at: now) {
        case .initializing: return "WAITING"
        case .running: return "RUNNING"
        case .ended: return job.outcome == .success ? "SUCCESS" : "FAILED"
        }
    }

    private static func subJob(_ job: SimulatedJob, _ index: Int, projectID: String, now: Int64) -> JSONText? {
        guard let state = job.subJob(index, at: now) else { return nil }
        let plan = job.kind.subJobs[index]
        let status: String
        var error: (code: String, reason: String)?
        switch state.stage {
        case .waiting: status = "WAITING"
        case .running: status = "RUNNING"
        case .rollingBack: status = "ROLLBACK"
        case .ended(let outcome):
            switch outcome {
            case .success: status = "SUCCESS"
            case .fail: status = "FAILED"
            case .abnormal: status = "ABNORMAL"
            }
            error = outcome.error
        }
        let resourceName = plan.jobType == "CREATE_SERVER_IMAGE" ? job.imageName : "\(job.imageName)-server"
        return .object([
            ("id", .string(job.subJobIDs[index])),
            ("job_type", .string(plan.jobType)),
            (
                "job_resource_info",
                .object([
                    ("resource_id", .string(job.subJobResourceIDs[index])),
                    ("resource_name", .string(resourceName)),
                ])
            ),
            ("begin_time", .string(CloudTime.format(millis: state.beganAt))),
            ("end_time", .string(state.endedAt.map { CloudTime.format(millis: $0) } ?? "")),
            ("status", .string(status)),
            (
                "job_execute_info",
                .object([
                    ("error_code", .string(error?.code ?? "")),
                    ("error_message", .string(error?.reason ?? "")),
                ])
            ),
            ("project_id", .string(projectID)),
            ("job_id", .string(job.id)),
        ])
    }
}
