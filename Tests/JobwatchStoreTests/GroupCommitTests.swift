import Foundation
import GRDB
import JobwatchCore
import JobwatchTestKit
import Synchronization
import Testing

@testable import JobwatchStore

/// Group commit: polls that only move the schedule share a transaction; a poll that records a change has
/// one of its own; every caller returns only after its poll is committed; one bad row fails only its poll.
@Suite struct GroupCommitTests {
    let settings = PollSettings(policy: PollPolicy(), notFoundAfter: 5)

    @Test func schedulePollsWaitingTogetherShareOneCommitAndEachChangeHasItsOwn() async throws {
        let store = try JobStore(path: temporaryDatabasePath("jobwatch-group-commit"))
        let rows = try await register(30, in: store)
        let commits = CommitLog()
        store.pool.add(transactionObserver: commits)
        let gate = WriterGate(store)
        // 20 failed requests (schedule only), then 10 first answers (RUNNING: a transition and an event).
        var polls: [Task<RecordedPoll?, any Error>] = []
        for row in rows.prefix(20) {
            polls.append(poll(row, .failed(message: "HTTP 503"), store))
            try await waitUntil { store.pollCommits.waiting == polls.count }
        }
        for row in rows.suffix(10) {
            polls.append(poll(row, running(), store))
            try await waitUntil { store.pollCommits.waiting == polls.count }
        }
        gate.open()
        for task in polls { #expect(try await task.value != nil) }

        let log = commits.commits
        #expect(log.count == 11, "\(log.map(\.description))")
        #expect(log.first?.jobRows == Set(rows.prefix(20)))
        #expect(log.first?.tables == ["job"])
        for commit in log.dropFirst() {
            #expect(commit.jobRows.count == 1, "a change shares its transaction: \(commit)")
            #expect(commit.tables.isSuperset(of: ["job", "transition", "event"]), "\(commit)")
        }
        #expect(Set(log.dropFirst().flatMap(\.jobRows)) == Set(rows.suffix(10)))
        for row in rows { #expect(try await store.job(rowID: row)?.record.polls == 1) }
    }

    @Test func aPollTheStoreRefusesFailsAloneAndTheOthersInItsBatchAreRecorded() async throws {
        let store = try JobStore(path: temporaryDatabasePath("jobwatch-group-commit"))
        let rows = try await register(10, in: store)
        let poisoned = rows[4]
        try await store.pool.write { db in
            try db.execute(
                sql: """
                    CREATE TRIGGER poison BEFORE UPDATE OF polls ON job WHEN NEW.id = \(poisoned)
                    BEGIN SELECT RAISE(ABORT, 'poisoned row'); END
                    """)
        }
        let gate = WriterGate(store)
        var polls: [(Int64, Task<RecordedPoll?, any Error>)] = []
        for row in rows {
            polls.append((row, poll(row, .failed(message: "timeout"), store)))
            try await waitUntil { store.pollCommits.waiting == polls.count }
        }
        gate.open()
        for (row, task) in polls {
            if row == poisoned {
                await #expect(throws: StoreError.self) { try await task.value }
                #expect(try await store.job(rowID: row)?.record.polls == 0)
            } else {
                #expect(try await task.value != nil)
                #expect(try await store.job(rowID: row)?.record.polls == 1)
            }
            // The rolled-back shared transaction left nothing remembered that the row does not hold.
            if let remembered = store.writtenJobs.job(row) {
                #expect(remembered == (try await store.job(rowID: row)))
            }
        }
    }

    @Test func aPollCancelledBeforeTheWriterTakesItIsNotWritten() async throws {
        let store = try JobStore(path: temporaryDatabasePath("jobwatch-group-commit"))
        let rows = try await register(2, in: store)
        let gate = WriterGate(store)
        let cancelled = poll(rows[0], .failed(message: "timeout"), store)
        try await waitUntil { store.pollCommits.waiting == 1 }
        cancelled.cancel()
        await #expect(throws: (any Error).self) { try await cancelled.value }
        #expect(store.pollCommits.waiting == 0)
        let other = poll(rows[1], .failed(message: "timeout"), store)
        gate.open()
        #expect(try await other.value != nil)
        #expect(try await store.job(rowID: rows[0])?.record.polls == 0)
        #expect(try await store.job(rowID: rows[1])?.record.polls == 1)
    }

    @Test func aReturnedPollIsVisibleToAnotherConnection() async throws {
        let path = temporaryDatabasePath("jobwatch-group-commit")
        let store = try JobStore(path: path)
        let rows = try await register(50, in: store)
        try await withThrowingTaskGroup(of: Void.self) { group in
            for row in rows {
                group.addTask {
                    _ = try await poll(row, .failed(message: "timeout"), store).value
                    // Another connection (as another process would) sees the poll once applyPoll returned (a
                    // first poll is never written behind: the row is not remembered yet).
                    let reader = try DatabaseQueue(path: path)
                    let polls = try await reader.read { db in
                        try Int.fetchOne(db, sql: "SELECT polls FROM job WHERE id = ?", arguments: [row])
                    }
                    #expect(polls == 1)
                    try reader.close()
                }
            }
            try await group.waitForAll()
        }
    }

    // MARK: - Rows remembered by the writer (WrittenJobs)

    /// What the writer remembers after a schedule-only poll is the row as a reader reads it back, sub-jobs
    /// and entities included, and the next poll of the job is decided over it.
    @Test func aRememberedRowIsTheRowAsStored() async throws {
        let store = try JobStore(path: temporaryDatabasePath("jobwatch-written-jobs"))
        let rows = try await register(3, in: store)
        for row in rows {
            let jobID = try #require(try await store.job(rowID: row)?.record.jobID)
            let answer = PollResult.snapshot(
                JobSnapshot(
                    jobID: jobID, jobType: "imsCreateImageByInstance", status: .running, providerStatus: "RUNNING",
                    progress: 0.5, currentTask: "ImportImageTask", beginTime: "2026-11-22T05:40:00.000Z",
                    entities: .object(["process_percent": .number(0.5), "image_id": .string("img-1")]),
                    subJobs: [SubJobSnapshot(jobID: "sub-1", status: .running, providerStatus: "RUNNING")]),
                rawBody: "{}")
            // The first answer is a change (read from the row, not remembered); then unchanged answers and
            // a failed request, each written over the remembered row; the answer after the failure clears
            // its error (a change again: forgotten), and the next is remembered again.
            _ = try await poll(row, answer, store).value
            #expect(store.writtenJobs.job(row) == nil)
            let steps: [(PollResult, remembered: Bool)] = [
                (answer, true), (answer, true), (.failed(message: "HTTP 503"), true), (answer, false), (answer, true),
            ]
            for (index, (result, remembered)) in steps.enumerated() {
                let recorded = try #require(try await poll(row, result, store).value)
                await store.writePendingPolls()
                let stored = try #require(try await store.job(rowID: row))
                #expect(stored.record.polls == index + 2)
                #expect(stored.record.subJobs.map(\.jobID) == ["sub-1"])
                #expect(recorded.job.record.polls == stored.record.polls)
                if remembered {
                    #expect(store.writtenJobs.job(row) == stored, "poll \(index + 2) of row \(row)")
                } else {
                    #expect(store.writtenJobs.job(row) == nil, "poll \(index + 2) of row \(row)")
                }
            }
        }
        #expect(store.writtenJobs.count == 3)
    }

    /// Another process (the CLI) unregisters a job the writer remembers: the next poll may still be decided
    /// over the remembered row (written behind), but it is not recorded over the unregistered row, and the
    /// poll after it sees the row as stored and records nothing.
    @Test func anotherProcesssCommitIsSeenByTheNextPoll() async throws {
        let store = try JobStore(path: temporaryDatabasePath("jobwatch-written-jobs"))
        let row = try #require(try await register(1, in: store).first)
        _ = try await poll(row, running("job-0"), store).value
        _ = try await poll(row, running("job-0"), store).value
        #expect(store.writtenJobs.job(row) != nil)
        let cli = try JobStore(path: store.path)
        _ = try await cli.unregister(rowID: row, nowMillis: 3000)
        _ = try await poll(row, running("job-0"), store).value
        await store.writePendingPolls()
        let stored = try #require(try await store.job(rowID: row))
        #expect(stored.record.tracking == .stopped)
        #expect(stored.record.nextPollAtMillis == nil)
        #expect(stored.record.polls == 2)
        #expect(try await poll(row, running("job-0"), store).value == nil)
        #expect(try await store.job(rowID: row) == stored)
    }

    /// The same when the CLI registers the job again after unregistering it: the row's new schedule wins.
    @Test func aJobRegisteredAgainByAnotherProcessKeepsItsNewSchedule() async throws {
        let store = try JobStore(path: temporaryDatabasePath("jobwatch-written-jobs"))
        let row = try #require(try await register(1, in: store).first)
        _ = try await poll(row, running("job-0"), store).value
        _ = try await poll(row, running("job-0"), store).value
        let cli = try JobStore(path: store.path)
        _ = try await cli.unregister(rowID: row, nowMillis: 3000)
        let again = Registration(
            jobID: "job-0", api: .ims, account: "default", region: "r", projectID: nil, labels: [:], sinks: nil,
            deadlineAtMillis: 10_000_000, firstPollAtMillis: 7_000_000)
        _ = try await cli.registerJobs([again], sinks: [], nowMillis: 4000)
        _ = try await poll(row, .failed(message: "HTTP 503"), store).value
        await store.writePendingPolls()
        let stored = try #require(try await store.job(rowID: row))
        #expect(stored.record.tracking == .active)
        #expect(stored.record.nextPollAtMillis == 7_000_000)
        #expect(stored.record.lastError == nil)
        #expect(stored.record.polls == 2)
    }

    // MARK: - Polls written behind

    /// An unchanged poll of a remembered job returns without waiting for the writer (held here); another
    /// connection sees it once the writer runs, within `writeBehindDelay`, and a change still waits for its
    /// own commit.
    @Test func anUnchangedPollIsWrittenBehindAndAChangeWaitsForItsCommit() async throws {
        let path = temporaryDatabasePath("jobwatch-write-behind")
        let store = try JobStore(path: path)
        let row = try #require(try await register(1, in: store).first)
        _ = try await poll(row, running("job-0"), store).value
        _ = try await poll(row, running("job-0"), store).value
        let gate = WriterGate(store)
        let unchanged = try #require(try await poll(row, running("job-0"), store).value)
        #expect(unchanged.job.record.polls == 3)
        #expect(unchanged.events.isEmpty)
        let reader = try DatabaseQueue(path: path)
        defer { try? reader.close() }
        let storedPolls = { @Sendable in
            try await reader.read { db in
                try Int.fetchOne(db, sql: "SELECT polls FROM job WHERE id = ?", arguments: [row])
            }
        }
        #expect(try await storedPolls() == 2)
        let change = poll(
            row, .snapshot(JobSnapshot(jobID: "job-0", status: .success, providerStatus: "SUCCESS"), rawBody: "{}"),
            store)
        try await waitUntil { store.pollCommits.waiting == 1 }
        gate.open()
        let changed = try #require(try await change.value)
        #expect(changed.job.record.polls == 4)
        #expect(changed.events.map(\.type).contains(.succeeded))
        // The change was committed after the poll written behind, over it.
        #expect(try await storedPolls() == 4)
    }

    /// With nothing else for the writer to do, a poll written behind reaches the file within about
    /// `writeBehindDelay`; `writePendingPolls` (shutdown) writes what waits at once. The schedule reads
    /// count a row written behind with its own next poll, not the older one in the file.
    @Test func aPollWrittenBehindReachesTheFileByItself() async throws {
        let path = temporaryDatabasePath("jobwatch-write-behind")
        let store = try JobStore(path: path)
        let rows = try await register(2, in: store)
        for row in rows {
            _ = try await poll(row, running("job-\(row - rows[0])"), store).value
            _ = try await poll(row, running("job-\(row - rows[0])"), store).value
        }
        let reader = try DatabaseQueue(path: path)
        defer { try? reader.close() }
        let storedPolls = { @Sendable (row: Int64) in
            try await reader.read { db in
                try Int.fetchOne(db, sql: "SELECT polls FROM job WHERE id = ?", arguments: [row])
            }
        }
        _ = try await poll(rows[0], running("job-0"), store).value
        for _ in 0..<500 where try await storedPolls(rows[0]) != 3 { try await Task.sleep(for: .milliseconds(10)) }
        #expect(try await storedPolls(rows[0]) == 3)
        let gate = WriterGate(store)
        let failed = try #require(try await poll(rows[1], .failed(message: "HTTP 503"), store).value)
        let next = try #require(failed.job.record.nextPollAtMillis)
        #expect(try await storedPolls(rows[1]) == 2)
        let storedNext = try #require(
            try await reader.read { db in
                try Int64.fetchOne(db, sql: "SELECT next_poll_at FROM job WHERE id = ?", arguments: [rows[1]])
            })
        #expect(storedNext != next)
        let due = try await store.dueJobs(nowMillis: storedNext, limit: 10, excluding: [rows[0]]).map(\.rowID)
        #expect(due == (next > storedNext ? [] : [rows[1]]))
        #expect(try await store.earliestPoll(excluding: [rows[0]]) == next)
        gate.open()
        await store.writePendingPolls()
        #expect(try await storedPolls(rows[1]) == 3)
        #expect(!store.writtenJobs.hasWritesBehind)
    }

    /// The same through this process's own other writes (they do not move `data_version`).
    @Test func thisProcesssOtherWritesAreSeenByTheNextPoll() async throws {
        let store = try JobStore(path: temporaryDatabasePath("jobwatch-written-jobs"))
        let rows = try await register(2, in: store)
        for (index, row) in rows.enumerated() {
            _ = try await poll(row, running("job-\(index)"), store).value
            _ = try await poll(row, running("job-\(index)"), store).value
            #expect(store.writtenJobs.job(row) != nil)
        }
        try await store.pauseAccount("default", untilMillis: 9_000_000)
        let paused = try #require(try await poll(rows[0], .failed(message: "HTTP 503"), store).value)
        #expect(paused.job.record.polls == 3)
        _ = try await store.unregister(rowID: rows[1], nowMillis: 3000)
        #expect(try await poll(rows[1], running("job-1"), store).value == nil)
        #expect(try await store.job(rowID: rows[1])?.record.polls == 2)
    }

    // MARK: - Helpers

    private func register(_ count: Int, in store: JobStore) async throws -> [Int64] {
        let registrations = (0..<count).map {
            Registration(
                jobID: "job-\($0)", api: .ims, account: "default", region: "r", projectID: nil, labels: [:],
                sinks: nil, deadlineAtMillis: 10_000_000)
        }
        return try await store.registerJobs(registrations, sinks: [], nowMillis: 1000).map(\.job.rowID)
    }

    private func running(_ jobID: String = "x") -> PollResult {
        .snapshot(JobSnapshot(jobID: jobID, status: .running, providerStatus: "RUNNING"), rawBody: "{}")
    }

    private func poll(_ row: Int64, _ result: PollResult, _ store: JobStore) -> Task<RecordedPoll?, any Error> {
        let settings = self.settings
        return Task {
            try await store.applyPoll(rowID: row, sinks: [], nowMillis: 2000) { current in
                var random = SeededRandom(seed: 7)
                return PollEvaluation.evaluate(
                    record: current.record, scheduling: current.scheduling, result: result, nowMillis: 2000,
                    settings: settings, random: &random)
            }
        }
    }

    /// Waits (suspended, bounded) until `condition` holds.
    private func waitUntil(_ condition: () -> Bool) async throws {
        for _ in 0..<10_000 where !condition() { try await Task.sleep(for: .milliseconds(1)) }
        try #require(condition())
    }
}

/// Holds the store's writer (a blocked block on its queue) until `open()`, so polls pile up behind it.
private final class WriterGate: Sendable {
    private let semaphore = DispatchSemaphore(value: 0)

