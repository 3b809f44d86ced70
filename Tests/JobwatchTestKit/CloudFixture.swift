import Foundation
import JobwatchCore
import JobwatchSimulator
import Logging
import Synchronization

/// The simulated cloud and a webhook receiver, in the test process, and a daemon configuration pointing at both.
package final class CloudFixture: Sendable {
    package static let accessKey = "E2EACCESSKEY"
    package static let secretKey = "e2e-secret-key-never-logged"
    package static let projectID = "0123456789abcdef0123456789abcdef"

    package let simulator: Simulator
    package let server: LoopbackHTTPServer
    package let receiver: WebhookReceiver

    package init() async throws {
        simulator = Simulator(
            options: SimulatorOptions(credentials: [Self.accessKey: Self.secretKey]),
            logger: Logger(label: "e2e.simulator"))
        server = try await simulator.start()
        receiver = try await WebhookReceiver.start()
    }

    package func shutdown() async {
        await server.shutdown()
        await receiver.shutdown()
    }

    /// The `accounts:` section of a configuration: one account, `default`, signed with the fixture's keys
    /// (the SK from `JOBWATCH_E2E_SK`), polling both APIs at `endpoint`.
    package static func accountsYAML(endpoint: String) -> String {
        """
        accounts:
          default:
            region: test-1
            project_id: \(projectID)
            ak: \(accessKey)
            sk_env: JOBWATCH_E2E_SK
            endpoints:
              ims: \(endpoint)
              workspace: \(endpoint)
        """
    }

    /// A complete configuration: fast polling, every event on stdout, one webhook sink.
    package func config(webhookURL: String? = nil, notFoundAfter: Int = 3, extraPolling: String = "") -> String {
        """
        log_level: info
        \(Self.accountsYAML(endpoint: server.baseURL))
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

    package static let environment = ["JOBWATCH_E2E_SK": secretKey]

    @discardableResult
    package func add(
        _ kind: String, api: JobAPI, durationMillis: Int64 = 2000, initMillis: Int64? = nil,
        faults: [SimulatedFault] = [], region: String? = nil
    ) throws -> String {
        try simulator.add(
            SimulatedJobSpec(
                api: api, kind: kind, projectID: api == .ims ? nil : Self.projectID, durationMillis: durationMillis,
                initMillis: initMillis ?? durationMillis / 5, faults: faults, region: region))
    }
}
