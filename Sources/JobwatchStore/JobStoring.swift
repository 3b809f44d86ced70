import JobwatchCore

/// What the daemon and the CLI need from the database, independent of the engine behind it. Every method
/// suspends instead of blocking a thread: the SQLite implementation (`JobStore`) runs its statements on
/// GRDB's own queues, a PostgreSQL one would await its connection. Times are integer milliseconds since
/// 1970 (UTC). Errors are `StoreError`s worded for the user.
///
/// To add an operation: declare it here, implement it in `JobStore` (in the `JobStore+…` file of its concern).
package protocol JobStoring: Sendable {
    /// Where the data lives, for logs and messages (a file path; never a credential).
    var location: String { get }

    /// Reports commits made by other processes (the CLI registering a job, `redeliver`), coalesced, and not
    /// the caller's own commits. Nil when the backend cannot watch: the daemon then relies on its timers.
    func watchForeignChanges(_ onChange: @escaping @Sendable () -> Void) -> (any StoreWatch)?

    // MARK: Jobs (`JobStore+Jobs.swift`)

    /// Starts tracking a job, or returns the existing record unchanged: registration is idempotent while
    /// the job is tracked or `done`; a job whose tracking ended without a verdict is tracked again (a new
    /// round, with a `registered` event).
    func register(
        _ registration: Registration, sinks: [SinkSubscription], nowMillis: Int64
    ) async throws -> (job: StoredJob, created: Bool)
    /// Registers many jobs atomically, all or nothing; idempotent per job like `register`. The results are
    /// in the order of `registrations`.
    func registerJobs(
        _ registrations: [Registration], sinks: [SinkSubscription], nowMillis: Int64
    ) async throws -> [(job: StoredJob, created: Bool)]
    /// Jobs whose job id is `jobID` (optionally of one api): more than one means the id is ambiguous.
    func jobs(withJobID jobID: String, api: JobAPI?) async throws -> [StoredJob]
    func job(rowID: Int64) async throws -> StoredJob?
    /// `jobwatch list`: newest registrations last.
    func list(tracking: TrackingFilter, api: JobAPI?, labels: [String: String]) async throws -> [StoredJob]
    /// Every observed change of a job and its sub-jobs, in order.
    func history(rowID: Int64) async throws -> [HistoryEntry]
    /// Stops tracking; the history stays. Returns the updated job (unchanged if it was not active).
    func unregister(rowID: Int64, nowMillis: Int64) async throws -> StoredJob?
    /// Counts for the daemon's status line.
    func counts() async throws -> StoreCounts

    // MARK: Retention (`JobStore+Retention.swift`)

    /// Deletes at most `limit` events created before `beforeMillis` whose deliveries all ended, with their
    /// deliveries and attempts, atomically; the newest `keepNewest` events stay.
    func pruneEvents(beforeMillis: Int64, limit: Int, keepNewest: Int) async throws -> PruneCount
    /// Deletes at most `limit` jobs whose tracking ended before `endedBeforeMillis` (none with a pending
    /// delivery), with their history, events, deliveries and attempts, atomically.
    func pruneJobs(endedBeforeMillis: Int64, limit: Int) async throws -> PruneCount

    // MARK: Polling (`JobStore+Polling.swift`)

    /// Active jobs due at `nowMillis`, earliest first, skipping those in `inFlight` and the jobs of
    /// `excludedAccounts` (accounts that must wait for their pace).
    func dueJobs(
        nowMillis: Int64, limit: Int, excluding inFlight: Set<Int64>, excludingAccounts excludedAccounts: Set<String>
    ) async throws -> [DueJob]
    /// When the next poll of a job not in flight and not of `excludedAccounts` is due; nil when nothing is.
    func earliestPoll(
        excluding inFlight: Set<Int64>, excludingAccounts excludedAccounts: Set<String>
    ) async throws -> Int64?
    /// Applies one poll's outcome atomically: the job, its sub-jobs, transitions, events and deliveries.
    /// `decide` sees the job as stored at that moment and returns nil to write nothing. A change is durable
    /// when this returns; a store may write a schedule-only outcome behind (`writePendingPolls`).
    func applyPoll(
        rowID: Int64, sinks: [SinkSubscription], nowMillis: Int64,
        decide: @escaping @Sendable (StoredJob) -> PollUpdate?
    ) async throws -> (job: StoredJob, events: [StoredEvent])?
    /// Writes the polls the store recorded in memory and has not written yet (SQLite writes unchanged polls
    /// behind, see `WrittenJobs`); called once polling stopped. Best effort: what it cannot write, a restart
    /// polls again.
    func writePendingPolls() async
    /// Jobs `dueJobs` returned that the scheduler did not start (their account must wait for its pace): a
    /// store that claims jobs for one daemon (PostgreSQL's leases) gives them back; SQLite has nothing to do.
    func releaseUnstarted(_ rowIDs: [Int64]) async throws
    /// Pushes every active job of an account to at least `untilMillis` (its credentials were rejected).
    func pauseAccount(_ account: String, untilMillis: Int64) async throws
    /// Moves every planned moment (next polls and deadlines of active jobs registered before
    /// `registeredBefore`, pending deliveries' next attempts) by `millis`, atomically: the wall clock
    /// stepped, and what was due in five minutes still is. (Jobs registered after the step are already on
    /// the new scale.)
    func shiftSchedule(byMillis millis: Int64, registeredBefore: Int64) async throws
    /// Moves only a job's next poll (to at least `untilMillis`) and its last error: for a poll whose outcome
    /// could not be recorded (the rest of the row may be what the database refuses).
    func deferPoll(rowID: Int64, untilMillis: Int64, lastError: String) async throws

    // MARK: Events (`JobStore+Events.swift`)

    /// Events with a sequence greater than `since`, oldest first.
    func events(since: Int64, limit: Int) async throws -> [StoredEvent]
    func lastEventSequence() async throws -> Int64

    // MARK: Deliveries (`JobStore+Deliveries.swift`)

    /// Due pending deliveries of the given sinks, oldest first, skipping those in `inFlight`.
    func dueDeliveries(
        nowMillis: Int64, sinks: [String], limit: Int, excluding inFlight: Set<DeliveryKey>
    ) async throws -> [DueDelivery]
    /// When the next pending delivery of these sinks (not in flight) is due.
    func earliestDelivery(sinks: [String], excluding inFlight: Set<DeliveryKey>) async throws -> Int64?
    /// Records an attempt and the delivery's new state atomically.
    func recordAttempt(_ key: DeliveryKey, _ attempt: AttemptRecord) async throws
    /// Marks a batch delivered atomically (the stdout sink prints many lines per wake-up).
    func recordDelivered(_ keys: [DeliveryKey], atMillis: Int64) async throws
    /// `jobwatch deliveries`: optionally only one state, one sink, and events created at or after a time.
    func deliveries(state: DeliveryState?, sink: String?, createdSinceMillis: Int64?) async throws -> [Delivery]
    /// Re-queues the deliveries of these events (every sink), or every dead delivery. Returns the number
    /// re-queued, or (when some ids match no event) nothing re-queued and those ids.
    func redeliver(eventIDs: [String]?, nowMillis: Int64) async throws -> (requeued: Int, unknown: [String])
    /// `redeliver --since`: every failed delivery (dead, or pending after a failed attempt) of the events
    /// created at or after `createdSinceMillis`, optionally of one sink, is due again now with a new round of
    /// attempts. Returns how many were re-queued.
    func redeliverFailed(createdSinceMillis: Int64, sink: String?, nowMillis: Int64) async throws -> Int

    // MARK: Metrics (`JobStore+Metrics.swift`), read at scrape time

    /// Jobs per tracking state (`jobwatch_jobs`).
    func jobCountsByTracking() async throws -> [Tracking: Int]
    /// Pending deliveries per sink (`jobwatch_outbox_pending`).
    func pendingDeliveriesBySink() async throws -> [String: Int]
    /// How many events of `type` have a sequence greater than `afterSequence`, and the greatest such
    /// sequence (the next cursor; `afterSequence` when there is none).
    func countEvents(of type: EventType, afterSequence: Int64) async throws -> (count: Int, lastSequence: Int64)
}

