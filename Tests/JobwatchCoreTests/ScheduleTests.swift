import JobwatchCore
import Testing

@Suite struct PollScheduleTests {
    let policy = PollPolicy(initialMillis: 5000, maxMillis: 60_000, multiplier: 1.5, jitter: 0.2)

    @Test func intervalGrowsGeometricallyUpToTheMaximum() {
        let intervals = (0..<10).map { PollSchedule.baseInterval(policy, unchangedPolls: $0) }
        #expect(intervals.prefix(4) == [5000, 7500, 11_250, 16_875])
        #expect(intervals.last == 60_000)
        #expect(zip(intervals, intervals.dropFirst()).allSatisfy { $0 <= $1 })
    }

    @Test func jitterStaysWithinItsBand() {
        var random = SeededRandom(seed: 7)
        for unchanged in 0..<12 {
            let base = Double(PollSchedule.baseInterval(policy, unchangedPolls: unchanged))
            for _ in 0..<50 {
                let delay = Double(
                    PollSchedule.nextPollDelay(
                        policy, unchangedPolls: unchanged, progress: nil, beginMillis: nil, nowMillis: 0,
                        random: &random))
                #expect(delay >= base * 0.8 - 1 && delay <= base * 1.2 + 1)
            }
        }
    }

    @Test func neverPlansPastThePredictedCompletion() {
        var random = SeededRandom(seed: 1)
        // Begun 90 s ago and 90 % done: about 10 s left, so no 60 s wait.
        let delay = PollSchedule.nextPollDelay(
            policy, unchangedPolls: 20, progress: 0.9, beginMillis: 0, nowMillis: 90_000, random: &random)
        #expect(delay == 10_000)
        // Nearly done: never earlier than the initial interval.
        let soon = PollSchedule.nextPollDelay(
            policy, unchangedPolls: 20, progress: 0.999, beginMillis: 0, nowMillis: 90_000, random: &random)
        #expect(soon == 5000)
        // Far from done: the ordinary interval applies.
        let far = PollSchedule.nextPollDelay(
            policy, unchangedPolls: 20, progress: 0.01, beginMillis: 0, nowMillis: 90_000, random: &random)
        #expect(far >= 48_000 && far <= 72_000)
        #expect(PollSchedule.predictedRemaining(progress: 0.5, beginMillis: 1000, nowMillis: 11_000) == 10_000)
        #expect(PollSchedule.predictedRemaining(progress: 1, beginMillis: 0, nowMillis: 10) == nil)
    }

    @Test func errorBackoffIsFullJitterFromOneSecondToFourTimesTheMaximum() {
        var random = SeededRandom(seed: 3)
        #expect(PollSchedule.errorDelay(policy, failures: 1, random: &random) == 1000)
        for failures in 2...30 {
            let cap = min(240_000, Int64(1000) << Int64(min(failures - 1, 30)))
            for _ in 0..<20 {
                let delay = PollSchedule.errorDelay(policy, failures: failures, random: &random)
                #expect(delay >= 1000 && delay <= cap)
            }
        }
    }

    @Test func throttlingHonoursRetryAfterElseWaitsAtLeastFiveSeconds() {
        var random = SeededRandom(seed: 4)
        #expect(PollSchedule.throttledDelay(policy, retryAfterMillis: 2000, failures: 1, random: &random) == 2000)
        for failures in 1...10 {
            #expect(
                PollSchedule.throttledDelay(policy, retryAfterMillis: nil, failures: failures, random: &random) >= 5000)
        }
    }
}

@Suite struct AdaptiveRateTests {
    @Test func pacesToTheConfiguredRate() {
        var rate = AdaptiveRate(perSecond: 2)
        // Two at once (one second's worth), then one every 500 ms.
        #expect(rate.reserve(nowMillis: 0) == 0)
        #expect(rate.reserve(nowMillis: 0) == 0)
        #expect(rate.reserve(nowMillis: 0) == 500)
        #expect(rate.reserve(nowMillis: 0) == 1000)
    }

    /// The scheduler asks before it starts a poll: a slot that is not free yet is not taken, so asking
    /// again later does not push the account further back.
    @Test func reserveIfFreeTakesOnlyAFreeSlot() {
        var rate = AdaptiveRate(perSecond: 2)
        let one = { (now: Int64) in rate.reserveIfFree(nowMillis: now) }
        #expect(one(0) == (1, 0))
        #expect(one(0) == (1, 0))
        #expect(one(0) == (0, 500))
        #expect(one(0) == (0, 500))
        #expect(one(400) == (0, 100))
        #expect(one(500) == (1, 0))
        #expect(one(500) == (0, 500))
    }

    /// Several at once: as many as are free, never more, and the wait for the next.
    @Test func reserveIfFreeTakesAsManyFreeSlotsAsThereAre() {
        var rate = AdaptiveRate(perSecond: 10)  // 100 ms apart, 900 ms of burst: 10 free after a quiet spell
        #expect(rate.reserveIfFree(nowMillis: 0, count: 25) == (10, 100))
        #expect(rate.reserveIfFree(nowMillis: 50, count: 5) == (0, 50))
        #expect(rate.reserveIfFree(nowMillis: 300, count: 5) == (3, 100))
        #expect(rate.reserveIfFree(nowMillis: 300, count: 0) == (0, 0))
    }

