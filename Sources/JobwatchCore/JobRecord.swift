/// The job record of CONTRACT §2, as `show --json`, `list --json`, `register --json` and event data print it.
package struct JobRecord: Sendable, Hashable, Encodable {
    package var jobID: String
    package var api: JobAPI
    package var account: String
    package var region: String?
    package var projectID: String?
    package var jobType: String?
    /// `UNKNOWN` until the first poll answers; `provider_status` stays null until then.
    package var status: JobStatus
    package var providerStatus: String?
    package var tracking: Tracking
    package var progress: Double?
    package var currentTask: String?
    package var beginTime: String?
    package var endTime: String?
    package var errorCode: String?
    package var failReason: String?
    package var imageID: String?
    package var imageName: String?
    package var entities: JSONValue?
    package var labels: [String: String]
    package var registeredAtMillis: Int64
    package var lastPolledAtMillis: Int64?
    package var nextPollAtMillis: Int64?
    package var polls: Int
    package var subJobs: [SubJobSnapshot]

    // Shown by the human views, not part of the JSON contract.
    package var sinks: [String]?
    package var deadlineAtMillis: Int64?
    package var lastError: String?
    /// When a poll last saw anything change (status, progress, current task, sub-jobs); nil before the first.
    package var lastChangeAtMillis: Int64?
    /// When the stall was announced; nil while the job is not stalled (a change clears it).
    package var stalledAtMillis: Int64?

    package init(
        jobID: String, api: JobAPI, account: String, region: String?, projectID: String?, jobType: String? = nil,
        status: JobStatus = .unknown, providerStatus: String? = nil, tracking: Tracking = .active,
        progress: Double? = nil, currentTask: String? = nil, beginTime: String? = nil, endTime: String? = nil,
        errorCode: String? = nil, failReason: String? = nil, imageID: String? = nil, imageName: String? = nil,
        entities: JSONValue? = nil, labels: [String: String] = [:], registeredAtMillis: Int64,
        lastPolledAtMillis: Int64? = nil, nextPollAtMillis: Int64? = nil, polls: Int = 0,
        subJobs: [SubJobSnapshot] = [],
        sinks: [String]? = nil, deadlineAtMillis: Int64? = nil, lastError: String? = nil,
        lastChangeAtMillis: Int64? = nil, stalledAtMillis: Int64? = nil
    ) {
        self.lastChangeAtMillis = lastChangeAtMillis
        self.stalledAtMillis = stalledAtMillis
        self.jobID = jobID
        self.api = api
        self.account = account
        self.region = region
        self.projectID = projectID
        self.jobType = jobType
        self.status = status
        self.providerStatus = providerStatus
        self.tracking = tracking
        self.progress = progress
        self.currentTask = currentTask
        self.beginTime = beginTime
        self.endTime = endTime
        self.errorCode = errorCode
        self.failReason = failReason
        self.imageID = imageID
        self.imageName = imageName
        self.entities = entities
        self.labels = labels
        self.registeredAtMillis = registeredAtMillis
        self.lastPolledAtMillis = lastPolledAtMillis
        self.nextPollAtMillis = nextPollAtMillis
        self.polls = polls
        self.subJobs = subJobs
        self.sinks = sinks
        self.deadlineAtMillis = deadlineAtMillis
        self.lastError = lastError
    }

    /// Takes over everything a poll observed.
    package mutating func apply(_ snapshot: JobSnapshot) {
        jobType = snapshot.jobType ?? jobType
        status = snapshot.status
        providerStatus = snapshot.providerStatus
        progress = ProgressFraction.validated(snapshot.progress)
        currentTask = snapshot.currentTask
        beginTime = snapshot.beginTime
        endTime = snapshot.endTime
        errorCode = snapshot.errorCode
        failReason = snapshot.failReason
        imageID = snapshot.imageID
        imageName = snapshot.imageName
        entities = snapshot.entities
        subJobs = snapshot.subJobs
    }

    /// The last observed state as a snapshot, for diffing against the next poll; nil before the first poll.
    package var lastSnapshot: JobSnapshot? {
        guard providerStatus != nil || polls > 0 && status != .unknown else { return nil }
        return JobSnapshot(
            jobID: jobID, jobType: jobType, status: status, providerStatus: providerStatus, progress: progress,
            currentTask: currentTask, beginTime: beginTime, endTime: endTime, errorCode: errorCode,
            failReason: failReason, imageID: imageID, imageName: imageName, entities: entities, subJobs: subJobs)
    }

    enum CodingKeys: String, CodingKey {
        case jobID = "job_id", api, account, region, projectID = "project_id", jobType = "job_type", status
        case providerStatus = "provider_status", tracking, progress, currentTask = "current_task"
        case beginTime = "begin_time", endTime = "end_time", errorCode = "error_code", failReason = "fail_reason"
        case imageID = "image_id", imageName = "image_name", entities, labels, registeredAt = "registered_at"
        case lastPolledAt = "last_polled_at", nextPollAt = "next_poll_at", polls, subJobs = "sub_jobs"
    }

    package func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(jobID, forKey: .jobID)
        try c.encode(api, forKey: .api)
        try c.encode(account, forKey: .account)
        try c.encode(region, forKey: .region)
        try c.encode(projectID, forKey: .projectID)
        try c.encode(jobType, forKey: .jobType)
        try c.encode(status, forKey: .status)
        try c.encode(providerStatus, forKey: .providerStatus)
        try c.encode(tracking, forKey: .tracking)
        try c.encode(ProgressFraction.validated(progress), forKey: .progress)
        try c.encode(currentTask, forKey: .currentTask)
        try c.encode(beginTime, forKey: .beginTime)
        try c.encode(endTime, forKey: .endTime)
        try c.encode(errorCode, forKey: .errorCode)
        try c.encode(failReason, forKey: .failReason)
        try c.encode(imageID, forKey: .imageID)
        try c.encode(imageName, forKey: .imageName)
        try c.encode(entities, forKey: .entities)
        try c.encode(labels, forKey: .labels)
        try c.encode(CloudTime.format(millis: registeredAtMillis), forKey: .registeredAt)
        try c.encode(lastPolledAtMillis.map(CloudTime.format(millis:)), forKey: .lastPolledAt)
        try c.encode(tracking == .active ? nextPollAtMillis.map(CloudTime.format(millis:)) : nil, forKey: .nextPollAt)
        try c.encode(polls, forKey: .polls)
        try c.encode(subJobs, forKey: .subJobs)
    }
}

