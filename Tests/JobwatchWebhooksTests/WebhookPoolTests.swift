import AsyncHTTPClient
import JobwatchSimulator
import JobwatchTestKit
import JobwatchWebhooks
import Testing

@Suite struct WebhookPoolTests {
    /// A sink's `concurrency` above AsyncHTTPClient's default of 8 connections per host really runs.
    @Test func aSinksConcurrencyIsInFlightTogether() async throws {
        let held = InFlightGauge(expected: 24)
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
