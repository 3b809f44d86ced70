import AsyncHTTPClient
import JobwatchSimulator
import JobwatchWebhooks
import Testing

/// Counts requests a loopback receiver holds at once. Each request waits until `expected` are in, or until
/// 3 s after the first one arrived, so that a pool that lets fewer through shows its real size.
actor HeldRequests {
    private let expected: Int
    private var current = 0
    private(set) var peak = 0
    private var firstArrival: ContinuousClock.Instant?

    init(expected: Int) { self.expected = expected }

    func hold() async {
        current += 1
        peak = max(peak, current)
        let deadline = (firstArrival ?? .now) + .seconds(3)
        firstArrival = firstArrival ?? .now
        while current < expected, peak < expected, ContinuousClock.now < deadline {
            try? await Task.sleep(for: .milliseconds(10))
        }
        current -= 1
    }
}

@Suite struct WebhookPoolTests {
    /// A sink's `concurrency` above AsyncHTTPClient's default of 8 connections per host really runs.
    @Test func aSinksConcurrencyIsInFlightTogether() async throws {
        let held = HeldRequests(expected: 24)
        let server = try await LoopbackHTTPServer.start { _ in
            await held.hold()
            return .text(200, "ok")
        }
        let client = WebhookDeliverer.makeHTTPClient(maxConnectionsPerHost: 24)
        let deliverer = WebhookDeliverer(
            httpClient: client, userAgent: "jobwatch/1.2.3", logger: quietLogger, now: { fixedNowMillis })
        let target = sink(server.baseURL + "/hook", timeoutMillis: 30_000)
        let outcomes = await withTaskGroup(of: Bool.self, returning: [Bool].self) { group in
            for index in 0..<24 {
                group.addTask {
                    await deliverer.attempt(
                        sampleEvent(id: "0193c0de-0000-7000-8000-0000000000\(10 + index)"), to: target
                    )
                    .success
                }
            }
            return await group.reduce(into: []) { $0.append($1) }
        }
        try await client.shutdown()
        await server.shutdown()
        #expect(outcomes.allSatisfy { $0 } && outcomes.count == 24)
        #expect(await held.peak == 24)
    }
}
