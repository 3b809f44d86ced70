import Foundation
import JobwatchConfig
import JobwatchCore
import JobwatchPostgres
import JobwatchStore
import PostgresTestCluster
import Synchronization
import Testing

/// A fresh database on the test cluster, and a way to open stores on it (one per simulated daemon).
struct PostgresDatabase {
    let url: PostgresURL
    let password: String
    let name: String
    let cluster: PostgresTestCluster

    init() async throws {
        let made: (url: String, user: String, password: String, database: String)
        (cluster, made) = try await PostgresTestCluster.sharedWithDatabase()
        url = try PostgresURL.parse(made.url).get()
        password = made.password
        name = made.database
    }

    func open(leaseMillis: Int64 = 15_000, hostname: String = "test-host") async throws -> PostgresJobStore {
        try await PostgresJobStore.open(url: url, password: password, hostname: hostname, leaseMillis: leaseMillis)
    }
}

@Suite(.serialized) struct PostgresJobStoreTests {
    let sinks = [SinkSubscription(name: "stdout", filter: .terminal), SinkSubscription(name: "ops", filter: .all)]

    func registration(
        _ id: String = "job-1", api: JobAPI = .ims, labels: [String: String] = ["team": "a"]
    )
        -> Registration
    {
        Registration(
            jobID: id, api: api, account: "default", region: "cn-north-4", projectID: nil, labels: labels,
            sinks: nil, deadlineAtMillis: 1_000_000)
    }

    func snapshot(_ status: JobStatus, progress: Double? = nil, subs: [SubJobSnapshot] = []) -> JobSnapshot {
        JobSnapshot(
            jobID: "job-1", jobType: "imsCreateImageByInstance", status: status, providerStatus: status.rawValue,
            progress: progress, subJobs: subs)
    }

    /// Claims the job (as the scheduler does) and applies a poll result to it.
    func poll(
        _ store: PostgresJobStore, _ rowID: Int64, _ result: PollResult, at now: Int64
    ) async throws -> (job: StoredJob, events: [StoredEvent])? {
        _ = try await store.dueJobs(nowMillis: .max, limit: 1000, excluding: [])
        return try await store.applyPoll(rowID: rowID, sinks: sinks, nowMillis: now) { current in
            var random = SeededRandom(seed: 1)
            return PollEvaluation.evaluate(
                record: current.record, scheduling: current.scheduling, result: result, nowMillis: now,
                settings: PollSettings(policy: PollPolicy(), notFoundAfter: 5), random: &random)
        }
    }

    @Test func migratesOnceWhenSeveralProcessesStartTogetherAndReopens() async throws {
        let database = try await PostgresDatabase()
        async let a = database.open()
        async let b = database.open()
        let (first, second) = try await (a, b)
        #expect(try await first.appliedMigrations() == [1])
        _ = try await first.register(registration(), sinks: sinks, nowMillis: 1000)
        await first.close()
        await second.close()
        let reopened = try await database.open()
        #expect(try await reopened.jobs(withJobID: "job-1", api: nil).count == 1)
        #expect(try await reopened.lastEventSequence() == 1)
        await reopened.close()
    }

    @Test func registrationIsIdempotentAndListFilters() async throws {
        let store = try await PostgresDatabase().open()
        defer { Task { await store.close() } }
        let first = try await store.register(registration(), sinks: sinks, nowMillis: 1000)
        let second = try await store.register(registration(), sinks: sinks, nowMillis: 2000)
        #expect(first.created && !second.created)
        #expect(second.job.record.registeredAtMillis == 1000 && second.job.record.labels == ["team": "a"])
        #expect(try await store.events(since: 0, limit: 10).map(\.type) == [.registered])
        #expect(try await store.deliveries(state: .pending).map(\.sink) == ["ops"])
        #expect(try await store.register(registration(api: .imsProject), sinks: sinks, nowMillis: 3000).created)
        _ = try await store.register(registration("other", labels: ["team": "b"]), sinks: sinks, nowMillis: 4000)
        #expect(try await store.jobs(withJobID: "job-1", api: nil).count == 2)
        #expect(try await store.jobs(withJobID: "job-1", api: .imsProject).count == 1)
        #expect(try await store.list(tracking: .all, api: nil, labels: ["team": "b"]).map(\.record.jobID) == ["other"])
        #expect(try await store.list(tracking: .active, api: .ims, labels: [:]).count == 2)
        #expect(try await store.list(tracking: .done, api: nil, labels: [:]).isEmpty)
        let counts = try await store.counts()
        #expect(counts.activeJobs == 3 && counts.pendingDeliveries == 3 && counts.deadDeliveries == 0)
    }

