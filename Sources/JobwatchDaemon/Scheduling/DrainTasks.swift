import Synchronization

/// Waits for in-flight work to finish, cancelling whatever is still running after `grace`. Cancelled work
/// usually ends at once (HTTP requests, sleeps); a statement waiting on another process's database lock
/// may not, and is left behind after a short while: shutdown stays bounded either way.
func drain(_ tasks: [Task<Void, Never>], grace: Duration) async {
    if await awaitAtMost(grace, { for task in tasks { await task.value } }) { return }
    for task in tasks { task.cancel() }
    await awaitAtMost(.milliseconds(500)) { for task in tasks { await task.value } }
}

/// Runs `work` in a task of its own and waits for it at most `limit`; returns whether it finished. After
/// the limit the work is cancelled and the caller goes on without it.
@discardableResult
func awaitAtMost(_ limit: Duration, _ work: @escaping @Sendable () async -> Void) async -> Bool {
    let outcome = FirstOutcome()
    let worker = Task {
        await work()
        outcome.settle(true)
    }
    let timer = Task {
        try? await Task.sleep(for: limit)
        outcome.settle(false)
    }
    let finished = await outcome.value()
    timer.cancel()
    if !finished { worker.cancel() }
    return finished
}

/// The first of several racing answers; later ones are ignored.
private final class FirstOutcome: Sendable {
    private let state = Mutex<(result: Bool?, waiter: CheckedContinuation<Bool, Never>?)>((nil, nil))

    func settle(_ result: Bool) {
        let waiter = state.withLock { state -> CheckedContinuation<Bool, Never>? in
            guard state.result == nil else { return nil }
            state.result = result
            defer { state.waiter = nil }
            return state.waiter
        }
        waiter?.resume(returning: result)
    }

    func value() async -> Bool {
        await withCheckedContinuation { continuation in
            let ready = state.withLock { state -> Bool? in
                if let result = state.result { return result }
                state.waiter = continuation
                return nil
            }
            if let ready { continuation.resume(returning: ready) }
        }
    }
}
