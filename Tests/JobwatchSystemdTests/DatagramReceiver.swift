import Glibc

/// A bound `AF_UNIX` datagram socket standing in for systemd's notification socket.
final class DatagramReceiver {
    private let fd: Int32
    /// The value to put in `$NOTIFY_SOCKET`.
    let notifySocket: String
    private let pathToRemove: String?

    /// A socket in the file system, in a fresh directory under /tmp.
    static func path() throws -> DatagramReceiver {
        var template = Array("/tmp/jobwatch-notify-XXXXXX".utf8CString)
        guard let directory = mkdtemp(&template) else { throw ReceiverError.setup("mkdtemp") }
        let path = String(cString: directory) + "/notify"
        return try DatagramReceiver(sunPath: Array(path.utf8), notifySocket: path, pathToRemove: path)
    }

    /// A socket in the abstract namespace (no file), unique to this process and call.
    static func abstract() throws -> DatagramReceiver {
        let name = "jobwatch-test-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
        return try DatagramReceiver(sunPath: [0] + Array(name.utf8), notifySocket: "@" + name, pathToRemove: nil)
    }

    private init(sunPath: [UInt8], notifySocket: String, pathToRemove: String?) throws {
        self.notifySocket = notifySocket
        self.pathToRemove = pathToRemove
        fd = socket(AF_UNIX, Int32(SOCK_DGRAM.rawValue), 0)
        guard fd >= 0 else { throw ReceiverError.setup("socket") }
        var timeout = timeval(tv_sec: 2, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        withUnsafeMutableBytes(of: &address.sun_path) { $0.copyBytes(from: sunPath) }
        let length = socklen_t(
            MemoryLayout.offset(of: \sockaddr_un.sun_path)! + sunPath.count + (sunPath.first == 0 ? 0 : 1))
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, length) }
        }
        guard bound == 0 else {
            close(fd)
            throw ReceiverError.setup("bind \(notifySocket): errno \(errno)")
        }
    }

    /// The next datagram as text; nil when none arrives within 2 s.
    func receive() -> String? {
        var buffer = [UInt8](repeating: 0, count: 4096)
        let count = recv(fd, &buffer, buffer.count, 0)
        guard count >= 0 else { return nil }
        return String(decoding: buffer[..<count], as: UTF8.self)
    }

    deinit {
        close(fd)
        if let pathToRemove {
            unlink(pathToRemove)
            rmdir(String(pathToRemove.dropLast("/notify".count)))
        }
    }

    enum ReceiverError: Error {
        case setup(String)
    }
}
