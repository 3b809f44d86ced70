/// The poller's per-job counters that shape its schedule; stored with the job so a restart resumes them.
package struct SchedulingState: Sendable, Hashable {
    /// Polls in a row that saw nothing new (grows the interval).
    package var unchangedPolls: Int
    /// Failed requests in a row (grows the error backoff).
    package var failures: Int
    /// 404s in a row (ends tracking at `not_found_after`).
    package var notFoundStreak: Int

    package init(unchangedPolls: Int = 0, failures: Int = 0, notFoundStreak: Int = 0) {
        self.unchangedPolls = unchangedPolls
        self.failures = failures
        self.notFoundStreak = notFoundStreak
    }
}

/// What one poll of a job came back with, as the poller classifies it.
package enum PollResult: Sendable {
    case snapshot(JobSnapshot, rawBody: String)
    case throttled(retryAfterMillis: Int64?, message: String)
    /// The credentials were refused (401, `APIGW.0301`/`APIGW.0303`): the whole account pauses.
    case unauthorized(message: String)
    /// A 403 for this resource only (a missing permission on one project or job): this job backs off.
    case forbidden(message: String)
    case notFound(message: String)
    /// Transient failures (5xx, timeouts, connection errors), undecodable bodies and other rejections.
    case failed(message: String)
}

/// The settings that shape how a poll result is turned into the next state.
package struct PollSettings: Sendable, Hashable {
    package var policy: PollPolicy
    package var notFoundAfter: Int
    /// `polling.stall_after`; 0: no stall alerts.
    package var stallAfterMillis: Int64

    package init(policy: PollPolicy, notFoundAfter: Int, stallAfterMillis: Int64 = 0) {
        self.policy = policy
        self.notFoundAfter = notFoundAfter
        self.stallAfterMillis = stallAfterMillis
    }
}

/// Everything one poll changes, decided before anything is written; the store applies it in one transaction.
package struct PollUpdate: Sendable {
    package var record: JobRecord
    package var scheduling: SchedulingState
    package var transitions: [Transition]
    package var events: [PendingEvent]
    /// False when only scheduling fields move (an unchanged poll, a failed request).
    package var stateChanged: Bool
    /// The raw body of the response, kept with the job when its state changed.
    package var rawResponse: String?

    /// Only the schedule moves (an unchanged answer, a failed request): no new job state, no history row,
    /// no event. The store may commit such polls together (group commit).
    package var movesOnlySchedule: Bool { !stateChanged && transitions.isEmpty && events.isEmpty }
}

extension Int {
    /// One more, stopping at `Int.max` (a counter read back from an old or edited row may be anything).
    package var incrementedSaturating: Int { self == .max ? self : Swift.max(0, self) + 1 }
}

