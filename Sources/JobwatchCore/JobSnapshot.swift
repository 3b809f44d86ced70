/// What one successful poll says about a job, normalized across the three APIs (CONTRACT §2).
package struct JobSnapshot: Sendable, Hashable {
    package var jobID: String
    package var jobType: String?
    package var status: JobStatus
    /// The status string exactly as the cloud sent it.
    package var providerStatus: String?
    /// `entities.process_percent`, a fraction 0...1.
    package var progress: Double?
    package var currentTask: String?
    /// ISO 8601 UTC with milliseconds when parseable, the raw text otherwise, nil when absent or empty.
    package var beginTime: String?
    package var endTime: String?
    package var errorCode: String?
    package var failReason: String?
    package var imageID: String?
    package var imageName: String?
    /// The raw `entities` object of the response (IMS), kept for users who need more than the summary.
    package var entities: JSONValue?
    package var subJobs: [SubJobSnapshot]

    package init(
        jobID: String, jobType: String? = nil, status: JobStatus, providerStatus: String?,
        progress: Double? = nil, currentTask: String? = nil, beginTime: String? = nil, endTime: String? = nil,
        errorCode: String? = nil, failReason: String? = nil, imageID: String? = nil, imageName: String? = nil,
        entities: JSONValue? = nil, subJobs: [SubJobSnapshot] = []
    ) {
        self.jobID = jobID
        self.jobType = jobType
        self.status = status
        self.providerStatus = providerStatus
        self.progress = progress
        self.currentTask = currentTask
        self.beginTime = beginTime
        self.endTime = endTime
        self.errorCode = errorCode
        self.failReason = failReason
        self.imageID = imageID
        self.imageName = imageName
        self.entities = entities
        self.subJobs = subJobs
    }
}

/// One sub-job: IMS `entities.sub_jobs_result[]` (or an id only listed in `sub_jobs_list`), Workspace `sub_jobs[]`.
package struct SubJobSnapshot: Sendable, Hashable, Codable {
    package var jobID: String
    package var jobType: String?
    package var status: JobStatus
    package var providerStatus: String?
    package var beginTime: String?
    package var endTime: String?
    package var errorCode: String?
    package var failReason: String?
    package var imageID: String?
    package var imageName: String?
    package var resourceID: String?
    package var resourceName: String?

    package init(
        jobID: String, jobType: String? = nil, status: JobStatus, providerStatus: String?,
        beginTime: String? = nil, endTime: String? = nil, errorCode: String? = nil, failReason: String? = nil,
        imageID: String? = nil, imageName: String? = nil, resourceID: String? = nil, resourceName: String? = nil
    ) {
        self.jobID = jobID
        self.jobType = jobType
        self.status = status
        self.providerStatus = providerStatus
        self.beginTime = beginTime
        self.endTime = endTime
        self.errorCode = errorCode
        self.failReason = failReason
        self.imageID = imageID
        self.imageName = imageName
        self.resourceID = resourceID
        self.resourceName = resourceName
    }

    enum CodingKeys: String, CodingKey {
        case jobID = "job_id", jobType = "job_type", status, providerStatus = "provider_status"
        case beginTime = "begin_time", endTime = "end_time", errorCode = "error_code", failReason = "fail_reason"
        case imageID = "image_id", imageName = "image_name", resourceID = "resource_id", resourceName = "resource_name"
    }

    // Absent values are written as explicit nulls: the contract's records always carry every key.
    package func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(jobID, forKey: .jobID)
        try c.encode(jobType, forKey: .jobType)
        try c.encode(status, forKey: .status)
        try c.encode(providerStatus, forKey: .providerStatus)
        try c.encode(beginTime, forKey: .beginTime)
        try c.encode(endTime, forKey: .endTime)
        try c.encode(errorCode, forKey: .errorCode)
        try c.encode(failReason, forKey: .failReason)
        try c.encode(imageID, forKey: .imageID)
        try c.encode(imageName, forKey: .imageName)
        try c.encode(resourceID, forKey: .resourceID)
        try c.encode(resourceName, forKey: .resourceName)
    }
}
