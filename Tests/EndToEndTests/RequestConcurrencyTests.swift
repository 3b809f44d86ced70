import Foundation
import JobwatchSimulator
import JobwatchTestKit
import Logging
import Testing

/// CONTRACT §5: `max_in_flight` requests really run at once against one endpoint, measured where the cloud
/// would see them: the real daemon polls the simulator through a front end that answers after 1 s and
/// counts the requests in flight. Also while another process holds SQLite's write lock: answers waiting to
/// be recorded do not hold request slots, and the limit still holds.
@Suite(.serialized) struct RequestConcurrencyTests {
    static let maxInFlight = 6

    @Test func maxInFlightRequestsRunAtOnceEvenWhileTheWriterWaits() async throws {
        let simulator = Simulator(
            options: SimulatorOptions(credentials: [CloudFixture.accessKey: CloudFixture.secretKey]),
            logger: Logger(label: "e2e.simulator"))
        let gauge = InFlightGauge()
        let server = try await LoopbackHTTPServer.start { request in
            gauge.enter()
            defer { gauge.leave() }
            // Slow next to the writer, even on a loaded machine: few answers wait for it at any moment.
            try? await Task.sleep(for: .seconds(1))
            return await simulator.handle(request)
        }
        defer { Task { await server.shutdown() } }
        let sandbox = try Sandbox(
            config: """
                log_level: info
                \(CloudFixture.accountsYAML(endpoint: server.baseURL))
                polling:
                  initial_interval: 100ms
                  max_interval: 100ms
                  jitter: 0
                  requests_per_second: 1000
                  max_in_flight: \(Self.maxInFlight)
                  request_timeout: 20s
                sinks:
                  stdout:
                    enabled: false
                """)
        for index in 0..<20 {
            let id = try simulator.add(
                SimulatedJobSpec(api: .ims, jobID: "conc\(index)", durationMillis: 600_000, initMillis: 0))
            let registered = try await sandbox.runAsync(["register", id, "--api", "ims"])
            #expect(registered.status == 0, "\(registered.stderr)")
        }
        let daemon = try DaemonProcess(sandbox: sandbox, environment: CloudFixture.environment)
        defer { Task { await daemon.stop() } }
        #expect(await eventually(timeout: .seconds(30)) { gauge.entered >= 20 }, "\(daemon.stderr)")

        // Every job always due: exactly max_in_flight at the server, nearly all the time.
        gauge.reset()
        try await Task.sleep(for: .seconds(3))
        #expect(gauge.peak == Self.maxInFlight)
        #expect(gauge.average >= Double(Self.maxInFlight) * 0.7, "on average \(gauge.average) in flight")

        // Another process holds the write lock: answers wait for the writer, their slots go on requesting
        // (up to as many answers waiting again), and never more than max_in_flight at once.
        // (Before, a slot was held until its answer was recorded: no request began during the hold.)
        let holder = try await PeerProcess.lockHolder(database: sandbox.database)
        gauge.reset()
        let before = gauge.entered
        try await Task.sleep(for: .milliseconds(2500))
        let duringHold = gauge.entered - before
        #expect(gauge.peak <= Self.maxInFlight)
        holder.stop()
        #expect(duringHold >= Self.maxInFlight / 2, "\(duringHold) requests began while the writer waited")
        #expect(duringHold <= 2 * Self.maxInFlight, "\(duringHold) requests began while the writer waited")

        // Released: the answers are recorded and polling goes on at full concurrency.
        gauge.reset()
        try await Task.sleep(for: .seconds(3))
        #expect(gauge.peak == Self.maxInFlight)
        await daemon.stop()
        #expect(daemon.process.terminationStatus == 0, "\(daemon.stderr)")
    }
}
