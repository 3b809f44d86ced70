import JobwatchDaemon
import Synchronization
import Testing

/// The watchdog's and `/healthz`'s shared probe: false when the probe does not answer, and a stuck probe is
/// never started twice.
@Suite struct HealthProbeTests {
    /// A probe that stays suspended until released, counting how often it was started.
    final class Gate: Sendable {
        let started = Atomic<Int>(0)
        private let waiters = Mutex<[CheckedContinuation<Void, Never>]>([])
        private let open = Atomic<Bool>(false)

        func probe() async -> Bool {
            started.wrappingAdd(1, ordering: .relaxed)
            await withCheckedContinuation { continuation in
                let resumeNow = waiters.withLock { waiters -> Bool in
                    if open.load(ordering: .acquiring) { return true }
                    waiters.append(continuation)
                    return false
                }
                if resumeNow { continuation.resume() }
            }
            return true
        }

        func release() {
            open.store(true, ordering: .releasing)
            for waiter in waiters.withLock({ waiters in
                defer { waiters = [] }
                return waiters
            }) { waiter.resume() }
        }
    }

    @Test func anAnsweringProbeIsHealthy() async {
        let probe = HealthProbe()
        #expect(await probe.check(within: .seconds(30)) { true })
        #expect(await probe.check(within: .seconds(30)) { false } == false)
    }

    @Test func aStuckProbeIsUnhealthyAndStartedOnlyOnce() async {
        let probe = HealthProbe()
        let gate = Gate()
        for _ in 0..<3 {
            #expect(await probe.check(within: .milliseconds(50)) { await gate.probe() } == false)
        }
        #expect(gate.started.load(ordering: .relaxed) == 1, "checks while it is stuck share the one probe")
        gate.release()
        // Once it returns, the next check sees the answer of a probe that completes.
        #expect(await probe.check(within: .seconds(30)) { await gate.probe() })
    }
}
