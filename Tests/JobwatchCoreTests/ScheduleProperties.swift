import JobwatchCore
import PropertyBased
import Testing

/// Text built from the pieces a parser looks for, plus noise: finds the edge cases a uniform random
/// string almost never hits.
func tokenSoup(_ tokens: [String], length: ClosedRange<Int> = 0...10) -> Generator<String, some SendableSequenceType> {
    Gen<String?>.element(of: tokens).array(of: length).map { $0.compactMap { $0 }.joined() }
}

let durationTokens = [
    "0", "1", "5", "9", "99999999999", "00000000000000000000", ".", ".5", "ms", "s", "m", "h", "d", "x", " ", "-",
    "\u{0}", "é", "365d", "1e9", "μs",
]

let numberEdges: [Double] = [
    0, -0.0, 1, -1, 0.5, 1e-300, .leastNonzeroMagnitude, .greatestFiniteMagnitude, -.greatestFiniteMagnitude, .nan,
    .infinity, -.infinity, 1.0000001, 100,
]
let instantEdges: [Int64] = [
    Int64.min, Int64.min + 1, -1, 0, 1, 1_790_000_000_000, Int64.max - 1, Int64.max,
]

@Suite struct ScheduleProperties {
    @Test func anyDurationTextIsAValueWithinTheBoundOrAProblem() async {
        await propertyCheck(count: 2000, input: tokenSoup(durationTokens)) { text in
            switch DurationText.parse(text) {
            case .millis(let value):
                #expect(value >= 0 && value <= DurationText.maxMillis)
                #expect((DurationText.problem(text) == nil) == (value > 0))
            case .malformed, .tooLong:
                #expect(DurationText.problem(text) != nil)
            }
        }
    }

    @Test func anyRetryAfterIsWithinZeroToOneHourOrAbsent() async {
        let tokens = [
            "0", "7", "99999999999999999999", " ", "Sun,", "06", "Nov", "1994", "08:49:37", "GMT", "-", "Sunday,",
            "06-Nov-94", "Fri, 31 Dec 9999 23:59:59 GMT", "99", "Feb", "30", "24:00:00", "\t", "+",
        ]
        await propertyCheck(
            count: 2000, input: tokenSoup(tokens), Gen<Int64?>.element(of: instantEdges).map { $0 ?? 0 }
        ) { header, now in
            if let delay = RetryAfter.delayMillis(header, nowMillis: now) {
                #expect(delay >= 0 && delay <= RetryAfter.maxMillis)
            }
        }
    }

    @Test func everyPlannedPollIsWithinItsBoundsWhateverTheInputs() async {
        let numbers = Gen<Double?>.element(of: numberEdges).map { $0 ?? 0 }
        let instants = Gen<Int64?>.element(of: instantEdges).map { $0 ?? 0 }
        let counts = Gen<Int?>.element(of: [Int.min, -1, 0, 1, 2, 40, 4097, Int.max]).map { $0 ?? 0 }
        await propertyCheck(count: 1500, input: numbers, instants, instants, counts) { progress, begin, now, count in
            var random = SeededRandom(seed: UInt64(bitPattern: begin &+ now))
            let policy = PollPolicy(initialMillis: 5000, maxMillis: 60_000, multiplier: 1.5, jitter: 0.2)
            let delay = PollSchedule.nextPollDelay(
                policy, unchangedPolls: count, progress: progress, beginMillis: begin, nowMillis: now,
                random: &random)
            #expect(delay >= 1 && delay <= 72_000)
            let error = PollSchedule.errorDelay(policy, failures: count, random: &random)
            #expect(error >= 1000 && error <= 240_000)
            let throttled = PollSchedule.throttledDelay(
                policy, retryAfterMillis: begin, failures: count, random: &random)
            #expect(throttled >= 1 && throttled <= max(RetryAfter.maxMillis, 240_000))
        }
    }

    @Test func everyEvaluatedPollLandsWithinTheHourOrTheDeadline() async {
        let instants = Gen<Int64?>.element(of: instantEdges).map { $0 ?? 0 }
        let numbers = Gen<Double?>.element(of: numberEdges).map { $0 ?? 0 }
        await propertyCheck(count: 1500, input: instants, instants, numbers) { now, retryAfter, progress in
            var random = SeededRandom(seed: UInt64(bitPattern: now ^ retryAfter))
            let record = JobRecord(
                jobID: "j", api: .ims, account: "a", region: nil, projectID: nil, registeredAtMillis: 0)
            let settings = PollSettings(policy: PollPolicy(), notFoundAfter: 3)
            for result in [
                PollResult.throttled(retryAfterMillis: retryAfter, message: "t"),
                .snapshot(
                    JobSnapshot(jobID: "j", status: .running, providerStatus: "RUNNING", progress: progress),
                    rawBody: "{}"),
            ] {
                let update = PollEvaluation.evaluate(
                    record: record, scheduling: SchedulingState(), result: result, nowMillis: now,
                    settings: settings, random: &random)
                let next = try #require(update.record.nextPollAtMillis)
                #expect(next >= now)
                #expect(SaturatingTime.difference(next, now) <= RetryAfter.maxMillis)
                #expect(ProgressFraction.validated(update.record.progress) == update.record.progress)
            }
        }
    }
}
