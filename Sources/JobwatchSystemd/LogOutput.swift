import Glibc
import Synchronization

/// Where finished log lines go. Standard error in the daemon and the CLI; a closure in tests.
package struct LogOutput: Sendable {
    let write: @Sendable (String) -> Void

    package init(_ write: @escaping @Sendable (String) -> Void) {
        self.write = write
    }

    package static let standardError = fileDescriptor(STDERR_FILENO)

    /// Lines written to an open file descriptor, which stays owned by the caller. Each line goes out in one
    /// `write(2)` (continued only after a partial write) under a process-wide lock, so lines from concurrent
    /// tasks never interleave. Failures are ignored: logging must never take the process down.
    package static func fileDescriptor(_ fd: Int32) -> LogOutput {
        LogOutput { line in
            var bytes = Array(line.utf8)
            writeLock.withLock { _ in
                bytes.withUnsafeMutableBytes { buffer in
                    var offset = 0
                    while offset < buffer.count {
                        let written = Glibc.write(fd, buffer.baseAddress! + offset, buffer.count - offset)
                        if written > 0 {
                            offset += written
                        } else if written < 0 && errno == EINTR {
                            continue
                        } else {
                            return
                        }
                    }
                }
            }
        }
    }

    private static let writeLock = Mutex(())
}