/// Turns a poll result into the job's next state, history rows, events and schedule. Pure.
package enum PollEvaluation {
    package static func evaluate<R: RandomNumberGenerator>(
        record: JobRecord, scheduling: SchedulingState, result: PollResult, nowMillis: Int64, settings: PollSettings,
        random: inout R
    ) -> PollUpdate {
        var next = record
        next.polls = next.polls.incrementedSaturating
        next.lastPolledAtMillis = nowMillis
        var state = scheduling
        var update = PollUpdate(
            record: next, scheduling: state, transitions: [], events: [], stateChanged: false, rawResponse: nil)
        let policy = settings.policy

        switch result {
        case .snapshot(let snapshot, let rawBody):
            let previous = record.lastSnapshot
            let transitions = TransitionDiff.transitions(from: previous, to: snapshot)
            next.apply(snapshot)
            next.lastError = nil
            state.failures = 0
            state.notFoundStreak = 0
            state.unchangedPolls =
                TransitionDiff.resetsBackoff(transitions, previous: previous, current: snapshot)
                ? 0 : state.unchangedPolls.incrementedSaturating
            update.transitions = transitions
            update.events = events(for: transitions, in: snapshot)
            update.stateChanged = previous != snapshot || record.lastError != nil
            if !transitions.isEmpty {
                next.lastChangeAtMillis = nowMillis
                next.stalledAtMillis = nil
            } else if StallCheck.isNewStall(next, nowMillis: nowMillis, stallAfterMillis: settings.stallAfterMillis)
                && !snapshot.status.isTerminal
            {
                next.stalledAtMillis = nowMillis
                update.events.append(PendingEvent(type: .stalled, previousStatus: snapshot.status))
            }
            update.rawResponse = rawBody
            if snapshot.status.isTerminal {
                next.tracking = .done
                next.nextPollAtMillis = nil
            } else {
                let delay = PollSchedule.nextPollDelay(
                    policy, unchangedPolls: state.unchangedPolls, progress: snapshot.progress,
                    beginMillis: snapshot.beginTime.flatMap(CloudTime.parseMillis), nowMillis: nowMillis,
                    random: &random)
                next.nextPollAtMillis = cappedAtDeadline(SaturatingTime.adding(delay, to: nowMillis), next)
            }

        case .throttled(let retryAfter, let message):
            state.failures = state.failures.incrementedSaturating
            next.lastError = message
            let delay = PollSchedule.throttledDelay(
                policy, retryAfterMillis: retryAfter, failures: state.failures, random: &random)
            next.nextPollAtMillis = cappedAtDeadline(SaturatingTime.adding(delay, to: nowMillis), next)

        case .unauthorized(let message), .forbidden(let message):
            state.failures = state.failures.incrementedSaturating
            next.lastError = message
            next.nextPollAtMillis = cappedAtDeadline(
                SaturatingTime.adding(PollSchedule.unauthorizedPauseMillis, to: nowMillis), next)

        case .notFound(let message):
            state.notFoundStreak = state.notFoundStreak.incrementedSaturating
            next.lastError = message
            if state.notFoundStreak >= settings.notFoundAfter {
                next.tracking = .notFound
                next.nextPollAtMillis = nil
                update.events = [PendingEvent(type: .notFound, previousStatus: record.status)]
                update.stateChanged = true
            } else {
                let delay = PollSchedule.errorDelay(policy, failures: state.notFoundStreak, random: &random)
                next.nextPollAtMillis = cappedAtDeadline(SaturatingTime.adding(delay, to: nowMillis), next)
            }

        case .failed(let message):
            state.failures = state.failures.incrementedSaturating
            next.lastError = message
            let delay = PollSchedule.errorDelay(policy, failures: state.failures, random: &random)
            next.nextPollAtMillis = cappedAtDeadline(SaturatingTime.adding(delay, to: nowMillis), next)
        }
        update.record = next
        update.scheduling = state
        return update
    }

    /// The deadline passed before a verdict: tracking ends as `expired`.
    package static func expire(record: JobRecord, scheduling: SchedulingState, nowMillis: Int64) -> PollUpdate {
        var next = record
        next.tracking = .expired
        next.nextPollAtMillis = nil
        return PollUpdate(
            record: next, scheduling: scheduling, transitions: [],
            events: [PendingEvent(type: .expired, previousStatus: record.status)], stateChanged: true, rawResponse: nil)
    }

    /// The events a poll's transitions create: one per sub-job change, then the job's own. A status event
    /// always changes the normalized status: a change of the cloud's word alone (Workspace ROLLBACK while
    /// RUNNING) is a history row, not an event.
    package static func events(for transitions: [Transition], in snapshot: JobSnapshot) -> [PendingEvent] {
        let subJobs = Dictionary(snapshot.subJobs.map { ($0.jobID, $0) }, uniquingKeysWith: { first, _ in first })
        return transitions.compactMap { transition -> PendingEvent? in
            if transition.kind != .jobProgress && transition.from == transition.to { return nil }
            switch transition.kind {
            case .subJobStatus:
                let sub = transition.subJobID.flatMap { subJobs[$0] }
                return PendingEvent(type: .subJobStatusChanged, previousStatus: transition.from, subJob: sub)
            case .jobStatus:
                return PendingEvent(
                    type: EventType.terminal(for: transition.to) ?? .statusChanged, previousStatus: transition.from)
            case .jobProgress:
                return PendingEvent(type: .progress, previousStatus: transition.from)
            }
        }
    }

    /// One last poll exactly at the deadline, as waiters do, rather than a poll after it.
    private static func cappedAtDeadline(_ planned: Int64, _ record: JobRecord) -> Int64 {
        guard let deadline = record.deadlineAtMillis else { return planned }
        return min(planned, max(deadline, record.lastPolledAtMillis ?? deadline))
    }
}
