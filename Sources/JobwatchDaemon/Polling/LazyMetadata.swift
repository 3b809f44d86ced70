import JobwatchStore
import Logging

/// A poll's log metadata (job, api, account, and the poll count once known), built only when a line is
/// logged.
struct LazyMetadata {
    let job: DueJob

    init(_ job: DueJob) {
        self.job = job
    }

    func value(polls: Int?) -> Logger.Metadata {
        var metadata: Logger.Metadata = [
            "job_id": "\(job.jobID)", "api": "\(job.api.rawValue)", "account": "\(job.account)",
        ]
        if let polls { metadata["polls"] = "\(polls)" }
        return metadata
    }
}
