import AsyncHTTPClient
import Foundation
import JobwatchCore
import JobwatchSimulator
import JobwatchTestKit
import JobwatchWebhooks
import Logging

/// The fixed clock of the tests: 2025-11-22T05:41:00.123Z.
let fixedNowMillis: Int64 = 1_763_790_060_123
let testSecret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"

/// A CloudEvent as the outbox stores it (CONTRACT §3), for a job in the given state.
func sampleEvent(
    id: String = "0193c0de-0000-7000-8000-000000000001", type: EventType = .succeeded, status: String = "SUCCESS",
    beginTime: String? = "2026-03-27T02:14:03.552Z", endTime: String? = "2026-03-27T02:17:11.552Z",
    errorCode: String? = nil, failReason: String? = nil,
    imageID: String? = "eacac5cb-1153-4b8c-873c-73e036f5a988", imageName: String? = "nightly"
) -> StoredEvent {
    func json(_ value: String?) -> String {
        guard let value else { return "null" }
        return String(decoding: try! JSONEncoder().encode(value), as: UTF8.self)
    }
    let body = """
        {"data":{"job":{"account":"default","api":"ims","begin_time":\(json(beginTime)),"current_task":null,\
        "end_time":\(json(endTime)),"entities":{},"error_code":\(json(errorCode)),"fail_reason":\(json(failReason)),\
        "image_id":\(json(imageID)),"image_name":\(json(imageName)),"job_id":"9a175ac79d2a54ad019d2d11f02349b4",\
        "job_type":"imsCreateImageByInstance","labels":{},"last_polled_at":null,"next_poll_at":null,"polls":3,\
        "progress":1,"project_id":null,"provider_status":"\(status)","region":"cn-north-4",\
        "registered_at":"2026-03-27T02:14:00.000Z","status":"\(status)","sub_jobs":[],"tracking":"done"},\
        "previous_status":"RUNNING","sub_job":null},"datacontenttype":"application/json","id":"\(id)",\
        "sequence":"42","source":"jobwatch://host/default","specversion":"1.0",\
        "subject":"9a175ac79d2a54ad019d2d11f02349b4","time":"2026-03-27T02:17:12.000Z","type":"\(type.rawValue)"}
        """
    return StoredEvent(
        sequence: 42, id: id, type: type, jobID: "9a175ac79d2a54ad019d2d11f02349b4", createdAtMillis: fixedNowMillis,
        body: body)
}

func sink(
    _ url: String, format: WebhookFormat = .cloudevents, secrets: [String] = [], timeoutMillis: Int64 = 5000,
    maxAttempts: Int = 10
) -> WebhookSinkConfig {
    WebhookSinkConfig(
        name: "ops", url: URL(string: url)!, secrets: secrets.map { Secret(value: $0, origin: "inline") },
        format: format,
        timeoutMillis: timeoutMillis, maxAttempts: maxAttempts)
}

/// Runs `body` with a receiver listening on 127.0.0.1 (answering from `script`, the last answer repeating)
/// and a deliverer on the fixed clock.
func withReceiver(
    _ script: [ServerResponse], delay: Duration? = nil, logger: Logger = quietLogger,
    _ body: (_ baseURL: String, _ receiver: WebhookReceiver, _ deliverer: WebhookDeliverer) async throws -> Void
) async throws {
    let receiver = try await WebhookReceiver.start(script: script, delay: delay)
    do {
        try await withDeliverer(logger: logger) { try await body(receiver.baseURL, receiver, $0) }
    } catch {
        await receiver.shutdown()
        throw error
    }
    await receiver.shutdown()
}

func withDeliverer(logger: Logger = quietLogger, _ body: (WebhookDeliverer) async throws -> Void) async throws {
    let client = WebhookDeliverer.makeHTTPClient()
    let deliverer = WebhookDeliverer(
        httpClient: client, userAgent: "jobwatch/1.2.3", logger: logger, now: { fixedNowMillis })
    do {
        try await body(deliverer)
    } catch {
        try await client.shutdown()
        throw error
    }
    try await client.shutdown()
}

let quietLogger = Logger(label: "test") { _ in SwiftLogNoOpLogHandler() }
