import Synchronization

/// Counts requests in flight at a server: now, the most at once and the time-weighted average since the
/// last `reset()`, and how many began. A front end calls `enter()` when a request arrives and `leave()` when
/// its answer is written (the benchmarks and the end-to-end tests wrap the simulator with it).
package final class InFlightGauge: Sendable {
    private struct State {
        var current = 0
        var peak = 0
        var entered = 0
        /// The integral of `current` over time since the reset (request-seconds), up to `lastChange`.
        var area = 0.0
        var since = ContinuousClock.now
        var lastChange = ContinuousClock.now

        /// Brings the integral up to now.
        mutating func advance() {
            let now = ContinuousClock.now
            area += Double(current) * (now - lastChange).seconds
            lastChange = now
        }
    }

    private let state = Mutex(State())

    package init() {}

    package func enter() {
        state.withLock {
            $0.advance()
            $0.current += 1
            $0.entered += 1
            $0.peak = max($0.peak, $0.current)
        }
    }

    package func leave() {
        state.withLock {
            $0.advance()
            $0.current -= 1
        }
    }

    /// Starts a new measurement: the peak is what is in flight now, the average starts over.
    package func reset() {
        state.withLock {
            $0.advance()
            $0.peak = $0.current
            $0.area = 0
            $0.since = $0.lastChange
        }
    }

    /// The most requests in flight at once since the reset.
    package var peak: Int { state.withLock { $0.peak } }
    /// Requests that arrived since the server started.
    package var entered: Int { state.withLock { $0.entered } }
    /// Requests in flight on average since the reset.
    package var average: Double {
        state.withLock {
            $0.advance()
            let seconds = ($0.lastChange - $0.since).seconds
            return seconds > 0 ? $0.area / seconds : 0
        }
    }
}

extension Duration {
    fileprivate var seconds: Double { Double(components.seconds) + Double(components.attoseconds) / 1e18 }
}
