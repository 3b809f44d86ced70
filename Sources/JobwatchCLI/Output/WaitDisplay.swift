import Foundation
import JobwatchCore
import JobwatchDaemon

/// What `wait` shows: on a terminal one progress bar line per job, redrawn in place (the cursor moves back
/// up over the block); otherwise one line per change of each job.
final class WaitDisplay {
    let interactive: Bool
    /// The last line shown per job (plain mode: per job id), so unchanged jobs print nothing.
    private var lastLines: [String: String] = [:]
    /// Lines of the block drawn on the terminal, to move back over.
    private var drawnRows = 0
    private var lastBlock: [String] = []

    init(interactive: Bool) {
        self.interactive = interactive
    }

    static let barWidth = 24

    /// One job's row: id, bar, percentage, status, current task.
    static func row(_ record: JobRecord, idWidth: Int, width: Int) -> String {
        let filled = Int(((record.progress ?? 0).clamped01 * Double(barWidth)).rounded())
        let bar =
            String(repeating: "█", count: min(barWidth, filled))
            + String(repeating: "░", count: max(0, barWidth - filled))
        let percent = JobText.progress(record.progress).padding(toLength: 4, withPad: " ", startingAt: 0)
        let id = record.jobID.padding(toLength: idWidth, withPad: " ", startingAt: 0)
        let line = "\(id) \(bar) \(percent) \(statusWord(record))\(record.currentTask.map { "  \($0)" } ?? "")"
        return String(line.prefix(max(10, width - 1)))
    }

    static func statusWord(_ record: JobRecord) -> String {
        if record.tracking != .active {
            return record.tracking == .done ? record.status.rawValue : record.tracking.rawValue
        }
        return record.providerStatus == nil ? "waiting for the first poll" : record.status.rawValue
    }

    func show(_ records: [JobRecord]) {
        if interactive {
            let idWidth = min(40, records.map(\.jobID.count).max() ?? 0)
            let width = Self.terminalWidth()
            let block = records.map { Self.row($0, idWidth: idWidth, width: width) }
            guard block != lastBlock else { return }
            var text = drawnRows > 0 ? "\u{1B}[\(drawnRows)F" : ""
            for line in block { text += "\r\u{1B}[2K" + line + "\n" }
            write(text)
            drawnRows = block.count
            lastBlock = block
        } else {
            for record in records {
                let task = record.currentTask.map { "  \($0)" } ?? ""
                let line = "\(Self.statusWord(record)) \(JobText.progress(record.progress))\(task)"
                guard lastLines[record.jobID] != line else { continue }
                lastLines[record.jobID] = line
                write("\(CloudTime.format(millis: nowMillis())) \(record.jobID) \(line)\n")
            }
        }
    }

    /// The verdict line of each job once all have ended (none on timeout).
    func finish(_ records: [JobRecord], waitedMillis: Int64) {
        for record in records {
            let waited = DurationText.human(millis: waitedMillis)
            write("\(record.jobID): \(Self.statusWord(record)) after waiting \(waited)\n")
        }
    }

    private func write(_ text: String) {
        try? StandardOutput.write(text)
    }

    private static func terminalWidth() -> Int {
        var size = winsize()
        return ioctl(STDOUT_FILENO, UInt(TIOCGWINSZ), &size) == 0 && size.ws_col > 10 ? Int(size.ws_col) : 80
    }
}

extension Double {
    /// Within [0, 1]; NaN counts as 0.
    fileprivate var clamped01: Double { isNaN ? 0 : Swift.min(1, Swift.max(0, self)) }
}
