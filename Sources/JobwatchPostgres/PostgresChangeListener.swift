import Foundation
import JobwatchStore
import Logging
import PostgresNIO
import Synchronization

/// `LISTEN jobwatch_changes` on a connection of its own: the CLI's register, unregister and redeliver
/// notify at commit, so a daemon sees a new job within milliseconds instead of at its next timer. A lost
/// connection is reopened (1 s, then up to 10 s apart) and reported as a change, since notifications sent
/// meanwhile are gone; so is the first LISTEN, which closes the gap between start-up and listening. A burst
/// of notifications (a script registering 300 jobs) is coalesced into one wake-up per 20 ms.
final class PostgresChangeListener: StoreWatch, Sendable {
    private let task = Mutex<Task<Void, Never>?>(nil)

    init(client: PostgresClient, logger: Logger, onChange: @escaping @Sendable () -> Void) {
        let coalescer = WakeCoalescer(onChange)
        let coalesced: @Sendable () -> Void = { coalescer.signal() }
        let started = Task {
            var delay = Duration.seconds(1)
            while !Task.isCancelled {
                do {
                    try await client.withConnection { connection in
                        try await connection.listen(on: PostgresSchema.changeChannel) { notifications in
                            // Also on the first LISTEN: a commit made while it was being set up is seen.
                            coalesced()
                            delay = .seconds(1)
                            for try await _ in notifications { coalesced() }
                        }
                    }
                } catch {
                    if Task.isCancelled { return }
                    logger.debug("the PostgreSQL change listener lost its connection; reconnecting")
                }
                try? await Task.sleep(for: delay)
                delay = min(delay * 2, .seconds(10))
            }
        }
        task.withLock { $0 = started }
    }

    func stop() {
        task.withLock { task in
            task?.cancel()
            task = nil
        }
    }
}

/// Turns a burst of signals into one call 20 ms after the first.
private final class WakeCoalescer: Sendable {
    private let scheduled = Mutex(false)
    private let onChange: @Sendable () -> Void

    init(_ onChange: @escaping @Sendable () -> Void) { self.onChange = onChange }

    func signal() {
        let schedule = scheduled.withLock { scheduled in
            defer { scheduled = true }
            return !scheduled
        }
        guard schedule else { return }
        Task {
            try? await Task.sleep(for: .milliseconds(20))
            self.scheduled.withLock { $0 = false }
            self.onChange()
        }
    }
}
