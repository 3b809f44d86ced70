import AsyncHTTPClient
import HuaweiCloud
import JobwatchSimulator
import Testing

/// Counts requests a loopback server holds at once. Each request waits until `expected` are in, or until
/// 3 s after the first one arrived (then every request passes at once), so that a pool that lets fewer
/// through shows its real size. Waiting requests are suspended, not polling.
actor InFlightGauge {
    private let expected: Int
    private var current = 0
    private(set) var peak = 0
    private var released = false
    private var waiters: [CheckedContinuation<Void, Never>] = []
    private var deadline: Task<Void, Never>?

    init(expected: Int) { self.expected = expected }

    func hold() async {
        current += 1
        peak = max(peak, current)
        if peak >= expected { release() }
        if !released {
            if deadline == nil {
                deadline = Task {
                    try? await Task.sleep(for: .seconds(3))
                    await self.release()
                }
            }
            await withCheckedContinuation { waiters.append($0) }
        }
        current -= 1
    }

    private func release() {
        released = true
        deadline?.cancel()
        for waiter in waiters { waiter.resume() }
        waiters = []
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