    @Test func halvesOnThrottlingAndRecoversGradually() {
        var rate = AdaptiveRate(perSecond: 10)
        rate.recordThrottled()
        #expect(rate.currentPerSecond == 5)
        rate.recordThrottled()
        #expect(rate.currentPerSecond == 2.5)
        rate.recordSuccess()
        #expect(rate.currentPerSecond == 3)
        for _ in 0..<100 { rate.recordSuccess() }
        #expect(rate.currentPerSecond == 10)
    }
}

@Suite struct PollEvaluationTests {
    let settings = PollSettings(policy: PollPolicy(), notFoundAfter: 3)
    let base = JobRecord(
        jobID: "j", api: .ims, account: "default", region: "r", projectID: nil, registeredAtMillis: 0,
        deadlineAtMillis: 10_000_000)

    @Test func aTerminalSnapshotEndsTrackingWithOneTerminalEvent() {
        var random = SeededRandom(seed: 1)
        let snapshot = JobSnapshot(jobID: "j", status: .success, providerStatus: "SUCCESS", progress: 1, imageID: "img")
        let update = PollEvaluation.evaluate(
            record: base, scheduling: SchedulingState(), result: .snapshot(snapshot, rawBody: "{}"), nowMillis: 1000,
            settings: settings, random: &random)
        #expect(update.record.tracking == .done)
        #expect(update.record.nextPollAtMillis == nil)
        #expect(update.events == [PendingEvent(type: .succeeded, previousStatus: nil)])
        #expect(update.record.imageID == "img" && update.record.polls == 1 && update.stateChanged)
    }

    @Test func anUnchangedPollMovesOnlyTheSchedule() {
        var random = SeededRandom(seed: 1)
        var record = base
        let snapshot = JobSnapshot(jobID: "j", status: .running, providerStatus: "RUNNING")
        record.apply(snapshot)
        record.polls = 1
        let update = PollEvaluation.evaluate(
            record: record, scheduling: SchedulingState(unchangedPolls: 2), result: .snapshot(snapshot, rawBody: "{}"),
            nowMillis: 1000, settings: settings, random: &random)
        #expect(!update.stateChanged && update.transitions.isEmpty && update.events.isEmpty)
        #expect(update.scheduling.unchangedPolls == 3)
        #expect(update.record.nextPollAtMillis! > 1000)
    }

    @Test func repeated404sEndAsNotFound() {
        var random = SeededRandom(seed: 1)
        var scheduling = SchedulingState()
        var record = base
        for poll in 1...3 {
            let update = PollEvaluation.evaluate(
                record: record, scheduling: scheduling, result: .notFound(message: "404"),
                nowMillis: Int64(poll) * 1000,
                settings: settings, random: &random)
            record = update.record
            scheduling = update.scheduling
            #expect(record.tracking == (poll < 3 ? .active : .notFound))
            #expect(update.events.map(\.type) == (poll < 3 ? [] : [.notFound]))
        }
    }

    @Test func theNextPollNeverFallsAfterTheDeadline() {
        var random = SeededRandom(seed: 1)
        var record = base
        record.deadlineAtMillis = 3000
        let update = PollEvaluation.evaluate(
            record: record, scheduling: SchedulingState(), result: .failed(message: "503"), nowMillis: 2500,
            settings: settings, random: &random)
        #expect(update.record.nextPollAtMillis! <= 3000)
        let expired = PollEvaluation.expire(record: record, scheduling: SchedulingState(), nowMillis: 3000)
        #expect(expired.record.tracking == .expired && expired.events.map(\.type) == [.expired])
    }
}

@Suite struct EventRoutingTests {
    @Test func sinksReceiveWhatTheySubscribeToAndWhatTheJobAllows() {
        let sinks = [
            SinkSubscription(name: "stdout", filter: .terminal), SinkSubscription(name: "ops", filter: .all),
            SinkSubscription(name: "chat", filter: .types([.failed])),
        ]
        #expect(SinkSubscription.recipients(of: .succeeded, jobSinks: nil, among: sinks) == ["stdout", "ops"])
        #expect(SinkSubscription.recipients(of: .progress, jobSinks: nil, among: sinks) == ["ops"])
        #expect(SinkSubscription.recipients(of: .failed, jobSinks: ["chat"], among: sinks) == ["chat"])
        #expect(SinkSubscription.recipients(of: .succeeded, jobSinks: ["chat"], among: sinks) == [])
    }

    @Test func eventIDsAreTimeOrderedVersion7UUIDs() {
        var random = SeededRandom(seed: 9)
        let a = UUIDv7.make(millis: 1_763_790_060_000, random: &random)
        let b = UUIDv7.make(millis: 1_763_790_060_001, random: &random)
        #expect(a.count == 36 && a < b)
        #expect(Array(a)[14] == "7")
        #expect("89ab".contains(Array(a)[19]))
    }
}
