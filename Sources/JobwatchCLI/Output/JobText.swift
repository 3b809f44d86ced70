import Foundation
import JobwatchCore

/// The human views of a job.
enum JobText {
    static func progress(_ value: Double?) -> String {
        ProgressFraction.text(value)
    }

    static func time(_ millis: Int64?) -> String {
        millis.map(CloudTime.format(millis:)) ?? "-"
    }

    static func labels(_ labels: [String: String]) -> String {
        labels.isEmpty ? "-" : labels.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: ",")
    }

    /// An event's job status with its progress, `RUNNING 40%`; nil when the event carries no status.
    static func eventStatus(_ event: DecodedEvent) -> String? {
        guard let job = event.job, let status = job.status else { return nil }
        return status + (ProgressFraction.percent(job.progress).map { " \($0)%" } ?? "")
    }

    /// The status column: the normalized status, with the cloud's word when it differs.
    static func status(_ record: JobRecord) -> String {
        guard record.providerStatus != nil else { return "(not polled yet)" }
        if let provider = record.providerStatus, provider != record.status.rawValue {
            return "\(record.status.rawValue) (\(provider))"
        }
        return record.status.rawValue
    }

    /// The tracking column: `active (stalled)` while a stall is announced.
    static func tracking(_ job: JobRecord) -> String {
        job.tracking == .active && job.stalledAtMillis != nil ? "active (stalled)" : job.tracking.rawValue
    }

    static func listTable(_ jobs: [JobRecord]) -> String {
        var table = TextTable(["JOB ID", "API", "ACCOUNT", "TYPE", "STATUS", "PROGRESS", "TRACKING", "POLLS", "LABELS"])
        for job in jobs {
            table.append([
                job.jobID, job.api.rawValue, job.account, job.jobType ?? "-", status(job), progress(job.progress),
                tracking(job), String(job.polls), labels(job.labels),
            ])
        }
        return table.render()
    }

    /// The `show` block: the current state, sub-jobs, then (optionally) the history.
    static func block(_ job: JobRecord, history: [HistoryEntry]?) -> String {
        var lines: [String] = []
        func field(_ name: String, _ value: String) {
            lines.append("  " + name.padding(toLength: 14, withPad: " ", startingAt: 0) + InputRules.printable(value))
        }
        lines.append("Job \(InputRules.printable(job.jobID))")
        field("api", job.api.rawValue)
        field("account", "\(job.account) (region \(job.region ?? "-"), project \(job.projectID ?? "-"))")
        field("type", job.jobType ?? "-")
        field("status", status(job))
        field(
            "tracking",
            job.tracking.rawValue + (job.tracking == .active ? ", next poll \(time(job.nextPollAtMillis))" : ""))
        if let stall = StallCheck.mark(job, nowMillis: Int64((Date().timeIntervalSince1970 * 1000).rounded())) {
            field("stall", "\(stall) (announced \(time(job.stalledAtMillis)))")
        }
        field("progress", progress(job.progress) + (job.currentTask.map { " — \($0)" } ?? ""))
        field("began", job.beginTime ?? "-")
        field("ended", job.endTime ?? "-")
        if job.imageID != nil || job.imageName != nil {
            field("image", "\(job.imageID ?? "-")\(job.imageName.map { " (\($0))" } ?? "")")
        }
        if job.errorCode != nil || job.failReason != nil {
            field("error", "\(job.errorCode ?? "-"): \(job.failReason ?? "-")")
        }
        field("labels", labels(job.labels))
        field("sinks", job.sinks?.joined(separator: ", ") ?? "all subscribed")
        field("registered", time(job.registeredAtMillis))
        field("deadline", time(job.deadlineAtMillis))
        field("polls", "\(job.polls), last \(time(job.lastPolledAtMillis))")
        if let lastError = job.lastError { field("last error", lastError) }
        if !job.subJobs.isEmpty {
            lines.append("")
            lines.append("Sub-jobs")
            var table = TextTable(["  JOB ID", "TYPE", "STATUS", "ENDED", "RESULT"])
            for sub in job.subJobs {
                let status =
                    sub.providerStatus.map { $0 == sub.status.rawValue ? $0 : "\(sub.status.rawValue) (\($0))" }
                    ?? sub.status.rawValue
                let result =
                    sub.errorCode.map { "\($0): \(sub.failReason ?? "-")" }
                    ?? sub.imageID ?? sub.resourceID.map { "\($0)\(sub.resourceName.map { " (\($0))" } ?? "")" } ?? "-"
                table.append(["  " + sub.jobID, sub.jobType ?? "-", status, sub.endTime ?? "-", result])
            }
            lines.append(table.render())
        }
        if let history {
            lines.append("")
            lines.append("History")
            if history.isEmpty {
                lines.append("  (nothing observed yet)")
            } else {
                var table = TextTable(["  AT", "WHAT", "CHANGE", "PROVIDER", "PROGRESS", "TASK"])
                for entry in history {
                    let change = "\(entry.from?.rawValue ?? "∅") → \(entry.to.rawValue)"
                    table.append([
                        "  " + time(entry.atMillis), entry.subJobID.map { "sub-job \($0)" } ?? "job", change,
                        entry.providerStatus ?? "-", progress(entry.progress), entry.currentTask ?? "-",
                    ])
                }
                lines.append(table.render())
            }
        }
        return lines.joined(separator: "\n")
    }
}
