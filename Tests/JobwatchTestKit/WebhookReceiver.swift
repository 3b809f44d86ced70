import JobwatchSimulator
import Synchronization

/// A loopback webhook receiver: records every request it is sent, in order, and answers with what
/// `respond` says for the n-th request (1-based; 200 "ok" unless told otherwise), after `delay` if given.
package final class WebhookReceiver: Sendable {
    package typealias Answer = @Sendable (_ requestNumber: Int) -> ServerResponse

    package let server: LoopbackHTTPServer
    private let state: Mutex<(requests: [ServerRequest], respond: Answer)>
    private let delay: Duration?

    private init(server: LoopbackHTTPServer, respond: @escaping Answer, delay: Duration?) {
        self.server = server
        self.delay = delay
        state = Mutex(([], respond))
    }

    package static func start(
        port: Int = 0, delay: Duration? = nil, respond: @escaping Answer = { _ in .text(200, "ok") }
    ) async throws -> WebhookReceiver {
        let box = Box()
        let server = try await LoopbackHTTPServer.start(port: port) { request in
            guard let receiver = box.receiver else { return .text(503, "starting") }
            return await receiver.handle(request)
        }
        let receiver = WebhookReceiver(server: server, respond: respond, delay: delay)
        box.receiver = receiver
        return receiver
    }

    /// Answers from a script: the n-th request gets the n-th answer, and the last one repeats.
    package static func start(script: [ServerResponse], delay: Duration? = nil) async throws -> WebhookReceiver {
        precondition(!script.isEmpty, "a script needs at least one answer")
        return try await start(delay: delay) { number in script[min(number, script.count) - 1] }
    }

    package var baseURL: String { server.baseURL }
    package var url: String { server.baseURL + "/hooks/jobwatch" }
    package var requests: [ServerRequest] { state.withLock { $0.requests } }

    package func respond(with answer: @escaping Answer) {
        state.withLock { $0.respond = answer }
    }

    package func shutdown() async { await server.shutdown() }

    private func handle(_ request: ServerRequest) async -> ServerResponse {
        let response = state.withLock { state in
            state.requests.append(request)
            return state.respond(state.requests.count)
        }
        if let delay { try? await Task.sleep(for: delay) }
        return response
    }

    /// Lets the handler reach the receiver, which exists only once the server does.
    private final class Box: @unchecked Sendable {
        var receiver: WebhookReceiver?
    }
}
