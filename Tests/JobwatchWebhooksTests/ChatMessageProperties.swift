import Foundation
import JobwatchCore
import PropertyBased
import Testing

@testable import JobwatchWebhooks

/// The chat line for any event body: one line, no control characters, never a trap.
struct ChatMessageProperties {
    static let types = EventType.allCases.map(\.rawValue) + ["jobwatch.job.unknown", ""]
    static let numbers = ["0.5", "1e308", "-1e308", "1e-300", "NaN", "\"NaN\"", "null", "2", "-0.0", "1e999"]
    static let texts = [
        "\"ok\"", "\"line\\nbreak\"", "\"\\u001b[31mred\"", "\"\\u0000\"", "\"\(String(repeating: "x", count: 300))\"",
        "\"9999-12-31T23:59:59Z\"", "\"0000-01-01T00:00:00Z\"", "\"2026-01-01T00:00:00Z\"", "null", "42", "{}",
    ]

    @Test func anyEventGivesOneLineWithoutControlCharacters() async {
        let type = Gen<String?>.element(of: Self.types).map { $0 ?? "" }
        let number = Gen<String?>.element(of: Self.numbers).map { $0 ?? "null" }
        let text = Gen<String?>.element(of: Self.texts).map { $0 ?? "null" }
        await propertyCheck(count: 2000, input: type, number, text, text, text) { type, progress, a, b, c in
            let body = """
                {"type": "\(type)", "subject": \(a), "data": {"previous_status": \(b),
                 "job": {"job_id": \(a), "api": "ims", "status": \(b), "progress": \(progress), "current_task": \(c),
                         "begin_time": \(b), "end_time": \(c), "error_code": \(a), "fail_reason": \(c),
                         "image_id": \(a), "image_name": \(c)},
                 "sub_job": {"job_id": \(c), "status": \(a), "fail_reason": \(b)}}}
                """
            let event = StoredEvent(sequence: 1, id: "e", type: .progress, jobID: "j", createdAtMillis: 0, body: body)
            let line = ChatMessage.text(for: event)
            #expect(!line.isEmpty)
            #expect(!line.unicodeScalars.contains { $0.properties.generalCategory == .control })
        }
    }
}
