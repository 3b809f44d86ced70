import JobwatchCore
import Synchronization

/// The last answer of each job, decoded and redacted, so that an answer byte for byte the same as the
/// previous one (a job still running: most polls) is not parsed into a JSON tree, decoded and redacted
/// again. Decoding is a pure function of the body, the API and the requested id, and redaction of the
/// secrets in force (the IAM token among them), so a remembered result is used only for the same bytes of
/// the same job under the same token.
///
/// Bounded: at `capacity` jobs it is emptied and fills again (finished jobs do not stay); the same size as
/// the store's `WrittenJobs`, for the same reasons.
final class AnswerMemo: Sendable {
    static let capacity = 256

    struct Key: Hashable, Sendable {
        var api: JobAPI
        var projectID: String?
        var jobID: String
    }

    struct Answer: Sendable {
        var body: [UInt8]
        var token: String?
        /// The snapshot and the body text, both redacted.
        var snapshot: JobSnapshot
        var text: String
    }

    private let answers = Mutex<[Key: Answer]>([:])

    /// The remembered result when `body` is the same as last time (under the same token).
    func answer(for key: Key, body: [UInt8], token: String?) -> (snapshot: JobSnapshot, text: String)? {
        answers.withLock { answers in
            guard let last = answers[key], last.token == token, last.body == body else { return nil }
            return (last.snapshot, last.text)
        }
    }

    func remember(_ answer: Answer, for key: Key) {
        answers.withLock { answers in
            if answers.count >= Self.capacity && answers[key] == nil { answers.removeAll(keepingCapacity: true) }
            answers[key] = answer
        }
    }
}
