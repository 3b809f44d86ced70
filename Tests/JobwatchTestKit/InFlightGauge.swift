/// Counts requests a loopback server holds at once. Each request waits until `expected` are in, or until
/// 10 s after the first one arrived (a loaded machine is slow to open 64 connections), so that a pool that
/// lets fewer through shows its real size.
package actor InFlightGauge {
    private let expected: Int
    private var current = 0
    package private(set) var peak = 0
    private var firstArrival: ContinuousClock.Instant?

    package init(expected: Int) { self.expected = expected }

    package func hold() async {
        current += 1
        peak = max(peak, current)
        let deadline = (firstArrival ?? .now) + .seconds(10)
        firstArrival = firstArrival ?? .now
        while current < expected, peak < expected, ContinuousClock.now < deadline {
            try? await Task.sleep(for: .milliseconds(10))
        }
        current -= 1
    }
}
