import AsyncHTTPClient
import HuaweiCloud
import JobwatchSimulator
import Testing

/// Counts requests a loopback server holds at once. Each request waits until `expected` are in, or until
/// 3 s after the first one arrived, so that a pool that lets fewer through shows its real size.
actor InFlightGauge {
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
