import JobwatchCore
import JobwatchStore
import Logging

/// Keeps every active job polled at its planned moment: asks the store which jobs are due, starts their
/// polls within `max_in_flight` and each account's pace, and arms one Dispatch timer for the earliest next
/// poll. With nothing due the process sleeps.
actor PollScheduler: SerialLooks {
    private let store: any JobStoring
    private let settings: SettingsBox
    private let poller: Poller
    private let pacer: AccountPacer
    private let clockGuard: WallClockGuard
    private let clock: @Sendable () -> Int64
    private let logger: Logger
    /// Every poll under way, from its start until its answer is recorded.
    private var inFlight: [Int64: Task<Void, Never>] = [:]
    /// The polls among them whose request has not ended yet: what `max_in_flight` limits.
    private var requesting: Set<Int64> = []
    /// A refill task is started and has not looked yet.
    private var refillQueued = false
    private(set) var running = false
    /// More jobs were due than there were free slots at the last look: refill as slots free up.
    private var saturated = false
    /// When the timer is armed for; nil when disarmed.
    private var armedAtMillis: Int64?
    var looks = LookState()
    private nonisolated let timer: any SchedulerTimer
    /// Where poll tasks run (nil: the cooperative pool). The daemon passes the cloud client's event loop, so
    /// that a poll's code runs where its answer arrives instead of waking another thread twice per request.
    private nonisolated let pollExecutor: (any TaskExecutor)?

    init(
        store: any JobStoring, settings: SettingsBox, poller: Poller, pacer: AccountPacer, clockGuard: WallClockGuard,
        clock: @escaping @Sendable () -> Int64, logger: Logger, makeTimer: SchedulerTimerFactory,
        pollExecutor: (any TaskExecutor)? = nil
    ) {
        timer = makeTimer("jobwatch.poll-timer")
        self.pollExecutor = pollExecutor
        self.store = store
        self.settings = settings
        self.poller = poller
        self.pacer = pacer
        self.clockGuard = clockGuard
        self.clock = clock
        self.logger = logger
    }

    /// Starts looking and returns at once: the first look runs in a task of its own, so a daemon that
    /// starts with many jobs due (its look loop runs on while polls keep finishing) still reports READY.
    func start() async {
        timer.onFire { [weak self] in await self?.tick() }
        running = true
        Task { await self.tick() }
    }

    func look() async {
        await clockGuard.reconcile()
        let maxInFlight = settings.current.configuration.polling.maxInFlight
        let now = clock()
        do {
            var free = Self.freeSlots(
                maxInFlight: maxInFlight, requesting: requesting.count, underWay: inFlight.count)
            // Jobs whose last poll could not be recorded wait in memory (their rows may say "due").
            let held = poller.unrecorded.held(nowMillis: now)
            // Accounts without a free request slot, and how soon the first of them has one again.
            var paced: Set<String> = []
            var pacedWait: Int64?
            // Each round either fills the free slots or leaves out one more paced account: at most one
            // round per account.
            while free > 0 {
                let due = try await store.dueJobs(
                    nowMillis: now, limit: free, excluding: Set(inFlight.keys).union(held.rowIDs),
                    excludingAccounts: paced)
                var newlyPaced = false
                var unstarted: [Int64] = []
                // One reservation per account for as many of its due jobs as there are: the jobs beyond the
                // slots it got wait for its pace (a store that claimed them gives them back below).
                var byAccount: [String: [DueJob]] = [:]
                var accounts: [String] = []
                for job in due {
                    if byAccount[job.account] == nil { accounts.append(job.account) }
                    byAccount[job.account, default: []].append(job)
                }
                for account in accounts {
                    let jobs = byAccount[account] ?? []
                    if paced.contains(account) {
                        unstarted += jobs.map(\.rowID)
                        continue
                    }
                    let (taken, wait) = await pacer.reserve(account: account, count: jobs.count)
                    for job in jobs.prefix(taken) {
                        // Stopped while this look waited for the store: a poll started now would not be
                        // waited for, and would meet an HTTP client already shut down.
                        guard running else {
                            unstarted.append(job.rowID)
                            continue
                        }
                        start(job)
                        free -= 1
                    }
                    if taken < jobs.count {
                        paced.insert(account)
                        // Coalesced: a paced account is looked at again at most ten times a second, and takes
                        // the slots freed meanwhile together (within its burst, so its rate holds).
                        let coalesced = max(wait, 100)
                        pacedWait = min(pacedWait ?? coalesced, coalesced)
                        newlyPaced = true
                        unstarted += jobs.dropFirst(taken).map(\.rowID)
                    }
                }
                // A store that claimed them for this daemon (PostgreSQL) gives them back.
                if !unstarted.isEmpty { try? await store.releaseUnstarted(unstarted) }
                guard running else { return }
                if !newlyPaced { break }
            }
            saturated = free <= 0
            if saturated {
                disarm()  // finishing polls refill the slots
                return
            }
            var next = try await store.earliestPoll(
                excluding: Set(inFlight.keys).union(held.rowIDs), excludingAccounts: paced)
            for candidate in [held.earliestRelease, pacedWait.map { now + $0 }].compactMap({ $0 }) {
                next = min(next ?? candidate, candidate)
            }
            if let next {
                arm(atMillis: max(next, now + 1), nowMillis: now)
            } else {
                disarm()
            }
        } catch {
            logger.error("cannot read the schedule; trying again in 1 s", metadata: ["error": "\(error)"])
            arm(atMillis: now + 1000, nowMillis: now)
        }
    }

    /// Slots for new polls: `max_in_flight` requests at once, and at most as many answers again waiting to be
    /// recorded (a writer slower than the cloud holds the requests back instead of piling answers up).
    static func freeSlots(maxInFlight: Int, requesting: Int, underWay: Int) -> Int {
        min(maxInFlight - requesting, 2 * maxInFlight - underWay)
    }

    private func start(_ job: DueJob) {
        let poller = self.poller
        let rowID = job.rowID
        requesting.insert(rowID)
        inFlight[rowID] = Task(executorPreference: pollExecutor) {
            let next = await poller.poll(job, requestEnded: { await self.requestEnded(rowID) })
            await self.finished(rowID, nextPollAtMillis: next)
        }
    }

    var inFlightCount: Int { requesting.count }

    /// A poll's request ended; its answer is being recorded. While saturated, refill once `refillBatch`
    /// slots are free (one query per batch, not per poll; waiting for half of them kept a quarter of
    /// `max_in_flight` idle on average). The refill runs in a task of its own: the poll goes on to record.
    /// A look under way counted its free slots before this one: it looks once more.
    private func requestEnded(_ rowID: Int64) {
        guard requesting.remove(rowID) != nil, running, saturated, refillDue(), !lookAgainIfLooking(),
            !refillQueued
        else { return }
        refillQueued = true
        Task {
            await self.refill()
        }
    }

    private func refill() async {
        refillQueued = false
        await tick()
    }

    private func refillDue() -> Bool {
        let maxInFlight = settings.current.configuration.polling.maxInFlight
        return Self.freeSlots(maxInFlight: maxInFlight, requesting: requesting.count, underWay: inFlight.count)
            >= Self.refillBatch(maxInFlight: maxInFlight)
    }

    /// Free slots that make a refill: an eighth of `max_in_flight`, at most 8. A refill costs a look at the
    /// schedule, so not one per poll; but the slots waiting for it are idle, so not a fixed fraction either
    /// (256 slots refilled 32 at a time kept ~16 idle on average: 84–86 % of 256 requests at once against
    /// 50 ms answers, 89–91 % with batches of 8; BENCHMARKS.md).
    static func refillBatch(maxInFlight: Int) -> Int {
        min(max(1, maxInFlight / 8), 8)
    }

    /// A poll ended (its answer is recorded): refill as above, or make sure the timer fires for this job's
    /// next poll.
    private func finished(_ rowID: Int64, nextPollAtMillis: Int64?) async {
        inFlight[rowID] = nil
        requesting.remove(rowID)
        guard running else { return }
        if lookAgainIfLooking() {
            // The look under way read the schedule before this poll was recorded: it looks again, or it
            // would arm the timer from what it read and miss this job's next poll.
        } else if saturated {
            if refillDue() { await tick() }
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
