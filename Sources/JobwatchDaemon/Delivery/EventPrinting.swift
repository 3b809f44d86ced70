import Foundation
import JobwatchCore

/// Where the stdout sink writes an event. Throws when the line could not be written; the event then
/// stays pending for this sink.
package protocol EventPrinting: Sendable {
    func print(_ event: StoredEvent) throws
}

/// The stdout sink of CONTRACT §3: one CloudEvent per line (JSON Lines) and nothing else on stdout.
package struct JSONLinesPrinter: EventPrinting {
    package init() {}

    package func print(_ event: StoredEvent) throws {
        // One write per line, so lines never interleave.
        try StandardOutput.write(event.body + "\n")
    }
}

/// Why standard output refused a line: `EPIPE` (the reader went away: `jobwatch daemon | head`), `ENOSPC`
/// (a full disk behind a redirect), `EAGAIN` (a non-blocking pipe that is full), or another errno.
package struct StandardOutputError: Error, CustomStringConvertible, Sendable {
    package var errno: Int32
    package var description: String {
        let reason = String(cString: strerror(errno))
        switch errno {
        case EPIPE: return "standard output is closed (EPIPE: \(reason)); its events stay pending"
        case ENOSPC: return "standard output's disk is full (ENOSPC: \(reason)); its events stay pending"
        default: return "cannot write to standard output (errno \(errno): \(reason)); its events stay pending"
        }
    }
}

/// Writes to file descriptor 1 with write(2), reporting failures. (`FileHandle.write` traps on them.)
package enum StandardOutput {
    package static func write(_ text: String, to fileDescriptor: Int32 = STDOUT_FILENO) throws(StandardOutputError) {
        var bytes = Array(text.utf8)
        var offset = 0
        var interruptions = 0
        while offset < bytes.count {
            let written = bytes.withUnsafeMutableBytes { buffer in
                Foundation.write(fileDescriptor, buffer.baseAddress! + offset, buffer.count - offset)
            }
            if written > 0 {
                offset += written
            } else if written < 0 && errno == EINTR && interruptions < 100 {
                interruptions += 1
            } else {
                throw StandardOutputError(errno: written < 0 ? errno : EIO)
            }
        }
        bytes.removeAll()
    }
}
