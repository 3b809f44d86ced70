import JobwatchCore
import Testing

/// `polling.stall_after`: one `jobwatch.job.stalled` per stall, again only after a change and a new stall.
@Suite struct StallTests {
    let stallAfter: Int64 = 10_000
    var settings: PollSettings { PollSettings(policy: PollPolicy(), notFoundAfter: 3, stallAfterMillis: stallAfter) }
    let base = JobRecord(
        jobID: "j", api: .ims, account: "default", region: "r", projectID: nil, registeredAtMillis: 0,
        deadlineAtMillis: 100_000_000)

    /// Polls `record` with `snapshot` at `now`; returns the next record and the event types created.
    func poll(
        _ record: JobRecord, _ snapshot: JobSnapshot, at now: Int64, settings: PollSettings? = nil
    ) -> (
        JobRecord, [EventType]
    ) {
        var random = SeededRandom(seed: UInt64(now))
        let update = PollEvaluation.evaluate(
            record: record, scheduling: SchedulingState(), result: .snapshot(snapshot, rawBody: "{}"), nowMillis: now,
            settings: settings ?? self.settings, random: &random)
        return (update.record, update.events.map(\.type))
    }

    func running(_ progress: Double) -> JobSnapshot {
        JobSnapshot(jobID: "j", status: .running, providerStatus: "RUNNING", progress: progress)
    }

    @Test func aJobThatStopsChangingIsAnnouncedOnceAndAgainOnlyAfterAChange() {
        var (record, types) = poll(base, running(0.1), at: 1_000)
        #expect(types == [.statusChanged] && record.lastChangeAtMillis == 1_000)
        (record, types) = poll(record, running(0.1), at: 10_999)
        #expect(types.isEmpty && record.stalledAtMillis == nil, "not yet stall_after since the change")
        (record, types) = poll(record, running(0.1), at: 11_000)
        #expect(types == [.stalled] && record.stalledAtMillis == 11_000)
        (record, types) = poll(record, running(0.1), at: 50_000)
        #expect(types.isEmpty, "once per stall")
        (record, types) = poll(record, running(0.2), at: 51_000)
        #expect(types == [.progress] && record.stalledAtMillis == nil, "a change ends the stall")
        (record, types) = poll(record, running(0.2), at: 55_000)
        #expect(types.isEmpty)
        (record, types) = poll(record, running(0.2), at: 61_000)
        #expect(types == [.stalled], "a new stall is announced again")
    }

    @Test func aSubJobOrTaskChangeCountsAsAChange() {
        var (record, _) = poll(base, running(0.5), at: 1_000)
        var snapshot = running(0.5)
        snapshot.currentTask = "ImportImageTask"
        var types: [EventType]
        (record, types) = poll(record, snapshot, at: 10_500)
        #expect(types == [.progress] && record.lastChangeAtMillis == 10_500)
        snapshot.subJobs = [SubJobSnapshot(jobID: "s1", status: .running, providerStatus: "RUNNING")]
        (record, types) = poll(record, snapshot, at: 20_000)
        #expect(types == [.subJobStatusChanged] && record.lastChangeAtMillis == 20_000)
        (record, types) = poll(record, snapshot, at: 29_999)
        #expect(types.isEmpty)
    }

    @Test func zeroTurnsItOffAndTerminalJobsNeverStall() {
        let off = PollSettings(policy: PollPolicy(), notFoundAfter: 3, stallAfterMillis: 0)
        var (record, types) = poll(base, running(0.1), at: 1_000, settings: off)
        (record, types) = poll(record, running(0.1), at: 1_000_000_000, settings: off)
        #expect(types.isEmpty && record.stalledAtMillis == nil)
        let done = JobSnapshot(jobID: "j", status: .success, providerStatus: "SUCCESS", progress: 1)
        (record, _) = poll(base, done, at: 1_000)
        #expect(!StallCheck.isNewStall(record, nowMillis: 1_000_000, stallAfterMillis: stallAfter))
    }

    @Test func theMarkNamesHowLongNothingChanged() {
        var record = base
        record.lastChangeAtMillis = 0
        #expect(StallCheck.mark(record, nowMillis: 7_200_000) == nil)
        record.stalledAtMillis = 6_000_000
        #expect(StallCheck.mark(record, nowMillis: 7_200_000) == "stalled: no change for 2h00m")
    }
}