extension JobStoring {
    /// `jobwatch deliveries` without filters.
    package func deliveries(state: DeliveryState?) async throws -> [Delivery] {
        try await deliveries(state: state, sink: nil, createdSinceMillis: nil)
    }
}

extension JobStoring {
    /// A store that writes every poll before it returns has nothing pending.
    package func writePendingPolls() async {}

    package func dueJobs(nowMillis: Int64, limit: Int, excluding inFlight: Set<Int64>) async throws -> [DueJob] {
        try await dueJobs(nowMillis: nowMillis, limit: limit, excluding: inFlight, excludingAccounts: [])
    }

    package func earliestPoll(excluding inFlight: Set<Int64>) async throws -> Int64? {
        try await earliestPoll(excluding: inFlight, excludingAccounts: [])
    }
}

/// A running change watch; `stop()` ends it (idempotent).
package protocol StoreWatch: Sendable {
    func stop()
}

/// The daemon's status-line counts.
package struct StoreCounts: Sendable, Equatable {
    package var activeJobs: Int
    package var pendingDeliveries: Int
    package var deadDeliveries: Int

    package init(activeJobs: Int, pendingDeliveries: Int, deadDeliveries: Int) {
        self.activeJobs = activeJobs
        self.pendingDeliveries = pendingDeliveries
        self.deadDeliveries = deadDeliveries
    }
}
