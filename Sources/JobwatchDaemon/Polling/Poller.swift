import JobwatchCore
import JobwatchMetrics
import JobwatchStore
import Logging

/// Polls one job: paces the request, fetches, and records the outcome in one transaction.
struct Poller: Sendable {
    let store: any JobStoring
    let settings: SettingsBox
    let pacer: AccountPacer
    let clock: @Sendable () -> Int64
    let logger: Logger
    let lastProblem: LastProblem
    /// Counts polls and events when `metrics.listen` is set.
    let metrics: DaemonMetrics?
    /// Called when the poll created events, so the delivery side looks at once.
    let onEvents: @Sendable () -> Void
    /// Jobs whose polls could not be recorded, held back in memory (the scheduler skips them).
    let unrecorded = UnrecordedPolls()
    /// Why a job's poll could not be recorded, logged once per job until it changes.
    let recordProblems = OncePerJob()

    /// Polls a due job; returns when its next poll is planned (nil when tracking ended or nothing was written).
    /// `requestEnded` is called once the request is over (or when there is none to make), before the answer
    /// is recorded: `max_in_flight` counts requests, so the slot is free for another job while this one's
    /// answer waits for the writer.
    @discardableResult
    func poll(_ job: DueJob, requestEnded: @Sendable () async -> Void = {}) async -> Int64? {
        let settings = settings.current
        let rowID = job.rowID
        // Built only when something is logged (most polls log nothing).
        let metadata = LazyMetadata(job)

        if let deadline = job.deadlineAtMillis, deadline <= clock() {
            await requestEnded()
            await apply(rowID: rowID, settings: settings, metadata: metadata) { current, now in
                PollEvaluation.expire(record: current.record, scheduling: current.scheduling, nowMillis: now)
            }
            return nil
        }

        let result: PollResult
        var request: (failure: PollOutcome?, duration: Duration)?
        if let fetcher = settings.fetchers[job.account] {
            // The scheduler took this account's pacing slot before it started the poll.
            let started = ContinuousClock.now
            let (answer, failure) = await fetcher.fetchClassified(
                api: job.api, jobID: job.jobID, projectID: job.projectID, region: job.region)
            result = answer
            request = (failure, ContinuousClock.now - started)
            // Cut short by shutdown: that is not the cloud's answer, so nothing is recorded (no failure, no
            // backoff); the job stays due and is polled after the restart.
            if Task.isCancelled { return nil }
            await pacer.record(result, account: job.account)
        } else {
            result = .failed(
                message:
                    "account '\(job.account)' is not configured or has no credentials; fix the configuration "
                    + "and reload (SIGHUP)"
            )
        }
        await requestEnded()

        let pollSettings = settings.pollSettings
        let outcome = await apply(rowID: rowID, settings: settings, metadata: metadata) { current, now in
            var random = SystemRandomNumberGenerator()
            return PollEvaluation.evaluate(
                record: current.record, scheduling: current.scheduling, result: result, nowMillis: now,
                settings: pollSettings, random: &random)
        }
        let applied = outcome?.job
        if let metrics, let request {
            // A change is any event but a stall alert (every transition makes one event).
            let changed = outcome?.events.contains { $0.type != .stalled } ?? false
            metrics.recordPoll(
                api: job.api, outcome: PollOutcome(result, failure: request.failure, changed: changed),
                duration: request.duration)
        }
        if case .snapshot = result {
        } else {
            lastProblem.record("\(job.jobID): \(applied?.record.lastError ?? "poll failed")", atMillis: clock())
        }
        let polls = applied?.record.polls ?? 0
        switch result {
        case .snapshot:
            break
        case .throttled(let retryAfter, let message):
            var metadata = metadata.value(polls: polls)
            metadata["retry_after_ms"] = "\(retryAfter.map(String.init) ?? "none")"
            logger.warning("throttled by the gateway; slowing this account down: \(message)", metadata: metadata)
        case .unauthorized(let message):
            let until = clock() + PollSchedule.unauthorizedPauseMillis
            try? await store.pauseAccount(job.account, untilMillis: until)
            logger.error(
                """
                the gateway rejected the credentials of account '\(job.account)'; its polling pauses for 5 minutes \
                (an AK is locked after 5 failures): check ak/sk, the clock, and the project id: \(message)
                """,
                metadata: metadata.value(polls: polls))
        case .forbidden(let message):
            logger.error(
                """
                the gateway refused job \(job.jobID) (403: the credentials lack a permission on this job or its \
                project); only this job backs off, for 5 minutes: \(message)
                """,
                metadata: metadata.value(polls: polls))
        case .notFound(let message):
            logger.notice(
                """
                the job was not found (\(applied?.scheduling.notFoundStreak ?? 0) of \
                \(pollSettings.notFoundAfter)): \(message)
                """,
                metadata: metadata.value(polls: polls))
        case .failed(let message):
            logger.warning("poll failed; retrying with backoff: \(message)", metadata: metadata.value(polls: polls))
        }
        return applied?.record.tracking == .active ? applied?.record.nextPollAtMillis : nil
    }

