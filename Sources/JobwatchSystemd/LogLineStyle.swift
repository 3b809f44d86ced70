import Glibc

/// How a log line is laid out: for journald (which adds its own timestamp and reads the priority from a
/// `<N>` prefix) or as plain text for a terminal or a file.
package enum LogLineStyle: Sendable, Equatable {
    /// `<6>message key=value`, the sd-daemon.h priority prefix journald understands.
    case journald
    /// `2026-11-22T05:41:00.123Z info message key=value`.
    case plain

    /// The style for standard error: journald when `$JOURNAL_STREAM` names the stream standard error is
    /// connected to. systemd sets it for the service, and children inherit it even when their standard error
    /// goes elsewhere (a shell started from a unit, a redirection), so the device and inode are compared as
    /// systemd.exec(5) recommends.
    package static func forStandardError(environment: [String: String]) -> LogLineStyle {
        var status = stat()
        guard fstat(STDERR_FILENO, &status) == 0 else { return .plain }
        return detect(
            journalStream: environment["JOURNAL_STREAM"], device: UInt64(status.st_dev), inode: UInt64(status.st_ino))
    }

    /// `journalStream` is `$JOURNAL_STREAM` (`DEVICE:INODE`, decimal); `device`/`inode` identify the stream
    /// the lines go to.
    static func detect(journalStream: String?, device: UInt64, inode: UInt64) -> LogLineStyle {
        guard let journalStream else { return .plain }
        let parts = journalStream.split(separator: ":", omittingEmptySubsequences: false)
        guard parts.count == 2, let streamDevice = UInt64(parts[0]), let streamInode = UInt64(parts[1]) else {
            return .plain
        }
        return streamDevice == device && streamInode == inode ? .journald : .plain
    }
}
