import Dispatch
import Glibc
import Synchronization

/// Where finished log lines go. Standard error in the daemon and the CLI; a closure in tests.
package struct LogOutput: Sendable {
    let write: @Sendable (String) -> Void

    package init(_ write: @escaping @Sendable (String) -> Void) {
        self.write = write
    }

    /// Standard error through `QueuedLines`: a logger never waits for the reader of standard error.
    package static let standardError: LogOutput = {
        let lines = QueuedLines(fileDescriptor: STDERR_FILENO)
        QueuedLines.flushAtExit(lines)
        return LogOutput { lines.append($0) }
    }()

    /// Lines written to an open file descriptor, which stays owned by the caller, by the calling thread.
    /// Each line goes out in one `write(2)` (continued only after a partial write) under a process-wide
    /// lock, so lines from concurrent tasks never interleave. Failures are ignored: logging must never take
    /// the process down.
    package static func fileDescriptor(_ fd: Int32) -> LogOutput {
        LogOutput { line in
            writeLock.withLock { _ in
                _ = writeWhole(line, to: fd)
            }
        }
    }

    private static let writeLock = Mutex(())

    /// Returns false when the descriptor refused the line (closed, full disk).
    static func writeWhole(_ line: String, to fd: Int32) -> Bool {
        var bytes = Array(line.utf8)
        return bytes.withUnsafeMutableBytes { buffer in
            var offset = 0
            while offset < buffer.count {
                let written = Glibc.write(fd, buffer.baseAddress! + offset, buffer.count - offset)
                if written > 0 {
                    offset += written
                } else if written < 0 && errno == EINTR {
                    continue
                } else {
                    return false
                }
            }
            return true
        }
    }
}

/// Log lines handed to a serial queue of their own that writes them in order. A reader of standard error
/// that stops reading (a stalled pipe, a frozen terminal, a journald that is not keeping up) then blocks
/// only that queue: no task on the cooperative pool and no scheduler waits for a log line. What waits is
/// bounded by `limitBytes`; past it new lines are dropped and counted, and once the queue has caught up
/// one line says how many were lost. At exit the queue gets up to a second to write what it holds.
package final class QueuedLines: Sendable {
    private let fileDescriptor: Int32
    private let limitBytes: Int
    private let queue: DispatchQueue
    private let state = Mutex<(pendingBytes: Int, dropped: Int)>((0, 0))

    package init(fileDescriptor: Int32, limitBytes: Int = 4 << 20, label: String = "jobwatch.log-writer") {
        self.fileDescriptor = fileDescriptor
        self.limitBytes = limitBytes
        queue = DispatchQueue(label: label)
    }

    package func append(_ line: String) {
        let size = line.utf8.count
        let accepted = state.withLock { state -> Bool in
            guard state.pendingBytes + size <= limitBytes else {
                state.dropped += 1
                return false
            }
            state.pendingBytes += size
            return true
        }
        guard accepted else { return }
        queue.async { [self] in
            _ = LogOutput.writeWhole(line, to: fileDescriptor)
            let dropped = state.withLock { state -> Int in
                state.pendingBytes -= size
                guard state.pendingBytes == 0, state.dropped > 0 else { return 0 }
                defer { state.dropped = 0 }
                return state.dropped
            }
            if dropped > 0 {
                _ = LogOutput.writeWhole(
                    "jobwatch: \(dropped) log line(s) dropped: standard error was not being read\n", to: fileDescriptor)
            }
        }
    }

    /// Waits until every line handed over so far is written, at most `timeout`; returns whether it was.
    @discardableResult
    package func flush(timeout: DispatchTimeInterval = .seconds(1)) -> Bool {
        let done = DispatchSemaphore(value: 0)
        queue.async { done.signal() }
        return done.wait(timeout: .now() + timeout) == .success
    }

    /// Registers `lines` to be flushed (bounded) when the process exits through `exit(3)`.
    static func flushAtExit(_ lines: QueuedLines) {
        atExit.withLock { $0 = lines }
        atexit { _ = QueuedLines.atExit.withLock { $0 }?.flush() }
    }

    private static let atExit = Mutex<QueuedLines?>(nil)
}
