import JobwatchCore
import Testing

/// Numbers from outside, one class at a time: each of these trapped (or looped) before it was validated.
@Suite struct HostileNumbersTests {
    let policy = PollPolicy(initialMillis: 5000, maxMillis: 60_000, multiplier: 1.5, jitter: 0.2)
    let settings = PollSettings(policy: PollPolicy(), notFoundAfter: 3)
    let now: Int64 = 1_790_000_000_000

    func record(deadline: Int64? = nil) -> JobRecord {
        JobRecord(
            jobID: "j", api: .ims, account: "default", region: "r", projectID: nil, registeredAtMillis: now,
            deadlineAtMillis: deadline)
    }

    @Test func aRetryAfterPastOneHourCountsAsOneHourOnBothSides() {
        for header in ["99999999999999999999999999", "9223372036854775807", "3601", "86400"] {
            #expect(RetryAfter.delayMillis(header, nowMillis: now) == 3_600_000)
        }
        #expect(RetryAfter.delayMillis("Fri, 31 Dec 9999 23:59:59 GMT", nowMillis: now) == 3_600_000)
        #expect(RetryAfter.delayMillis("Sun, 06 Nov 1994 08:49:37 GMT", nowMillis: now) == 0)
        #expect(RetryAfter.delayMillis("120", nowMillis: now) == 120_000)
        #expect(RetryAfter.delayMillis("0000000000000000000000000000007", nowMillis: now) == 7000)
        #expect(RetryAfter.delayMillis("-5", nowMillis: now) == nil)
        #expect(RetryAfter.delayMillis("soon", nowMillis: now) == nil)
        #expect(RetryAfter.delayMillis(nil, nowMillis: now) == nil)
    }

    @Test func aHugeRetryAfterPlansTheNextPollWithinTheHour() throws {
        var random = SeededRandom(seed: 1)
        for retryAfter in [Int64.max, Int64.max / 2, 3_600_001] {
            let update = PollEvaluation.evaluate(
                record: record(), scheduling: SchedulingState(),
                result: .throttled(retryAfterMillis: retryAfter, message: "429"), nowMillis: now,
                settings: settings, random: &random)
            let next = try #require(update.record.nextPollAtMillis)
            #expect(next > now && next <= now + 3_600_000)
        }
    }