    /// Runs the decision inside the store's transaction and logs what changed.
    @discardableResult
    private func apply(
        rowID: Int64, settings: DaemonSettings, metadata: LazyMetadata,
        decide: @escaping @Sendable (StoredJob, Int64) -> PollUpdate
    ) async -> (job: StoredJob, events: [StoredEvent])? {
        let now = clock()
        do {
            guard
                let (job, events) = try await store.applyPoll(
                    rowID: rowID, sinks: settings.sinks, nowMillis: now, decide: { decide($0, now) })
            else {
                return nil
            }
            unrecorded.recorded(rowID: rowID)
            _ = recordProblems.shouldLog(nil, for: String(rowID))
            if !events.isEmpty { log(job: job, events: events, metadata: metadata.value(polls: nil)) }
            metrics?.recordEvents(events.map(\.type))
            if !events.isEmpty { onEvents() }
            return (job, events)
        } catch {
            await backOffUnrecorded(rowID: rowID, settings: settings, error: error, metadata: metadata)
            return nil
        }
    }

    /// A poll that cannot be recorded backs off like a failed request: in memory (the row may be what the
    /// store refuses), and in the row's schedule too when the store still takes that much. Logged once per job.
    private func backOffUnrecorded(
        rowID: Int64, settings: DaemonSettings, error: any Error, metadata: LazyMetadata
    ) async {
        var random = SystemRandomNumberGenerator()
        let now = clock()
        let hold = unrecorded.failed(
            rowID: rowID, nowMillis: now, policy: settings.pollSettings.policy, random: &random)
        let reason = "cannot record a poll: \(error)"
        try? await store.deferPoll(rowID: rowID, untilMillis: hold.untilMillis, lastError: reason)
        if recordProblems.shouldLog("\(error)", for: String(rowID)) {
            logger.error(
                "cannot record a poll; the job backs off like a failed request (logged once per job)",
                metadata: metadata.value(polls: nil).merging([
                    "error": "\(error)", "retry_in_ms": "\(SaturatingTime.difference(hold.untilMillis, now))",
                ]) { $1 })
        }
        lastProblem.record("\(rowID): \(reason)", atMillis: now)
    }

    private func log(job: StoredJob, events: [StoredEvent], metadata: Logger.Metadata) {
        for event in events {
            switch event.type {
            case .statusChanged, .succeeded, .failed, .abnormal:
                var m = metadata
                m["status"] = "\(job.record.status.rawValue)"
                m["provider_status"] = "\(job.record.providerStatus ?? "-")"
                if job.record.status == .unknown {
                    logger.warning("the cloud reported a status jobwatch does not know; polling continues", metadata: m)
                } else {
                    logger.info("job is \(job.record.status.rawValue)", metadata: m)
                }
            case .expired:
                logger.notice("tracking deadline passed before a verdict; tracking is now expired", metadata: metadata)
            case .notFound:
                logger.notice("the API kept answering 404; tracking is now not_found", metadata: metadata)
            case .stalled:
                logger.notice(
                    "no change seen for polling.stall_after; the job is stalled (tracking goes on)",
                    metadata: metadata)
            case .subJobStatusChanged, .progress, .registered:
                logger.debug("\(event.type.rawValue)", metadata: metadata)
            }
        }
    }
}