    init(_ store: JobStore) {
        let semaphore = self.semaphore
        store.pool.asyncWriteWithoutTransaction { _ in semaphore.wait() }
    }

    func open() { semaphore.signal() }
}

/// Every commit on the writer: which tables and which job rows it changed.
private final class CommitLog: TransactionObserver, @unchecked Sendable {
    struct Commit: CustomStringConvertible {
        var tables: Set<String> = []
        var jobRows: Set<Int64> = []
        var description: String { "tables \(tables.sorted()), job rows \(jobRows.sorted())" }
    }

    private let state = Mutex<(current: Commit, done: [Commit])>((Commit(), []))
    var commits: [Commit] { state.withLock { $0.done } }

    func observes(eventsOfKind eventKind: DatabaseEventKind) -> Bool { true }

    func databaseDidChange(with event: DatabaseEvent) {
        let table = event.tableName, row = event.rowID
        state.withLock { state in
            state.current.tables.insert(table)
            if table == "job" { state.current.jobRows.insert(row) }
        }
    }

    func databaseDidCommit(_ db: Database) {
        state.withLock { state in
            if !state.current.tables.isEmpty { state.done.append(state.current) }
            state.current = Commit()
        }
    }

    func databaseDidRollback(_ db: Database) {
        state.withLock { $0.current = Commit() }
    }
}
