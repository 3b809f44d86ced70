import Glibc

/// Tells systemd how the service is doing (sd_notify(3) without libsystemd): one datagram of
/// newline-separated `KEY=VALUE` lines to the `AF_UNIX` socket named by `$NOTIFY_SOCKET`.
///
/// Sending never fails loudly: a service manager that went away must not take the daemon with it.
package struct SystemdNotifier: Sendable {
    /// The bytes of `sun_path`: a file system path, or for an abstract socket a NUL byte and the name.
    private let socketPath: [UInt8]

    /// Nil when the process was not started by a service manager that wants notifications.
    package init?(environment: [String: String]) {
        guard let name = environment["NOTIFY_SOCKET"], let first = name.utf8.first else { return nil }
        var path = Array(name.utf8)
        switch first {
        case UInt8(ascii: "/"): break
        case UInt8(ascii: "@"): path[0] = 0
        default: return nil
        }
        guard path.count < MemoryLayout.size(ofValue: sockaddr_un().sun_path) else { return nil }
        socketPath = path
    }

    /// `READY=1`: start-up is finished (the daemon is polling), or a reload is done.
    package func ready() { send(["READY=1"]) }

    /// `STATUS=`: what `systemctl status` shows; line breaks become spaces.
    package func status(_ text: String) {
        send(["STATUS=" + String(text.map { $0.isNewline ? " " : $0 })])
    }

    /// `STOPPING=1`: shutdown has begun.
    package func stopping() { send(["STOPPING=1"]) }

    /// `RELOADING=1` with the `CLOCK_MONOTONIC` time of the reload (systemd ≥ 253 needs it for
    /// `Type=notify-reload`); follow it with `ready()` when the new configuration is in force.
    package func reloading() {
        var now = timespec()
        clock_gettime(CLOCK_MONOTONIC, &now)
        let micros = UInt64(now.tv_sec) * 1_000_000 + UInt64(now.tv_nsec) / 1000
        send(["RELOADING=1", "MONOTONIC_USEC=\(micros)"])
    }

    /// `WATCHDOG=1`: the service is alive; send every `watchdogInterval(environment:)`.
    package func watchdog() { send(["WATCHDOG=1"]) }

    /// Sends the assignments (`KEY=VALUE`) in one datagram.
    package func send(_ assignments: [String]) {
        let fd = socket(AF_UNIX, Int32(SOCK_DGRAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { return }
        defer { close(fd) }
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        withUnsafeMutableBytes(of: &address.sun_path) { sunPath in
            sunPath.copyBytes(from: socketPath)
        }
        // A path is NUL-terminated (the zeroed byte after it); an abstract name is exactly its bytes.
        let pathLength = socketPath.first == 0 ? socketPath.count : socketPath.count + 1
        let addressLength = socklen_t(MemoryLayout.offset(of: \sockaddr_un.sun_path)! + pathLength)
        var message = Array(assignments.joined(separator: "\n").utf8)
        message.withUnsafeMutableBytes { payload in
            withUnsafePointer(to: &address) { pointer in
                pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { socketAddress in
                    // Never wait: a receiver that stops reading (its queue holds only net.unix.max_dgram_qlen
                    // datagrams, 10 by default) must not stall the daemon, so a full queue drops the message.
                    let flags = Int32(MSG_NOSIGNAL) | Int32(MSG_DONTWAIT)
                    while sendto(fd, payload.baseAddress, payload.count, flags, socketAddress, addressLength) < 0
                        && errno == EINTR
                    {}
                }
            }
        }
    }

    /// How often to call `watchdog()`: half of `$WATCHDOG_USEC`, as sd_watchdog_enabled(3) advises; nil when
    /// the watchdog is off, or when `$WATCHDOG_PID` names another process (the variable was inherited).
    package static func watchdogInterval(environment: [String: String]) -> Duration? {
        guard let text = environment["WATCHDOG_USEC"], let micros = UInt64(text), micros > 0 else { return nil }
        if let pidText = environment["WATCHDOG_PID"] {
            guard let pid = Int32(pidText), pid == getpid() else { return nil }
        }
        return .microseconds(Int64(clamping: micros / 2))
    }
}
