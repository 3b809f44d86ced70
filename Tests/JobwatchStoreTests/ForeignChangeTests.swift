import Foundation
import JobwatchCore
import JobwatchTestKit
import Synchronization
import Testing

@testable import JobwatchStore

/// The daemon watches the database directory to see the CLI's commits at once; its own commits touch the
/// same files and must not wake it again.
@Suite struct ForeignChangeTests {
    func registration(_ id: String) -> Registration {
        Registration(
            jobID: id, api: .ims, account: "default", region: "r", projectID: nil, labels: [:], sinks: nil,
            deadlineAtMillis: 1_000_000)
    }

    @Test func ownCommitsAreNotForeignAnotherConnectionsAre() async throws {
        let daemon = try JobStore(path: temporaryDatabasePath("jobwatch-store"))
        #expect(await !daemon.foreignCommitSinceLastLook())
        _ = try await daemon.register(registration("own"), sinks: [], nowMillis: 1000)
        try await daemon.pauseAccount("default", untilMillis: 5000)
        #expect(await !daemon.foreignCommitSinceLastLook())

        // A second store on the same file is what the CLI process is.
        let cli = try JobStore(path: daemon.path)
        _ = try await cli.register(registration("theirs"), sinks: [], nowMillis: 2000)
        #expect(await daemon.foreignCommitSinceLastLook())
        #expect(await !daemon.foreignCommitSinceLastLook())
        // Reads by anyone change nothing.
        _ = try await cli.list(tracking: .all, api: nil, labels: [:])
        #expect(await !daemon.foreignCommitSinceLastLook())
    }

    @Test func theWatchReportsAnotherWritersCommit() async throws {
        let daemon = try JobStore(path: temporaryDatabasePath("jobwatch-store"))
        let calls = Mutex(0)
        let watch = try #require(daemon.watchForeignChanges { calls.withLock { $0 += 1 } })
        defer { watch.stop() }
        _ = try await JobStore(path: daemon.path).register(registration("cli"), sinks: [], nowMillis: 1000)
        let deadline = ContinuousClock.now + .seconds(10)
        while calls.withLock({ $0 }) == 0 && ContinuousClock.now < deadline {
            try await Task.sleep(for: .milliseconds(20))
        }
        #expect(calls.withLock { $0 } >= 1)
    }

    /// While the daemon writes without pause (every WAL write is an inotify event), the watch still reports
    /// the commit of another writer, and it looks at most once per coalescing window, not once per write.
    @Test func theWatchSeesAnotherWriterWhileTheDaemonWritesNonStop() async throws {
        let daemon = try JobStore(path: temporaryDatabasePath("jobwatch-store"))
        let calls = Mutex(0)
        let watch = try #require(daemon.watchForeignChanges { calls.withLock { $0 += 1 } })
        defer { watch.stop() }
        // Each pause moves the job's next poll: a real change, so a WAL write.
        _ = try await daemon.register(registration("own"), sinks: [], nowMillis: 1000)
        let writing = Task {
            var until: Int64 = 10_000_000
            while !Task.isCancelled {
                until += 1
                try? await daemon.pauseAccount("default", untilMillis: until)
            }
        }
        defer { writing.cancel() }
        try await Task.sleep(for: .milliseconds(300))
        #expect(calls.withLock { $0 } == 0, "the daemon's own commits are not foreign")
        _ = try await JobStore(path: daemon.path).register(registration("cli"), sinks: [], nowMillis: 1000)
        let deadline = ContinuousClock.now + .seconds(10)
        while calls.withLock({ $0 }) == 0 && ContinuousClock.now < deadline {
            try await Task.sleep(for: .milliseconds(20))
        }
        #expect(calls.withLock { $0 } == 1)
    }
}
