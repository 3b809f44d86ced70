import AsyncHTTPClient
import Foundation
import JobwatchCore
import Logging
import NIOCore

/// Makes one delivery attempt of one event to one webhook sink and says how it went and what comes next
/// (`DeliveryRetry` decides). It neither waits to retry nor records anything: the outbox worker does.
package final class WebhookDeliverer: Sendable {
    private let httpClient: HTTPClient
    private let userAgent: String
    private let logger: Logger
    private let now: @Sendable () -> Int64

    /// A receiver's answer is read up to this many bytes; the rest is dropped.
    static let responseBodyLimit = 64 * 1024

    /// - Parameters:
    ///   - httpClient: one long-lived client, made by `makeHTTPClient()` and shut down by the owner.
    ///   - userAgent: the whole header value, `jobwatch/VERSION`.
    ///   - now: milliseconds since 1970, for `webhook-timestamp`, the chat signatures and `Retry-After` dates.
    package init(httpClient: HTTPClient, userAgent: String, logger: Logger, now: @escaping @Sendable () -> Int64) {
        self.httpClient = httpClient
        self.userAgent = userAgent
        self.logger = logger
        self.now = now
    }

    /// A client for webhooks: redirects are never followed (a 3xx is a failed attempt), a connection that
    /// cannot be made fails the attempt at once instead of being retried inside it, and up to
    /// `maxConnectionsPerHost` connections go to one host (the sum of the sinks' `concurrency`, so that
    /// sinks sharing a host each get theirs; AsyncHTTPClient's default is 8).
    package static func makeHTTPClient(maxConnectionsPerHost: Int = 8) -> HTTPClient {
        var configuration = HTTPClient.Configuration(
            redirectConfiguration: .disallow, timeout: .init(connect: .seconds(10)))
        configuration.connectionPool.retryConnectionEstablishment = false
        configuration.connectionPool.concurrentHTTP1ConnectionsPerHostSoftLimit = max(1, maxConnectionsPerHost)
        return HTTPClient(eventLoopGroup: HTTPClient.defaultEventLoopGroup, configuration: configuration)
    }

    /// One attempt of the outbox's event, as the outbox records it: the outcome and the delivery's next
    /// state, `nowMillis` being when the attempt starts.
    package func attempt(
        _ event: StoredEvent, to sink: WebhookSinkConfig, attemptsBefore: Int, nowMillis: Int64
    ) async -> AttemptRecord {
        let outcome = await attempt(event, to: sink)
        var random = SystemRandomNumberGenerator()
        let decision = DeliveryRetry.decide(
            attemptsMade: attemptsBefore + 1, outcome: outcome, sink: sink,
            nowMillis: nowMillis + outcome.durationMillis, random: &random)
        return decision.record(of: outcome, atMillis: nowMillis)
    }

    /// One exchange with the sink and how it went.
    package func attempt(_ event: StoredEvent, to sink: WebhookSinkConfig) async -> AttemptOutcome {
        let request = WebhookRequest(event: event, sink: sink, userAgent: userAgent, nowMillis: now())
        let clock = ContinuousClock()
        let start = clock.now
        var outcome: AttemptOutcome
        do {
            outcome =
                try await exchange(request, timeoutMillis: sink.timeoutMillis).map { verdict(on: $0, sink: sink) }
                ?? AttemptOutcome(
                    success: false, error: "no answer within \(DurationText.format(millis: sink.timeoutMillis))")
        } catch {
            outcome = AttemptOutcome(success: false, error: Self.describe(error, redaction: SinkRedaction(sink: sink)))
        }
        let elapsed = start.duration(to: clock.now).components
        outcome.durationMillis = elapsed.seconds * 1000 + elapsed.attoseconds / 1_000_000_000_000_000
        log(outcome, event: event, sink: sink)
        return outcome
    }

    /// The receiver's answer, or nil when none came within the timeout. The timeout covers the whole
    /// exchange: AsyncHTTPClient's deadline stops at the response head, so the body read is raced too.
    private func exchange(_ request: WebhookRequest, timeoutMillis: Int64) async throws -> ReceivedReply? {
        var post = HTTPClientRequest(url: request.url)
        post.method = .POST
        for (name, value) in request.headers { post.headers.add(name: name, value: value) }
        post.body = .bytes(request.body)
        let http = post
        let client = httpClient
        return try await withThrowingTaskGroup(of: ReceivedReply?.self) { group in
            group.addTask {
                // No logger for AsyncHTTPClient: its trace lines carry the URL's parts and the bodies.
                let response = try await client.execute(http, timeout: .milliseconds(timeoutMillis))
                var body: [UInt8] = []
                for try await chunk in response.body {
                    body.append(contentsOf: chunk.readableBytesView.prefix(Self.responseBodyLimit - body.count))
                    if body.count >= Self.responseBodyLimit { break }
                }
                return ReceivedReply(
                    status: Int(response.status.code), retryAfter: response.headers.first(name: "Retry-After"),
                    body: body)
            }
            group.addTask {
                try await Task.sleep(for: .milliseconds(timeoutMillis))
                return nil
            }
            defer { group.cancelAll() }
            return try await group.next() ?? nil
        }
    }

    private func verdict(on reply: ReceivedReply, sink: WebhookSinkConfig) -> AttemptOutcome {
        var outcome = AttemptOutcome(success: false, statusCode: reply.status)
        switch reply.status {
        case 200..<300:
            guard let refusal = ChatReply.refusal(format: sink.format, body: reply.body) else {
                outcome.success = true
                return outcome
            }
            outcome.error = SinkRedaction(sink: sink).clean(refusal)
        case 300..<400:
            outcome.error = "HTTP \(reply.status): redirects are not followed; point the sink at the final URL"
        default:
            outcome.gone = reply.status == 410
            let snippet = SinkRedaction(sink: sink).clean(
                String(decoding: reply.body.prefix(512), as: UTF8.self), maxLength: 120)
            outcome.error = "HTTP \(reply.status)" + (snippet.isEmpty ? "" : ": \(snippet)")
        }
        outcome.retryAfterMillis = reply.retryAfter.flatMap { RetryAfter.delayMillis($0, nowMillis: now()) }
        return outcome
    }

    /// One line for a request that got no answer; AsyncHTTPClient's and NIO's descriptions may name the
    /// host, so only their redacted form is used, and the common cases get plain words.
    private static func describe(_ error: Error, redaction: SinkRedaction) -> String {
        if let error = error as? HTTPClientError {
            switch error {
            case .connectTimeout: return "could not connect: timed out"
            case .remoteConnectionClosed: return "the receiver closed the connection without answering"
            case .deadlineExceeded, .readTimeout: return "no answer in time"
            default: break
            }
        }
        if let error = error as? IOError {
            return "could not connect: \(String(cString: strerror(error.errnoCode)).lowercased())"
        }
        return redaction.clean("request failed: \(error)")
    }

    private func log(_ outcome: AttemptOutcome, event: StoredEvent, sink: WebhookSinkConfig) {
        var metadata: Logger.Metadata = [
            "sink": "\(sink.name)", "event_id": "\(event.id)", "duration_ms": "\(outcome.durationMillis)",
        ]
        if let status = outcome.statusCode { metadata["status"] = "\(status)" }
        if outcome.success {
            logger.debug("webhook delivered", metadata: metadata)
        } else {
            if let error = outcome.error { metadata["error"] = "\(error)" }
            logger.notice("webhook attempt failed", metadata: metadata)
        }
    }
}

/// What came back from the receiver, read within the limits.
private struct ReceivedReply: Sendable {
    var status: Int
    var retryAfter: String?
    var body: [UInt8]
}
