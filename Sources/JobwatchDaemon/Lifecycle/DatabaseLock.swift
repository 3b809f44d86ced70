import Foundation

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// Why the daemon could not take the database's lock.
package enum DatabaseLockError: Error, Sendable, CustomStringConvertible {
    /// Another daemon holds it; `holder` is what that daemon wrote into the lock file ("pid 123 on host").
    case held(lockPath: String, databasePath: String, holder: String?)
    /// The lock file could not be created or locked.
    case unavailable(lockPath: String, reason: String)

    package var description: String {
        switch self {
        case .held(_, let databasePath, let holder):
            let who = holder.map { "(\($0)) " } ?? ""
            return
                "another jobwatch daemon \(who)already serves \(databasePath); stop it first, or point "
                + "--db at another database"
        case .unavailable(let lockPath, let reason):
            return
                "cannot lock \(lockPath): \(reason); check the permissions of the database's directory, or "
                + "choose another path with --db"
        }
    }
}

/// One daemon per database: an exclusive `flock` on `DATABASE.lock` beside the database, held for the
/// life of the process. The kernel releases it when the process dies, `kill -9` included, so a stale file
/// never blocks a restart. The lock file records the holder's pid and host for the second daemon's error
/// line. The CLI never takes it: only daemons exclude each other.
package final class DatabaseLock: Sendable {
    package let path: String
    private let descriptor: Int32

    package static func lockPath(forDatabase databasePath: String) -> String {
        databasePath + ".lock"
    }

    /// Takes the lock or throws `DatabaseLockError.held` at once (it never waits).
    package init(databasePath: String, hostname: String = ProcessInfo.processInfo.hostName) throws {
        let path = Self.lockPath(forDatabase: databasePath)
        self.path = path
        let directory = (path as NSString).deletingLastPathComponent
        if !directory.isEmpty, !FileManager.default.fileExists(atPath: directory) {
            do {
                try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
            } catch {
                throw DatabaseLockError.unavailable(lockPath: path, reason: "cannot create its directory")
            }
        }
        let fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0o660)
        guard fd >= 0 else {
            throw DatabaseLockError.unavailable(lockPath: path, reason: String(cString: strerror(errno)))
        }
        guard flock(fd, LOCK_EX | LOCK_NB) == 0 else {
            let code = errno
            let holder = Self.readHolder(fd)
            close(fd)
            if code == EWOULDBLOCK || code == EAGAIN {
                throw DatabaseLockError.held(lockPath: path, databasePath: databasePath, holder: holder)
            }
            throw DatabaseLockError.unavailable(lockPath: path, reason: String(cString: strerror(code)))
        }
        descriptor = fd
        let text = "pid \(getpid()) on \(hostname)\n"
        _ = ftruncate(fd, 0)
        _ = text.withCString { pwrite(fd, $0, strlen($0), 0) }
    }

    deinit {
        close(descriptor)
    }

    /// The first line of the lock file, at most 200 bytes; nil when empty or unreadable.
    private static func readHolder(_ fd: Int32) -> String? {
        var buffer = [UInt8](repeating: 0, count: 200)
        let count = pread(fd, &buffer, buffer.count, 0)
        guard count > 0 else { return nil }
        let text = String(decoding: buffer[0..<count], as: UTF8.self)
        let line = text.split(whereSeparator: \.isNewline).first.map(String.init) ?? ""
        let clean = String(line.filter { !$0.isASCII || ($0.asciiValue.map { $0 >= 0x20 && $0 < 0x7F } ?? false) })
        return clean.isEmpty ? nil : clean
    }
}