/// One row of a job's history (`show --json` → `history`).
package struct HistoryEntry: Sendable, Hashable, Encodable {
    package var atMillis: Int64
    package var subJobID: String?
    package var from: JobStatus?
    package var to: JobStatus
    package var providerStatus: String?
    package var progress: Double?
    package var currentTask: String?

    package init(atMillis: Int64, transition: Transition) {
        self.atMillis = atMillis
        subJobID = transition.subJobID
        from = transition.from
        to = transition.to
        providerStatus = transition.providerStatus
        progress = transition.progress
        currentTask = transition.currentTask
    }

    enum CodingKeys: String, CodingKey {
        case at, subJobID = "sub_job_id", from, to, providerStatus = "provider_status", progress
        case currentTask = "current_task"
    }

    package func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(CloudTime.format(millis: atMillis), forKey: .at)
        try c.encode(subJobID, forKey: .subJobID)
        try c.encode(from, forKey: .from)
        try c.encode(to, forKey: .to)
        try c.encode(providerStatus, forKey: .providerStatus)
        try c.encode(ProgressFraction.validated(progress), forKey: .progress)
        try c.encode(currentTask, forKey: .currentTask)
    }
}

/// `show --json`: the record plus its history.
package struct JobRecordWithHistory: Encodable, Sendable {
    package var record: JobRecord
    package var history: [HistoryEntry]

    package init(record: JobRecord, history: [HistoryEntry]) {
        self.record = record
        self.history = history
    }

    enum CodingKeys: String, CodingKey { case history }

    package func encode(to encoder: Encoder) throws {
        try record.encode(to: encoder)
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(history, forKey: .history)
    }
}
