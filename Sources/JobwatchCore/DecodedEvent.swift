import Foundation

/// A CloudEvent read back from its JSON text (CONTRACT §3): the one decoder of event bodies, used by the
/// CLI views, the demo and the chat messages. It is the reading side of `CloudEvent`, `EventData`,
/// `JobRecord` and `SubJobSnapshot` and decodes with their coding keys. Every field is optional and nothing
/// else is read, so an odd body still gives what it has.
package struct DecodedEvent: Sendable, Hashable, Decodable {
    /// The `type` as written; `eventType` is nil when it is not one jobwatch emits.
    package var type: String?
    package var subject: String?
    package var job: Job?
    package var previousStatus: String?
    package var subJob: SubJob?

    package var eventType: EventType? { type.flatMap(EventType.init(rawValue:)) }

    /// Nil when the text is not a JSON object of this shape.
    package init?(json: String) {
        guard let decoded = try? JSONDecoder().decode(DecodedEvent.self, from: Data(json.utf8)) else { return nil }
        self = decoded
    }

    /// `data.job`: the fields of the job record that events are read for.
    package struct Job: Sendable, Hashable, Decodable {
        package var jobID: String?
        package var api: String?
        package var jobType: String?
        package var status: String?
        package var progress: Double?
        package var currentTask: String?
        package var beginTime: String?
        package var endTime: String?
        package var errorCode: String?
        package var failReason: String?
        package var imageID: String?
        package var imageName: String?

        package init(from decoder: Decoder) throws {
            let c = try decoder.container(keyedBy: JobRecord.CodingKeys.self)
            jobID = try c.decodeIfPresent(String.self, forKey: .jobID)
            api = try c.decodeIfPresent(String.self, forKey: .api)
            jobType = try c.decodeIfPresent(String.self, forKey: .jobType)
            status = try c.decodeIfPresent(String.self, forKey: .status)
            progress = try c.decodeIfPresent(Double.self, forKey: .progress)
            currentTask = try c.decodeIfPresent(String.self, forKey: .currentTask)
            beginTime = try c.decodeIfPresent(String.self, forKey: .beginTime)
            endTime = try c.decodeIfPresent(String.self, forKey: .endTime)
            errorCode = try c.decodeIfPresent(String.self, forKey: .errorCode)
            failReason = try c.decodeIfPresent(String.self, forKey: .failReason)
            imageID = try c.decodeIfPresent(String.self, forKey: .imageID)
            imageName = try c.decodeIfPresent(String.self, forKey: .imageName)
        }
    }

    /// `data.sub_job`, set on `jobwatch.subjob.status_changed`.
    package struct SubJob: Sendable, Hashable, Decodable {
        package var jobID: String?
        package var status: String?
        package var errorCode: String?
        package var failReason: String?
        package var imageID: String?
        package var imageName: String?

        package init(from decoder: Decoder) throws {
            let c = try decoder.container(keyedBy: SubJobSnapshot.CodingKeys.self)
            jobID = try c.decodeIfPresent(String.self, forKey: .jobID)
            status = try c.decodeIfPresent(String.self, forKey: .status)
            errorCode = try c.decodeIfPresent(String.self, forKey: .errorCode)
            failReason = try c.decodeIfPresent(String.self, forKey: .failReason)
            imageID = try c.decodeIfPresent(String.self, forKey: .imageID)
            imageName = try c.decodeIfPresent(String.self, forKey: .imageName)
        }
    }

    private struct Payload: Decodable {
        var job: Job?
        var previousStatus: String?
        var subJob: SubJob?

        init(from decoder: Decoder) throws {
            let c = try decoder.container(keyedBy: EventData.CodingKeys.self)
            job = try c.decodeIfPresent(Job.self, forKey: .job)
            previousStatus = try c.decodeIfPresent(String.self, forKey: .previousStatus)
            subJob = try c.decodeIfPresent(SubJob.self, forKey: .subJob)
        }
    }

    package init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CloudEvent.CodingKeys.self)
        type = try c.decodeIfPresent(String.self, forKey: .type)
        subject = try c.decodeIfPresent(String.self, forKey: .subject)
        let data = try c.decodeIfPresent(Payload.self, forKey: .data)
        job = data?.job
        previousStatus = data?.previousStatus
        subJob = data?.subJob
    }
}
