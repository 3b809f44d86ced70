import Foundation
import JobwatchCore

/// API-call efficiency in simulated time: every job of a realistic mix is polled by jobwatch's real
/// schedule code (`PollEvaluation.evaluate`, which calls `PollSchedule.nextPollDelay`), fed with IMS-like
/// snapshots, and by fixed-interval pollers.
enum Efficiency {
    struct Outcome {
        var name: String
        var pollsPerJob: [Double]
        var detectionSeconds: [Double]
    }

    /// Job durations log-uniform on [10 s, 2 h]; the job is registered (and first polled) when it begins;
    /// `process_percent` grows linearly and is cut to two decimals (0.99 at most) until the job ends.
    static func run(jobs: Int, seed: UInt64) -> [Outcome] {
        var durations = SeededRandom(seed: seed)
        var jitter = SeededRandom(seed: seed ^ 0x5EED)
        let policy = PollPolicy()  // the defaults: 5 s initial, 60 s max, ×1.5, ±20 %
        let settings = PollSettings(policy: policy, notFoundAfter: 5)
        var jobwatch = Outcome(
            name: "jobwatch (5 s → 60 s, ×1.5, ±20 %, completion estimate)", pollsPerJob: [], detectionSeconds: [])
        var fixed10 = Outcome(name: "fixed 10 s (Terraform)", pollsPerJob: [], detectionSeconds: [])
        var fixed15 = Outcome(name: "fixed 15 s (AWS CLI waiters)", pollsPerJob: [], detectionSeconds: [])
        let begin: Int64 = 1_767_225_600_000  // 2026-01-01T00:00:00Z
        for index in 0..<jobs {
            let u = Double.random(in: 0..<1, using: &durations)
            let duration = Int64((exp(log(10.0) + u * (log(7200.0) - log(10.0))) * 1000).rounded())
            let end = begin + duration
            let (polls, detected) = jobwatchPolls(
                index: index, begin: begin, end: end, settings: settings, random: &jitter)
            jobwatch.pollsPerJob.append(Double(polls))
            jobwatch.detectionSeconds.append(Double(detected - end) / 1000)
            for (interval, outcome) in [(Int64(10_000), 0), (Int64(15_000), 1)] {
                // Polls at begin, begin + P, …, until the first at or after the end.
                let k = (duration + interval - 1) / interval
                let polls = Double(k + 1), delay = Double(k * interval - duration) / 1000
                if outcome == 0 {
                    fixed10.pollsPerJob.append(polls)
                    fixed10.detectionSeconds.append(delay)
                } else {
                    fixed15.pollsPerJob.append(polls)
                    fixed15.detectionSeconds.append(delay)
                }
            }
        }
        return [jobwatch, fixed10, fixed15]
    }

    /// One job through the real evaluation: returns the number of polls and when SUCCESS was seen.
    static func jobwatchPolls<R: RandomNumberGenerator>(
        index: Int, begin: Int64, end: Int64, settings: PollSettings, random: inout R
    ) -> (Int, Int64) {
        let jobID = "ef" + String(index, radix: 16)
        var record = JobRecord(
            jobID: jobID, api: .ims, account: "default", region: "bench-1", projectID: nil, registeredAtMillis: begin,
            nextPollAtMillis: begin, deadlineAtMillis: begin + 72 * 3_600_000)
        var scheduling = SchedulingState()
        var now = begin
        for _ in 0..<100_000 {
            let snapshot = snapshotAt(now, jobID: jobID, begin: begin, end: end)
            let update = PollEvaluation.evaluate(
                record: record, scheduling: scheduling, result: .snapshot(snapshot, rawBody: ""), nowMillis: now,
                settings: settings, random: &random)
            record = update.record
            scheduling = update.scheduling
            if snapshot.status.isTerminal { return (record.polls, now) }
            guard let next = record.nextPollAtMillis else { break }
            now = next
        }
        return (record.polls, now)
    }

    /// What IMS answers at `now` for a job running from `begin` to `end`.
    static func snapshotAt(_ now: Int64, jobID: String, begin: Int64, end: Int64) -> JobSnapshot {
        let done = now >= end
        let fraction = Double(now - begin) / Double(end - begin)
        return JobSnapshot(
            jobID: jobID, jobType: "imsCreateImageByInstance", status: done ? .success : .running,
            providerStatus: done ? "SUCCESS" : "RUNNING",
            progress: done ? 1 : min(0.99, (fraction * 100).rounded(.down) / 100),
            beginTime: CloudTime.format(millis: begin), endTime: done ? CloudTime.format(millis: end) : nil)
    }
}
