/// A CloudEvents 1.0 event in JSON structured mode (CONTRACT §3).
package struct CloudEvent: Sendable, Encodable {
    package var id: String
    package var source: String
    package var type: EventType
    package var subject: String
    package var timeMillis: Int64
    package var sequence: Int64
    package var data: EventData

    package init(
        id: String, source: String, type: EventType, subject: String, timeMillis: Int64, sequence: Int64,
        data: EventData
    ) {
        self.id = id
        self.source = source
        self.type = type
        self.subject = subject
        self.timeMillis = timeMillis
        self.sequence = sequence
        self.data = data
    }

    /// `jobwatch://HOSTNAME/ACCOUNT`.
    package static func source(hostname: String, account: String) -> String {
        "jobwatch://\(hostname)/\(account)"
    }

    enum CodingKeys: String, CodingKey {
        case specversion, id, source, type, subject, time, sequence, datacontenttype, data
    }

    package func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode("1.0", forKey: .specversion)
        try c.encode(id, forKey: .id)
        try c.encode(source, forKey: .source)
        try c.encode(type, forKey: .type)
        try c.encode(subject, forKey: .subject)
        try c.encode(CloudTime.format(millis: timeMillis), forKey: .time)
        // A string, as CloudEvents extension attributes are; it still sorts numerically when parsed.
        try c.encode(String(sequence), forKey: .sequence)
        try c.encode("application/json", forKey: .datacontenttype)
        try c.encode(data, forKey: .data)
    }
}

/// The `data` of every jobwatch event: the job record (without history), the status before the change,
/// and the sub-job that changed (for `jobwatch.subjob.status_changed`).
package struct EventData: Sendable, Encodable {
    package var job: JobRecord
    package var previousStatus: JobStatus?
    package var subJob: SubJobSnapshot?

    package init(job: JobRecord, previousStatus: JobStatus?, subJob: SubJobSnapshot?) {
        self.job = job
        self.previousStatus = previousStatus
        self.subJob = subJob
    }

    enum CodingKeys: String, CodingKey { case job, previousStatus = "previous_status", subJob = "sub_job" }

    package func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(job, forKey: .job)
        try c.encode(previousStatus, forKey: .previousStatus)
        try c.encode(subJob, forKey: .subJob)
    }
}

/// An event decided by the domain logic, before the store gives it an id and a sequence.
package struct PendingEvent: Sendable, Hashable {
    package var type: EventType
    package var previousStatus: JobStatus?
    package var subJob: SubJobSnapshot?

    package init(type: EventType, previousStatus: JobStatus? = nil, subJob: SubJobSnapshot? = nil) {
        self.type = type
        self.previousStatus = previousStatus
        self.subJob = subJob
    }
}
