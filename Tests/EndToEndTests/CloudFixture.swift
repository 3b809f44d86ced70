import Foundation
import JobwatchCore
import JobwatchSimulator
import Logging
import Synchronization

/// The simulated cloud and a webhook receiver, in the test process, and a daemon configuration pointing at both.
final class CloudFixture: Sendable {
    static let accessKey = "E2EACCESSKEY"
    static let secretKey = "e2e-secret-key-never-logged"
    static let projectID = "0123456789abcdef0123456789abcdef"

    let simulator: Simulator
    let server: LoopbackHTTPServer
    let receiver: WebhookReceiver

    init() async throws {
        simulator = Simulator(
            options: SimulatorOptions(credentials: [Self.accessKey: Self.secretKey]),
            logger: Logger(label: "e2e.simulator"))
        server = try await simulator.start()
        receiver = try await WebhookReceiver.start()
    }

    func shutdown() async {
        await server.shutdown()
        await receiver.shutdown()
    }

    /// A complete configuration: fast polling, every event on stdout, one webhook sink.
    func config(webhookURL: String? = nil, notFoundAfter: Int = 3, extraPolling: String = "") -> String {
        """
        log_level: info
        accounts:
          default:
            region: test-1
            project_id: \(Self.projectID)
            ak: \(Self.accessKey)
            sk_env: JOBWATCH_E2E_SK
            endpoints:
              ims: \(server.baseURL)
              workspace: \(server.baseURL)
        polling:
          initial_interval: 200ms
          max_interval: 600ms
          jitter: 0.1
          requests_per_second: 500
          max_in_flight: 64
          request_timeout: 2s
          not_found_after: \(notFoundAfter)
        \(extraPolling)
        sinks:
          stdout:
            events: all
          webhooks:
            - name: ops
              url: \(webhookURL ?? receiver.url)
              secret: whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw
              events: terminal
              retry_initial: 200ms
              retry_max: 1s
              max_attempts: 50
        """
    }

    static let environment = ["JOBWATCH_E2E_SK": secretKey]

    @discardableResult
    func add(
        _ kind: String, api: JobAPI, durationMillis: Int64 = 2000, initMillis: Int64? = nil,
        faults: [SimulatedFault] = [], region: String? = nil
    ) throws -> String {
        try simulator.add(
            SimulatedJobSpec(
                api: api, kind: kind, projectID: api == .ims ? nil : Self.projectID, durationMillis: durationMillis,
                initMillis: initMillis ?? durationMillis / 5, faults: faults, region: region))
    }
}

/// Records every webhook request; answers with whatever `respond` says (200 by default).
final class WebhookReceiver: Sendable {
    struct Request: Sendable {
        var headers: [String: String]
        var body: String
    }

    typealias Answer = @Sendable (Int) -> ServerResponse
    let server: LoopbackHTTPServer
    private let state: Mutex<(requests: [Request], respond: Answer)>

    private init(server: LoopbackHTTPServer) {
        self.server = server
        let ok: Answer = { _ in .text(200, "ok") }
        state = Mutex(([], ok))
    }

    static func start(port: Int = 0) async throws -> WebhookReceiver {
        let box = Box()
        let server = try await LoopbackHTTPServer.start(port: port) { request in
            await box.receiver?.handle(request) ?? .text(503, "starting")
        }
        let receiver = WebhookReceiver(server: server)
        box.receiver = receiver
        return receiver
    }

    var url: String { server.baseURL + "/hooks/jobwatch" }
    var requests: [Request] { state.withLock { $0.requests } }

    func respond(with answer: @escaping @Sendable (Int) -> ServerResponse) {
        state.withLock { $0.respond = answer }
    }

    func shutdown() async { await server.shutdown() }

    private func handle(_ request: ServerRequest) -> ServerResponse {
        state.withLock { state in
            var headers: [String: String] = [:]
            for (name, value) in request.headers { headers[name.lowercased()] = value }
            state.requests.append(Request(headers: headers, body: request.bodyText))
            return state.respond(state.requests.count)
        }
    }

    /// Lets the handler reach the receiver, which exists only once the server does.
    private final class Box: @unchecked Sendable {
        var receiver: WebhookReceiver?
    }
}
