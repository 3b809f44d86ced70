import Synchronization

/// Runs a liveness probe with a time limit, never waiting on the probe itself past it. Checks that overlap
/// (the watchdog and a `GET /healthz`) share one probe, and a probe stuck on a wedged actor is not started
/// again until it returns: a wedged daemon holds one probe however often it is asked.
package final class HealthProbe: Sendable {
    private let running = Mutex<Task<Bool, Never>?>(nil)

    package init() {}

    package func check(within limit: Duration, _ probe: @escaping @Sendable () async -> Bool) async -> Bool {
        let (task, isNew) = running.withLock { running in
            if let running { return (running, false) }
            let task = Task { await probe() }
            running = task
            return (task, true)
        }
        if isNew {
            // Whoever asked, a probe that ends makes room for the next one.
            Task {
                _ = await task.value
                self.running.withLock { if $0 == task { $0 = nil } }
            }
        }
        let answer = Mutex<CheckedContinuation<Bool?, Never>?>(nil)
        let finish: @Sendable (Bool?) -> Void = { value in
            answer.withLock { continuation in
                continuation?.resume(returning: value)
                continuation = nil
            }
        }
        // Cancellation (shutdown) ends the wait at once: the watchdog loop must not hold up STOPPING=1.
        let result = await withTaskCancellationHandler {
            await withCheckedContinuation { continuation in
                answer.withLock { $0 = continuation }
                if Task.isCancelled { finish(nil) }
                Task { finish(await task.value) }
                Task {
                    try? await Task.sleep(for: limit)
                    finish(nil)
                }
            }
        } onCancel: {
            finish(nil)
        }
        return result ?? false
    }
}
