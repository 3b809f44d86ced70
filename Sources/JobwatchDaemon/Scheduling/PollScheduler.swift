import JobwatchCore
import JobwatchStore
import Logging

/// Keeps every active job polled at its planned moment: asks the store which jobs are due, starts their
/// polls within `max_in_flight`, and arms one Dispatch timer for the earliest next poll. With nothing due
/// the process sleeps.
actor PollScheduler {
    private let store: any JobStoring
    private let settings: SettingsBox
    private let poller: Poller
    private let clock: @Sendable () -> Int64
    private let logger: Logger
    private var inFlight: [Int64: Task<Void, Never>] = [:]
    private var running = false
    /// A look at the schedule is under way (it suspends on the store); `tick()` then asks for another.
    private var looking = false
    private var lookAgain = false
    /// More jobs were due than there were free slots at the last look: refill as slots free up.
    private var saturated = false
    /// When the timer is armed for; nil when disarmed.
    private var armedAtMillis: Int64?
    private nonisolated let timer = DueTimer(label: "jobwatch.poll-timer")

    init(
        store: any JobStoring, settings: SettingsBox, poller: Poller, clock: @escaping @Sendable () -> Int64,
        logger: Logger
    ) {
        self.store = store
        self.settings = settings
        self.poller = poller
        self.clock = clock
        self.logger = logger
    }

    func start() async {
        timer.onFire { [weak self] in await self?.tick() }
        running = true
        await tick()
    }

    /// Something changed (the timer fired, the CLI registered a job): look again. Looks never overlap
    /// (a second one could start the same job twice); a tick during a look makes it look once more.
    func tick() async {
        guard running else { return }
        if looking {
            lookAgain = true
            return
        }
        looking = true
        repeat {
            lookAgain = false
            await look()
        } while lookAgain && running
        looking = false
    }

    private func look() async {
        let maxInFlight = settings.current.configuration.polling.maxInFlight
        let now = clock()
        do {
            let busy = Set(inFlight.keys)
            let free = maxInFlight - busy.count
            // Jobs whose last poll could not be recorded wait in memory (their rows may say "due").
            let held = poller.unrecorded.held(nowMillis: now)
            let due = try await store.dueJobs(nowMillis: now, limit: free, excluding: busy.union(held.rowIDs))
            for job in due {
                let poller = self.poller
                inFlight[job.rowID] = Task {
                    let next = await poller.poll(job)
                    await self.finished(job.rowID, nextPollAtMillis: next)
                }
            }
            saturated = free > 0 && due.count == free || free <= 0
            if saturated {
                disarm()  // finishing polls refill the slots
            } else if let next = try await store.earliestPoll(excluding: Set(inFlight.keys).union(held.rowIDs)) {
                arm(atMillis: min(next, held.earliestRelease ?? next), nowMillis: now)
            } else if let release = held.earliestRelease {
                arm(atMillis: release, nowMillis: now)
            } else {
                disarm()
            }
        } catch {
            logger.error("cannot read the schedule; trying again in 1 s", metadata: ["error": "\(error)"])
            arm(atMillis: now + 1000, nowMillis: now)
        }
    }

    var inFlightCount: Int { inFlight.count }

    /// A poll ended. While saturated, refill once half the slots are free (one query per batch, not per
    /// poll); otherwise only make sure the timer fires for this job's next poll.
    private func finished(_ rowID: Int64, nextPollAtMillis: Int64?) async {
        inFlight[rowID] = nil
        guard running else { return }
        if looking {
            // The look under way read the schedule before this poll was recorded: it must look again,
            // or it would arm the timer from what it read and miss this job's next poll.
            lookAgain = true
        } else if saturated {
            if inFlight.count <= settings.current.configuration.polling.maxInFlight / 2 { await tick() }
        } else if let next = nextPollAtMillis, armedAtMillis.map({ next < $0 }) ?? true {
            arm(atMillis: next, nowMillis: clock())
        }
    }

    private func arm(atMillis: Int64, nowMillis: Int64) {
        armedAtMillis = atMillis
        timer.arm(atMillis: atMillis, nowMillis: nowMillis)
    }

    private func disarm() {
        armedAtMillis = nil
        timer.disarm()
    }

    /// Stops starting polls and waits for those in flight, cancelling them after `grace`.
    func stop(grace: Duration) async {
        running = false
        timer.cancel()
        await drain(Array(inFlight.values), grace: grace)
    }
}
