import Synchronization

/// Runs a liveness probe with a time limit, never waiting on the probe itself past it. Checks that overlap
/// (the watchdog and a `GET /healthz`) share one probe, and a probe stuck on a wedged actor is not started
/// again until it returns: a wedged daemon holds one probe however often it is asked.
final class HealthProbe: Sendable {
    private let running = Mutex<Task<Bool, Never>?>(nil)

    func check(within limit: Duration, _ probe: @escaping @Sendable () async -> Bool) async -> Bool {
        let task = running.withLock { running in
            if let running { return running }
            let task = Task { await probe() }
            running = task
            return task
        }
        let answer = Mutex<CheckedContinuation<Bool?, Never>?>(nil)
        let finish: @Sendable (Bool?) -> Void = { value in
            answer.withLock { continuation in
                continuation?.resume(returning: value)
                continuation = nil
            }
        }
        let result = await withCheckedContinuation { continuation in
            answer.withLock { $0 = continuation }
            Task { finish(await task.value) }
            Task {
                try? await Task.sleep(for: limit)
                finish(nil)
            }
        }
        guard let result else { return false }
        running.withLock { if $0 == task { $0 = nil } }
        return result
    }
}
