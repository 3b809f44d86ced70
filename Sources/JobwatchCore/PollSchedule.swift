/// The polling policy of CONTRACT §4 `polling:` in milliseconds.
package struct PollPolicy: Sendable, Hashable {
    package var initialMillis: Int64
    package var maxMillis: Int64
    package var multiplier: Double
    /// ±fraction applied to every planned interval, so that jobs registered together spread out.
    package var jitter: Double

    package init(initialMillis: Int64 = 5000, maxMillis: Int64 = 60_000, multiplier: Double = 1.5, jitter: Double = 0.2)
    {
        self.initialMillis = initialMillis
        self.maxMillis = maxMillis
        self.multiplier = multiplier
        self.jitter = jitter
    }
}

/// When to poll next: the schedule maths, pure, with the clock and the randomness passed in.
///
/// Two policies, kept apart as Google's long-running operations keep them: "not done yet" grows the
/// interval geometrically, while "the request failed" backs off exponentially with full jitter.
package enum PollSchedule {
    /// The base interval after `unchangedPolls` polls in a row that saw nothing new, before jitter.
    package static func baseInterval(_ policy: PollPolicy, unchangedPolls: Int) -> Int64 {
        let initial = min(max(0, policy.initialMillis), longestDelayMillis)
        let cap = max(initial, min(policy.maxMillis, longestDelayMillis))
        let multiplier = policy.multiplier.isFinite ? max(1, policy.multiplier) : 1
        guard multiplier > 1 else { return initial }
        var interval = Double(initial)
        // Bounded whatever the stored counter says: past a few thousand steps any multiplier > 1 is at the cap.
        for _ in 0..<min(max(0, unchangedPolls), 4096) {
            interval *= multiplier
            if interval >= Double(cap) { return cap }
        }
        return SaturatingTime.millis(interval, clampedTo: initial...cap)
    }

    /// The longest wait any schedule plans: a year (the longest deadline). Every delay is within
    /// 1 ms...`longestDelayMillis`, whatever the inputs.
    package static let longestDelayMillis: Int64 = DurationText.maxMillis

    /// Milliseconds until the job should finish, by a linear estimate from its begin time and progress.
    /// nil when there is nothing to estimate from (progress unknown, 0 or 1, a begin time in the future).
    package static func predictedRemaining(progress: Double?, beginMillis: Int64?, nowMillis: Int64) -> Int64? {
        guard let progress = ProgressFraction.validated(progress), let beginMillis, progress > 0, progress < 1
        else { return nil }
        let elapsed = Double(nowMillis) - Double(beginMillis)
        guard elapsed > 0 else { return nil }
        // A tiny fraction after a long time gives a huge (even infinite) estimate: clamp, never convert blind.
        return SaturatingTime.millis(elapsed / progress - elapsed, clampedTo: 0...longestDelayMillis)
    }

    /// The delay before the next poll of a job that answered normally.
    ///
    /// The jittered geometric interval, but never later than the predicted completion: a job that says it
    /// is 90 % done after 9 minutes is looked at again around the 10-minute mark, not a whole `max` later.
    /// Never earlier than the initial interval, whatever the estimate says.
    package static func nextPollDelay<R: RandomNumberGenerator>(
        _ policy: PollPolicy, unchangedPolls: Int, progress: Double?, beginMillis: Int64?, nowMillis: Int64,
        random: inout R
    ) -> Int64 {
        let base = Double(baseInterval(policy, unchangedPolls: unchangedPolls))
        let spread = policy.jitter.isFinite ? min(max(policy.jitter, 0), 0.9) : 0
        var delay = base * (1 + Double.random(in: -spread...spread, using: &random))
        if let remaining = predictedRemaining(progress: progress, beginMillis: beginMillis, nowMillis: nowMillis) {
            delay = min(delay, max(Double(policy.initialMillis), Double(remaining)))
        }
        return SaturatingTime.millis(delay, clampedTo: 1...longestDelayMillis)
    }

    /// The delay after the `failures`-th failed request in a row (1 = the first): full jitter between one
    /// second and min(4 × max interval, 1 s × 2^(failures-1)).
    package static func errorDelay<R: RandomNumberGenerator>(
        _ policy: PollPolicy, failures: Int, random: inout R
    ) -> Int64 {
        let floor: Int64 = 1000
        let cap = min(max(floor, policy.maxMillis.multipliedReportingOverflow(by: 4).partialValue), longestDelayMillis)
        let exponent = min(max(failures, 1), 41) - 1
        let ceiling = min(cap, floor << Int64(min(exponent, 30)))
        return ceiling <= floor ? floor : Int64.random(in: floor...ceiling, using: &random)
    }

    /// After HTTP 429: the server's Retry-After when it sent one (at most `RetryAfter.maxMillis`), else at
    /// least five seconds (Huawei advises retrying after 2–5 s) and more as throttling persists.
    package static func throttledDelay<R: RandomNumberGenerator>(
        _ policy: PollPolicy, retryAfterMillis: Int64?, failures: Int, random: inout R
    ) -> Int64 {
        if let retryAfterMillis, retryAfterMillis > 0 { return min(retryAfterMillis, RetryAfter.maxMillis) }
        return max(5000, errorDelay(policy, failures: failures, random: &random))
    }

    /// How long an account's polling pauses after the gateway rejected its credentials: the gateway locks
    /// an AK for five minutes after five signature failures, so hammering it only prolongs the outage.
    package static let unauthorizedPauseMillis: Int64 = 5 * 60 * 1000
}

/// A small deterministic generator (SplitMix64) for tests, simulations and benchmarks.
package struct SeededRandom: RandomNumberGenerator, Sendable {
    private var state: UInt64
    package init(seed: UInt64) { state = seed }
    package mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
