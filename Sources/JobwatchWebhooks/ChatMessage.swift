import JobwatchCore

/// The one human line a chat sink posts for an event: verdict, api, job type, job id, duration, and the
/// image on success or the error code and reason on failure, e.g.
/// `✅ SUCCESS · ims · imsCreateImageByInstance · 9a17… · 3m08s · image eaca… (nightly)`.
package enum ChatMessage {
    package static func text(for event: StoredEvent) -> String {
        guard let decoded = event.decoded else { return "ℹ️ jobwatch event" }
        return text(for: decoded)
    }

    package static func text(for event: DecodedEvent) -> String {
        let job = event.job
        let type = event.eventType
        let parts: [String?] = [
            verdict(type: type, rawType: event.type, job: job, previousStatus: event.previousStatus),
            job?.api, job?.jobType, job?.jobID ?? event.subject,
            duration(job),
            detail(type: type, job: job, subJob: event.subJob),
        ]
        return parts.compactMap { $0.map(oneLine) }.filter { !$0.isEmpty }.joined(separator: " · ")
    }

    private static func verdict(
        type: EventType?, rawType: String?, job: DecodedEvent.Job?, previousStatus: String?
    ) -> String {
        switch type {
        case .succeeded: return "✅ SUCCESS"
        case .failed: return "❌ FAIL"
        case .abnormal: return "⚠️ ABNORMAL"
        case .expired: return "⌛ EXPIRED"
        case .notFound: return "❓ NOT FOUND"
        case .registered: return "ℹ️ REGISTERED"
        case .statusChanged:
            let status = job?.status ?? "UNKNOWN"
            return previousStatus.map { "ℹ️ \($0) → \(status)" } ?? "ℹ️ \(status)"
        case .progress:
            return ProgressFraction.percent(job?.progress).map { "ℹ️ PROGRESS \($0)%" } ?? "ℹ️ PROGRESS"
        case .subJobStatusChanged: return "ℹ️ SUB-JOB CHANGED"
        case .stalled: return "⏸️ STALLED"
        case nil: return "ℹ️ \(rawType ?? "jobwatch event")"
        }
    }

    /// From the job's begin time to its end time; nil unless both are known.
    private static func duration(_ job: DecodedEvent.Job?) -> String? {
        guard let begin = job?.beginTime.flatMap(CloudTime.parseMillis),
            let end = job?.endTime.flatMap(CloudTime.parseMillis),
            end >= begin
        else { return nil }
        return DurationText.human(millis: end - begin)
    }

    private static func detail(type: EventType?, job: DecodedEvent.Job?, subJob: DecodedEvent.SubJob?) -> String? {
        switch type {
        case .succeeded:
            return image(id: job?.imageID, name: job?.imageName)
        case .failed, .abnormal:
            return failure(code: job?.errorCode, reason: job?.failReason)
        case .expired:
            return job?.status.map { "deadline passed while \($0)" } ?? "deadline passed"
        case .notFound:
            return "the job API kept answering 404"
        case .progress:
            return job?.currentTask
        case .stalled:
            let at = ProgressFraction.percent(job?.progress).map { " at \($0)%" } ?? ""
            return "no change while \(job?.status ?? "UNKNOWN")\(at)"
        case .subJobStatusChanged:
            guard let subJob else { return nil }
            let head = ["sub-job", subJob.jobID, subJob.status].compactMap { $0 }.joined(separator: " ")
            let tail =
                subJob.status == JobStatus.success.rawValue
                ? image(id: subJob.imageID, name: subJob.imageName)
                : failure(code: subJob.errorCode, reason: subJob.failReason)
            return [head, tail].compactMap { $0 }.joined(separator: " · ")
        case .registered, .statusChanged, nil:
            return nil
        }
    }

    private static func image(id: String?, name: String?) -> String? {
        switch (id, name) {
        case let (id?, name?): return "image \(id) (\(name))"
        case let (id?, nil): return "image \(id)"
        case let (nil, name?): return "image \(name)"
        case (nil, nil): return nil
        }
    }

    private static func failure(code: String?, reason: String?) -> String? {
        switch (code, reason) {
        case let (code?, reason?): return "\(code): \(reason)"
        case let (code?, nil): return code
        case let (nil, reason?): return reason
        case (nil, nil): return nil
        }
    }

    /// Line breaks, tabs and runs of spaces inside a field become one space, so the message stays one line.
    private static func oneLine(_ text: String) -> String {
        InputRules.printable(text.split(whereSeparator: { $0.isWhitespace || $0.isNewline }).joined(separator: " "))
    }
}
