import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// A bound `AF_UNIX` datagram socket standing in for systemd's notification socket.
package final class NotifySocket: @unchecked Sendable {
    /// The value to put in `$NOTIFY_SOCKET`: a file path, or `@name` in the abstract namespace.
    package let path: String
    private let descriptor: Int32
    private let directoryToRemove: String?

    /// A socket file `notify.sock` in `directory`.
    package convenience init(directory: URL) throws {
        let path = directory.appendingPathComponent("notify.sock").path
        try self.init(sunPath: Array(path.utf8), path: path, directoryToRemove: nil)
    }

    /// A socket file in a fresh directory under /tmp (short, so the path fits `sun_path`), removed with it.
    package static func inTemporaryDirectory() throws -> NotifySocket {
        var template = Array("/tmp/jobwatch-notify-XXXXXX".utf8CString)
        guard let directory = mkdtemp(&template) else { throw SetupError("mkdtemp: errno \(errno)") }
        let path = String(cString: directory) + "/notify"
        return try NotifySocket(sunPath: Array(path.utf8), path: path, directoryToRemove: String(cString: directory))
    }

    /// A socket in the abstract namespace (no file), unique to this process and call.
    package static func abstract() throws -> NotifySocket {
        let name = "jobwatch-test-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
        return try NotifySocket(sunPath: [0] + Array(name.utf8), path: "@" + name, directoryToRemove: nil)
    }

    private init(sunPath: [UInt8], path: String, directoryToRemove: String?) throws {
        self.path = path
        self.directoryToRemove = directoryToRemove
        descriptor = socket(AF_UNIX, Int32(SOCK_DGRAM.rawValue), 0)
        guard descriptor >= 0 else { throw SetupError("socket: errno \(errno)") }
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        withUnsafeMutableBytes(of: &address.sun_path) { $0.copyBytes(from: sunPath) }
        let length = socklen_t(
            MemoryLayout.offset(of: \sockaddr_un.sun_path)! + sunPath.count + (sunPath.first == 0 ? 0 : 1))
        let descriptor = self.descriptor
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(descriptor, $0, length) }
        }
        guard bound == 0 else {
            close(descriptor)
            throw SetupError("bind \(path): errno \(errno)")
        }
        // Short receive timeouts, so that every wait below ends at its own deadline.
        var timeout = timeval(tv_sec: 0, tv_usec: 200_000)
        setsockopt(descriptor, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
    }

    deinit {
        close(descriptor)
        if let directoryToRemove {
            unlink(path)
            rmdir(directoryToRemove)
        }
    }

    /// The next datagram as text; nil when none arrives within `timeout`.
    package func receive(timeout: Duration = .seconds(2)) -> String? {
        var result: String?
        _ = receiveBlocking(
            until: { message in
                result = message
                return true
            }, timeout: timeout)
        return result
    }

    /// Datagrams received until `predicate` holds for one of them, or `timeout` passes (on a Dispatch
    /// thread, so the wait blocks no cooperative thread).
    package func receive(until predicate: @escaping @Sendable (String) -> Bool, timeout: Duration) async -> [String] {
        await withCheckedContinuation { continuation in
            DispatchQueue.global().async {
                continuation.resume(returning: self.receiveBlocking(until: predicate, timeout: timeout))
            }
        }
    }

    private func receiveBlocking(until predicate: (String) -> Bool, timeout: Duration) -> [String] {
        var messages: [String] = []
        let deadline = ContinuousClock.now + timeout
        var buffer = [UInt8](repeating: 0, count: 4096)
        while ContinuousClock.now < deadline {
            let count = recv(descriptor, &buffer, buffer.count, 0)
            guard count >= 0 else { continue }
            let message = String(decoding: buffer[0..<count], as: UTF8.self)
            messages.append(message)
            if predicate(message) { break }
        }
        return messages
    }

    package struct SetupError: Error, CustomStringConvertible {
        package var description: String
        init(_ description: String) { self.description = description }
    }
}