    @Test func aTinyProgressWithAnOldBeginTimeGivesABoundedDelay() {
        var random = SeededRandom(seed: 2)
        for progress in [Double.leastNonzeroMagnitude, 1e-300, 1e-12, 0.5] {
            for begin in [Int64.min, 0, now - 1] {
                let delay = PollSchedule.nextPollDelay(
                    policy, unchangedPolls: 3, progress: progress, beginMillis: begin, nowMillis: now, random: &random)
                #expect(delay >= 1 && delay <= 72_000)
            }
        }
        #expect(
            PollSchedule.predictedRemaining(progress: 1e-300, beginMillis: 0, nowMillis: now)
                == PollSchedule.longestDelayMillis)
    }

    @Test func progressIsAFiniteFractionOrUnknown() {
        for bad in [Double.nan, .infinity, -.infinity, -0.1, 1.000001, 1e308] {
            #expect(ProgressFraction.validated(bad) == nil)
            #expect(ProgressFraction.text(bad) == "-")
        }
        #expect(ProgressFraction.validated(0) == 0)
        #expect(ProgressFraction.validated(1) == 1)
        #expect(ProgressFraction.text(0.244) == "24%")
        // A record holding a non-finite value (an old row) still encodes: progress is null.
        var record = record()
        record.progress = .nan
        let json = try? JSONStyle.string(record)
        #expect(json?.contains("\"progress\":null") == true)
    }

    @Test func storedCountersAndInstantsAtTheirExtremesNeitherTrapNorLoop() {
        var random = SeededRandom(seed: 3)
        var extreme = record(deadline: Int64.max)
        extreme.polls = Int.max
        extreme.lastPolledAtMillis = Int64.max
        let scheduling = SchedulingState(unchangedPolls: Int.max, failures: Int.max, notFoundStreak: Int.max)
        for result in [
            PollResult.failed(message: "x"), .throttled(retryAfterMillis: nil, message: "x"),
            .unauthorized(message: "x"), .notFound(message: "x"),
            .snapshot(JobSnapshot(jobID: "j", status: .running, providerStatus: "RUNNING"), rawBody: "{}"),
        ] {
            let update = PollEvaluation.evaluate(
                record: extreme, scheduling: scheduling, result: result, nowMillis: Int64.max - 1, settings: settings,
                random: &random)
            #expect(update.record.polls == Int.max)
        }
        #expect(PollSchedule.baseInterval(policy, unchangedPolls: Int.max) == 60_000)
        #expect(PollSchedule.baseInterval(PollPolicy(multiplier: .nan), unchangedPolls: Int.max) == 5000)
        #expect(PollSchedule.errorDelay(policy, failures: Int.min, random: &random) == 1000)
        #expect(SaturatingTime.adding(Int64.max, to: Int64.max) == Int64.max)
        #expect(SaturatingTime.adding(Int64.min, to: -1) == Int64.min)
        #expect(SaturatingTime.difference(Int64.min, 1) == Int64.min)
        #expect(CloudTime.format(millis: Int64.min) == "0000-01-01T00:00:00.000Z")
        #expect(CloudTime.format(millis: Int64.max) == "9999-12-31T23:59:59.999Z")
    }

    @Test func durationsHaveAnUpperBoundThatTheErrorNames() {
        #expect(DurationText.parse("365d") == .millis(DurationText.maxMillis))
        #expect(DurationText.parseMillis("1h30m") == 5_400_000)
        #expect(DurationText.parse("366d") == .tooLong)
        #expect(DurationText.parse("99999999999999999999999999999h") == .tooLong)
        #expect(DurationText.parse(String(repeating: "9999999999h", count: 20)) == .tooLong)
        #expect(DurationText.problem("400d")?.contains("365d") == true)
        #expect(DurationText.problem("5 parsecs")?.contains("not a duration") == true)
        #expect(DurationText.problem("0s") != nil)
        #expect(DurationText.problem("1h30m") == nil)
    }
}

/// Point 8 of issue 11: a status event always changes the status.
@Suite struct SubJobStatusTests {
    func snapshot(_ subJobs: [SubJobSnapshot]) -> JobSnapshot {
        JobSnapshot(jobID: "p", status: .running, providerStatus: "RUNNING", subJobs: subJobs)
    }

    @Test func aSubJobOnlyListedHasNoStatusAndItsFirstReportedStatusIsTheOnlyEvent() {
        let listed = snapshot([SubJobSnapshot(jobID: "b", status: .unknown, providerStatus: nil)])
        let first = TransitionDiff.transitions(from: nil, to: listed)
        #expect(first.map(\.kind) == [.jobStatus])

        let reported = snapshot([SubJobSnapshot(jobID: "b", status: .initial, providerStatus: "INIT")])
        let second = TransitionDiff.transitions(from: listed, to: reported)
        let events = PollEvaluation.events(for: second, in: reported)
        #expect(events.map(\.type) == [.subJobStatusChanged])
        #expect(events.first?.previousStatus == .unknown)
        #expect(events.first?.subJob?.status == .initial)
    }

    @Test func aChangeOfTheCloudsWordAloneIsHistoryNotAnEvent() {
        // A row written by an older version: INIT with no provider status.
        let old = snapshot([SubJobSnapshot(jobID: "b", status: .initial, providerStatus: nil)])
        let now = snapshot([SubJobSnapshot(jobID: "b", status: .initial, providerStatus: "INIT")])
        let transitions = TransitionDiff.transitions(from: old, to: now)
        #expect(transitions.count == 1)
        #expect(PollEvaluation.events(for: transitions, in: now).isEmpty)
    }
}
