import AsyncHTTPClient
import HuaweiCloud
import JobwatchSimulator
import JobwatchTestKit
import Testing

@Suite struct ConnectionPoolTests {
    /// AsyncHTTPClient opens 8 connections per host unless told otherwise: `max_in_flight: 64` against
    /// one endpoint then ran 8 requests at a time.
    @Test func maxInFlightRequestsToOneEndpointAreInFlightTogether() async throws {
        let gauge = InFlightGauge(expected: 64)
        try await withLoopbackCloud(
            requestTimeoutMillis: 30_000, maxConnectionsPerHost: 64,
            handler: { _ in
                await gauge.hold()
                return .json(200, "{}")
            }
        ) { server, client in
            await withTaskGroup(of: Void.self) { group in
                for index in 0..<64 {
                    group.addTask {
                        let request = HTTPClientRequest(url: server.baseURL + "/v1/jobs/\(index)")
                        _ = try? await client.execute(request, timeout: .seconds(30))
                    }
                }
            }
        }
        #expect(await gauge.peak == 64)
    }
}
