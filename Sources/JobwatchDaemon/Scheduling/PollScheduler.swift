import JobwatchCore
import JobwatchStore
import Logging

/// Keeps every active job polled at its planned moment: asks the store which jobs are due, starts their
/// polls within `max_in_flight`, and arms one Dispatch timer for the earliest next poll. With nothing due
/// the process sleeps.
actor PollScheduler {
    private let store: JobStore
    private let settings: SettingsBox
    private let poller: Poller
    private let clock: @Sendable () -> Int64
    private let logger: Logger
    private var inFlight: [Int64: Task<Void, Never>] = [:]
    private var running = false
    private nonisolated let timer = DueTimer(label: "jobwatch.poll-timer")

    init(store: JobStore, settings: SettingsBox, poller: Poller, clock: @escaping @Sendable () -> Int64, logger: Logger) {
        self.store = store
        self.settings = settings
        self.poller = poller
        self.clock = clock
        self.logger = logger
    }

    func start() {
        timer.onFire { [weak self] in await self?.tick() }
        running = true
        tick()
    }

    /// Something changed (a poll finished, the CLI registered a job): look again.
    func tick() {
        guard running else { return }
        let maxInFlight = settings.current.configuration.polling.maxInFlight
        let now = clock()
        do {
            let busy = Set(inFlight.keys)
            for due in try store.dueJobs(nowMillis: now, limit: maxInFlight - busy.count, excluding: busy) {
                let rowID = due.rowID
                let poller = self.poller
                inFlight[rowID] = Task {
                    await poller.poll(rowID: rowID)
                    await self.finished(rowID)
                }
            }
            if inFlight.count >= maxInFlight {
                timer.disarm()  // a finishing poll ticks again
            } else if let next = try store.earliestPoll(excluding: Set(inFlight.keys)) {
                timer.arm(atMillis: next, nowMillis: now)
            } else {
                timer.disarm()
            }
        } catch {
            logger.error("cannot read the schedule; trying again in 1 s", metadata: ["error": "\(error)"])
            timer.arm(atMillis: now + 1000, nowMillis: now)
        }
    }

    var inFlightCount: Int { inFlight.count }

    private func finished(_ rowID: Int64) {
        inFlight[rowID] = nil
        tick()
    }

    /// Stops starting polls and waits for those in flight, cancelling them after `grace`.
    func stop(grace: Duration) async {
        running = false
        timer.cancel()
        await drain(Array(inFlight.values), grace: grace)
    }
}
