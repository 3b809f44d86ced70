import Glibc
import JobwatchTestKit
import Testing

@testable import JobwatchSystemd

@Suite struct SystemdNotifierTests {
    @Test func deliversToPathSocket() throws {
        let receiver = try NotifySocket.inTemporaryDirectory()
        let notifier = try #require(SystemdNotifier(environment: ["NOTIFY_SOCKET": receiver.path]))
        notifier.send(["READY=1", "STATUS=polling 3 jobs"])
        #expect(receiver.receive() == "READY=1\nSTATUS=polling 3 jobs")
    }

    @Test func deliversToAbstractSocket() throws {
        let receiver = try NotifySocket.abstract()
        let notifier = try #require(SystemdNotifier(environment: ["NOTIFY_SOCKET": receiver.path]))
        notifier.ready()
        #expect(receiver.receive() == "READY=1")
    }

    /// systemd always reads its socket, but a stuck or absent reader must cost the daemon nothing: the
    /// receive queue holds few datagrams, and a blocking send would stall the daemon (seen in a benchmark
    /// that stopped reading after READY=1: SIGTERM then waited forever in STOPPING=1).
    @Test(.timeLimit(.minutes(1))) func aReceiverThatStopsReadingNeverBlocksTheSender() throws {
        let receiver = try NotifySocket.inTemporaryDirectory()
        let notifier = try #require(SystemdNotifier(environment: ["NOTIFY_SOCKET": receiver.path]))
        var started = timespec()
        clock_gettime(CLOCK_MONOTONIC, &started)
        for index in 0..<200 { notifier.status("message \(index)") }
        notifier.stopping()
        var ended = timespec()
        clock_gettime(CLOCK_MONOTONIC, &ended)
        #expect(ended.tv_sec - started.tv_sec < 5, "sending to a full socket must not wait")
        #expect(receiver.receive() == "STATUS=message 0")
        _ = withExtendedLifetime(receiver) {}
    }

    @Test func namedMessages() throws {
        let receiver = try NotifySocket.inTemporaryDirectory()
        let notifier = try #require(SystemdNotifier(environment: ["NOTIFY_SOCKET": receiver.path]))
        notifier.status("12 active\n3 pending deliveries")
        #expect(receiver.receive() == "STATUS=12 active 3 pending deliveries")
        notifier.watchdog()
        #expect(receiver.receive() == "WATCHDOG=1")
        notifier.stopping()
        #expect(receiver.receive() == "STOPPING=1")
    }

    @Test func reloadingCarriesTheMonotonicClock() throws {
        let receiver = try NotifySocket.abstract()
        let notifier = try #require(SystemdNotifier(environment: ["NOTIFY_SOCKET": receiver.path]))
        var before = timespec()
        clock_gettime(CLOCK_MONOTONIC, &before)
        notifier.reloading()
        let lines = try #require(receiver.receive()).split(separator: "\n")
        #expect(lines.count == 2)
        #expect(lines.first == "RELOADING=1")
        let micros = try #require(lines.last.flatMap { UInt64($0.dropFirst("MONOTONIC_USEC=".count)) })
        #expect(lines.last?.hasPrefix("MONOTONIC_USEC=") == true)
        let beforeMicros = UInt64(before.tv_sec) * 1_000_000 + UInt64(before.tv_nsec) / 1000
        #expect(micros >= beforeMicros && micros < beforeMicros + 5_000_000)
    }

    @Test(arguments: [nil, "", "relative/path", "@" + String(repeating: "x", count: 200)])
    func noNotifierWithoutUsableSocket(_ socket: String?) {
        let environment = socket.map { ["NOTIFY_SOCKET": $0] } ?? [:]
        #expect(SystemdNotifier(environment: environment) == nil)
    }

    @Test func sendingToAMissingSocketIsHarmless() throws {
        let notifier = try #require(SystemdNotifier(environment: ["NOTIFY_SOCKET": "/tmp/jobwatch-no-such-dir/notify"]))
        notifier.ready()
        notifier.status("still alive")
    }

    @Test func watchdogIntervalIsHalfOfWatchdogUsec() {
        #expect(SystemdNotifier.watchdogInterval(environment: ["WATCHDOG_USEC": "30000000"]) == .seconds(15))
        #expect(SystemdNotifier.watchdogInterval(environment: ["WATCHDOG_USEC": "1001"]) == .microseconds(500))
    }

    @Test func watchdogIntervalHonoursWatchdogPid() {
        let ours = String(getpid())
        #expect(
            SystemdNotifier.watchdogInterval(environment: ["WATCHDOG_USEC": "2000000", "WATCHDOG_PID": ours])
                == .seconds(1))
        #expect(
            SystemdNotifier.watchdogInterval(environment: [
                "WATCHDOG_USEC": "2000000", "WATCHDOG_PID": String(getpid() + 1),
            ]) == nil)
        #expect(
            SystemdNotifier.watchdogInterval(environment: ["WATCHDOG_USEC": "2000000", "WATCHDOG_PID": "self"]) == nil)
    }

    @Test(arguments: [[:], ["WATCHDOG_USEC": "0"], ["WATCHDOG_USEC": "-5"], ["WATCHDOG_USEC": "10s"]])
    func noWatchdogWhenUnsetOrMalformed(_ environment: [String: String]) {
        #expect(SystemdNotifier.watchdogInterval(environment: environment) == nil)
    }
}