    @Test func onePollWritesTheJobItsTransitionsEventsAndDeliveriesTogether() async throws {
        let store = try await PostgresDatabase().open()
        defer { Task { await store.close() } }
        let rowID = try await store.register(registration(), sinks: sinks, nowMillis: 1000).job.rowID
        _ = try await poll(
            store, rowID, .snapshot(snapshot(.running, progress: 0.2), rawBody: "{\"status\":\"RUNNING\"}"), at: 2000)
        let sub = SubJobSnapshot(jobID: "s1", status: .success, providerStatus: "SUCCESS")
        let done = try #require(
            try await poll(
                store, rowID, .snapshot(snapshot(.success, progress: 1, subs: [sub]), rawBody: "{}"), at: 3000))
        #expect(done.job.record.tracking == .done)
        #expect(done.events.map(\.type) == [.subJobStatusChanged, .succeeded])
        let history = try await store.history(rowID: rowID)
        #expect(
            history.map { "\($0.subJobID ?? "job"):\($0.from?.rawValue ?? "-")>\($0.to.rawValue)" } == [
                "job:->RUNNING", "s1:->SUCCESS", "job:RUNNING>SUCCESS",
            ])
        let stored = try #require(try await store.job(rowID: rowID))
        #expect(stored.record.subJobs.map(\.jobID) == ["s1"] && stored.record.polls == 2)
        #expect(stored.record.progress == 1 && stored.record.status == .success)
        let pending = try await store.deliveries(state: .pending)
        #expect(pending.filter { $0.eventType == .succeeded }.map(\.sink).sorted() == ["ops", "stdout"])
        #expect(pending.filter { $0.eventType == .subJobStatusChanged }.map(\.sink) == ["ops"])
        let terminal = try #require(done.events.last)
        let body = try #require(try JSONSerialization.jsonObject(with: Data(terminal.body.utf8)) as? [String: Any])
        #expect(body["sequence"] as? String == String(terminal.sequence))
        #expect(body["type"] as? String == "jobwatch.job.succeeded" && body["subject"] as? String == "job-1")
        // No further poll, no second terminal event.
        #expect(try await poll(store, rowID, .snapshot(snapshot(.fail), rawBody: "{}"), at: 4000) == nil)
        #expect(try await store.events(since: 0, limit: 10).filter { $0.type.isTerminal }.count == 1)
        #expect(try await store.dueJobs(nowMillis: .max, limit: 10, excluding: []).isEmpty)
    }

    @Test func aLeasedJobIsNobodyElsesUntilTheLeaseLapsesAndThenTheOldHolderCannotWrite() async throws {
        let database = try await PostgresDatabase()
        // Long leases (a's first renewal would come after 20 s): the test plays a's stall by hand.
        let a = try await database.open(leaseMillis: 60_000, hostname: "a")
        let b = try await database.open(leaseMillis: 60_000, hostname: "b")
        defer {
            Task {
                await a.close()
                await b.close()
            }
        }
        let rowID = try await a.register(registration(), sinks: sinks, nowMillis: 1000).job.rowID
        let other = try await a.register(registration("job-2"), sinks: sinks, nowMillis: 5000).job.rowID
        #expect(try await a.dueJobs(nowMillis: 2000, limit: 10, excluding: []).map(\.rowID) == [rowID])
        // b sees the job as held (not due) and plans to look when a's lease runs out.
        #expect(try await b.dueJobs(nowMillis: 2000, limit: 10, excluding: []).isEmpty)
        #expect(try await b.earliestPoll(excluding: []) == 5000)  // job-2's planned poll, not job-1's (held)
        #expect(try await b.dueJobs(nowMillis: 6000, limit: 10, excluding: []).map(\.rowID) == [other])
        // a stalls past its lease (a paused VM: as if its renewals had stopped and the lease run out): b
        // takes the job over and records a result.
        try database.cluster.psql("UPDATE job SET lease_expires_at = 0 WHERE id = \(rowID)", database: database.name)
        let taken = try await b.dueJobs(nowMillis: 3000, limit: 10, excluding: [other])
        #expect(taken.map(\.rowID) == [rowID])
        let evaluate: @Sendable (JobStatus, Int64) -> @Sendable (StoredJob) -> PollUpdate? = { status, now in
            { current in
                var random = SeededRandom(seed: 1)
                return PollEvaluation.evaluate(
                    record: current.record, scheduling: current.scheduling,
                    result: .snapshot(self.snapshot(status), rawBody: "{}"), nowMillis: now,
                    settings: PollSettings(policy: PollPolicy(), notFoundAfter: 5), random: &random)
            }
        }
        let recorded = try await b.applyPoll(
            rowID: rowID, sinks: sinks, nowMillis: 3000, decide: evaluate(.success, 3000))
        #expect(recorded?.job.record.status == .success)
        // a wakes up with an older answer: fenced, nothing written.
        let stale = try await a.applyPoll(rowID: rowID, sinks: sinks, nowMillis: 3100, decide: evaluate(.fail, 3100))
        #expect(stale == nil)
        let stored = try #require(try await a.job(rowID: rowID))
        #expect(stored.record.status == .success && stored.record.polls == 1)
        #expect(try await a.events(since: 0, limit: 10).filter { $0.type.isTerminal }.map(\.type) == [.succeeded])
    }

    @Test func aLiveDaemonKeepsItsLeaseByRenewingIt() async throws {
        let database = try await PostgresDatabase()
        let a = try await database.open(leaseMillis: 1000, hostname: "a")
        let b = try await database.open(leaseMillis: 1000, hostname: "b")
        defer {
            Task {
                await a.close()
                await b.close()
            }
        }
        let rowID = try await a.register(registration(), sinks: sinks, nowMillis: 1000).job.rowID
        #expect(try await a.dueJobs(nowMillis: 2000, limit: 10, excluding: []).map(\.rowID) == [rowID])
        // Three lease periods later the renewals have kept it: b still gets nothing.
        try await Task.sleep(for: .milliseconds(3000))
        #expect(try await b.dueJobs(nowMillis: 2000, limit: 10, excluding: []).isEmpty)
        // A clean close gives it back at once.
        await a.close()
        #expect(try await b.dueJobs(nowMillis: 2000, limit: 10, excluding: []).map(\.rowID) == [rowID])
    }

    @Test func deliveriesAreLeasedRecordedAndRequeued() async throws {
        let database = try await PostgresDatabase()
        let store = try await database.open()
        let other = try await database.open(hostname: "other")
        defer {
            Task {
                await store.close()
                await other.close()
            }
        }
        let rowID = try await store.register(registration(), sinks: sinks, nowMillis: 1000).job.rowID
        let event = try #require(
            try await poll(store, rowID, .snapshot(snapshot(.success), rawBody: "{}"), at: 2000)?.events.first)
        let due = try await store.dueDeliveries(nowMillis: 2000, sinks: ["ops"], limit: 10, excluding: [])
        #expect(due.map(\.event.id).contains(event.id))
        #expect(due.first { $0.event.id == event.id }?.event.body.contains("jobwatch.job.succeeded") == true)
        // Another daemon does not get the same deliveries while they are held.
        #expect(try await other.dueDeliveries(nowMillis: 2000, sinks: ["ops"], limit: 10, excluding: []).isEmpty)
        let key = DeliveryKey(eventSequence: event.sequence, sink: "ops")
        try await store.recordAttempt(
            key,
            AttemptRecord(
                atMillis: 2100, statusCode: 503, error: "HTTP 503", durationMillis: 12, newState: .pending,
                nextAttemptAtMillis: 9000))
        let retrying = try await store.deliveries(state: .pending).first { $0.eventID == event.id && $0.sink == "ops" }
        #expect(retrying?.attempts == 1 && retrying?.lastStatus == 503 && retrying?.nextAttemptAtMillis == 9000)
        // Not due before its retry time, for anyone.
        #expect(try await other.dueDeliveries(nowMillis: 8999, sinks: ["ops"], limit: 10, excluding: []).isEmpty)
        _ = try await other.dueDeliveries(nowMillis: 9000, sinks: ["ops"], limit: 10, excluding: [])
        try await other.recordAttempt(
            key,
            AttemptRecord(
                atMillis: 9000, statusCode: 410, error: "HTTP 410 Gone", durationMillis: 9, newState: .dead,
                nextAttemptAtMillis: nil))
        let dead = try await store.deliveries(state: .dead)
        #expect(dead.count == 1 && dead[0].attempts == 2 && dead[0].lastStatus == 410)
        #expect(try await store.redeliver(eventIDs: ["no-such-event"], nowMillis: 10_000).unknown == ["no-such-event"])
        #expect(try await store.deliveries(state: .dead).count == 1)
        #expect(try await store.redeliver(eventIDs: nil, nowMillis: 10_000).requeued == 1)
        #expect(try await store.deliveries(state: .dead).isEmpty)
        // stdout: a batch printed by one daemon is marked delivered once.
        let stdout = try await store.dueDeliveries(nowMillis: 10_000, sinks: ["stdout"], limit: 10, excluding: [])
        #expect(stdout.count == 1)
        #expect(try await other.dueDeliveries(nowMillis: 10_000, sinks: ["stdout"], limit: 10, excluding: []).isEmpty)
        try await store.recordDelivered(
            stdout.map { DeliveryKey(eventSequence: $0.event.sequence, sink: $0.sink) }, atMillis: 10_001)
        #expect(try await store.deliveries(state: .delivered).map(\.sink) == ["stdout"])
    }

    @Test func sequencesFollowCommitOrderUnderConcurrentWriters() async throws {
        let database = try await PostgresDatabase()
        let stores = [try await database.open(hostname: "a"), try await database.open(hostname: "b")]
        defer { Task { for store in stores { await store.close() } } }
        try await withThrowingTaskGroup(of: Void.self) { group in
            for index in 0..<40 {
                let store = stores[index % 2]
                group.addTask {
                    _ = try await store.register(self.registration("job-\(index)"), sinks: self.sinks, nowMillis: 1000)
                }
            }
            try await group.waitForAll()
        }
        let events = try await stores[0].events(since: 0, limit: 100)
        #expect(events.map(\.sequence) == Array(1...40))
        #expect(try await stores[1].lastEventSequence() == 40)
    }

    @Test func requestSlotsAreSharedByEveryDaemonOfAnAccount() async throws {
        let database = try await PostgresDatabase()
        let a = try await database.open(hostname: "a")
        let b = try await database.open(hostname: "b")
        defer {
            Task {
                await a.close()
                await b.close()
            }
        }
        // 10 per second: the first slot is free; the next one, whichever daemon asks, is not free for about
        // 100 ms and is not taken by asking; once it is free, one daemon takes it and the other waits again.
        var taken = 0
        var waits: [Int64] = []
        let start = ContinuousClock.now
        while taken < 4, start.duration(to: .now) < .seconds(10) {
            for store in [a, b] where taken < 4 {
                let (got, wait) = try await store.reserveRequestSlotsIfFree(
                    account: "default", count: 1, intervalMillis: 100, burstMillis: 0)
                if got == 1 { taken += 1 } else { waits.append(wait) }
            }
            try await Task.sleep(for: .milliseconds(20))
        }
        let elapsed = start.duration(to: .now)
        #expect(taken == 4)
        // Four slots 100 ms apart on one timeline: at least 300 ms, however the two daemons interleave.
        #expect(elapsed >= .milliseconds(290))
        #expect(!waits.isEmpty)
        #expect(waits.allSatisfy { $0 >= 1 && $0 <= 100 })
        #expect(
            try await a.reserveRequestSlotsIfFree(account: "other", count: 3, intervalMillis: 1000, burstMillis: 2500)
                == (3, 0))
        #expect(
            try await b.reserveRequestSlotsIfFree(account: "other", count: 3, intervalMillis: 1000, burstMillis: 2500).0
                == 0)
    }

    @Test func theCLIsChangesWakeAListeningDaemon() async throws {
        let database = try await PostgresDatabase()
        let daemon = try await database.open(hostname: "daemon")
        let cli = try await database.open(hostname: "cli")
        defer {
            Task {
                await daemon.close()
                await cli.close()
            }
        }
        let wakes = Mutex(0)
        let watch = try #require(daemon.watchForeignChanges { wakes.withLock { $0 += 1 } })
        defer { watch.stop() }
        try await Task.sleep(for: .milliseconds(300))  // LISTEN is in place
        _ = try await cli.register(registration(), sinks: sinks, nowMillis: 1000)
        var woke = false
        for _ in 0..<100 where !woke {
            try await Task.sleep(for: .milliseconds(50))
            woke = wakes.withLock { $0 } > 0
        }
        #expect(woke)
    }

    @Test func aWrongPasswordOrAnUnreachableServerIsOneClearLineWithoutThePassword() async throws {
        let database = try await PostgresDatabase()
        do {
            _ = try await PostgresJobStore.open(url: database.url, password: "wrong-secret-value")
            Issue.record("a wrong password was accepted")
        } catch let error as StoreError {
            #expect(error.message.contains("rejected the login") && !error.message.contains("wrong-secret-value"))
        }
        var unreachable = database.url
        unreachable.port = try PostgresTestCluster.freePort()
        do {
            _ = try await PostgresJobStore.open(url: unreachable, password: "x", timeout: .seconds(3))
            Issue.record("an unreachable server was accepted")
        } catch let error as StoreError {
            #expect(error.message.contains("127.0.0.1:\(unreachable.port)"))
            #expect(!error.message.contains("\n"))
        }
    }
}
