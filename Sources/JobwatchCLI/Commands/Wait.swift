import ArgumentParser
import Foundation
import JobwatchCore
import JobwatchStore

struct Wait: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Block until a job is terminal; exit 0 SUCCESS, 1 FAIL, 2 ABNORMAL, 3 no verdict, 124 timeout.",
        discussion: "Reads the database that the daemon writes; it never polls the cloud itself.")

    @Argument(help: "The job id.") var jobID: String
    @Option(help: "The job API, when the id alone is ambiguous.") var api: JobAPI?
    @Option(help: ArgumentHelp("Give up after this long (exit 124), e.g. 30s, 20m.", valueName: "DUR")) var timeout:
        String?
    @OptionGroup var global: GlobalOptions

    func validate() throws {
        if let timeout, (DurationText.parseMillis(timeout) ?? 0) <= 0 {
            throw ValidationError("--timeout '\(timeout)' is not a duration; write it like 30s, 20m or 2h")
        }
    }

    func run() async throws {
        let context = try CLIContext.load(global)
        let store = try await context.openExistingStore()
        let job = try await context.resolveJob(jobID, api: api, in: store)
        guard let store else { return }  // resolveJob found the job, so the database exists
        let start = nowMillis()
        let limit = timeout.flatMap(DurationText.parseMillis).map { start + $0 }
        let display = WaitDisplay(interactive: isatty(STDOUT_FILENO) == 1)
        while true {
            guard let current = try await storeCall({ try await store.job(rowID: job.rowID) }) else {
                throw CLIFailure(.notFound, "job \(jobID) disappeared from the database")
            }
            let record = current.record
            display.show(record)
            if record.tracking != .active {
                display.finish(record, waitedMillis: nowMillis() - start)
                try Self.verdict(for: record)
                return
            }
            if let limit, nowMillis() >= limit {
                display.finish(nil, waitedMillis: nowMillis() - start)
                throw CLIFailure(
                    .timedOut,
                    "gave up after \(timeout ?? "") waiting for \(jobID): still \(record.status.rawValue) at \(JobText.progress(record.progress)); it is still tracked"
                )
            }
            try await Task.sleep(for: .milliseconds(250))
        }
    }

    static func verdict(for record: JobRecord) throws {
        switch (record.tracking, record.status) {
        case (.done, .success):
            return
        case (.done, .fail):
            throw CLIFailure(
                .jobFailed,
                "job \(record.jobID) ended FAIL: \(record.errorCode ?? "no error code"): \(record.failReason ?? "no reason given")"
            )
        case (.done, _):
            throw CLIFailure(.jobAbnormal, "job \(record.jobID) ended ABNORMAL (\(record.providerStatus ?? "-"))")
        default:
            throw CLIFailure(
                .noVerdict,
                "tracking of job \(record.jobID) ended without a verdict from the cloud: \(record.tracking.rawValue)\(record.lastError.map { " (\($0))" } ?? "")"
            )
        }
    }
}

/// A progress bar on a terminal; a line per change otherwise.
final class WaitDisplay {
    let interactive: Bool
    private var lastLine = ""

    init(interactive: Bool) {
        self.interactive = interactive
    }

    func show(_ record: JobRecord) {
        let task = record.currentTask.map { "  \($0)" } ?? ""
        let status = record.providerStatus == nil ? "waiting for the first poll" : record.status.rawValue
        if interactive {
            let width = 24
            let filled = Int(((record.progress ?? 0) * Double(width)).rounded())
            let bar =
                String(repeating: "█", count: min(width, filled))
                + String(repeating: "░", count: max(0, width - filled))
            let line =
                "\(bar) \(JobText.progress(record.progress).padding(toLength: 4, withPad: " ", startingAt: 0)) \(status)\(task)"
            guard line != lastLine else { return }
            write("\r\u{1B}[2K" + String(line.prefix(Self.terminalWidth() - 1)))
            lastLine = line
        } else {
            let line = "\(status) \(JobText.progress(record.progress))\(task)"
            guard line != lastLine else { return }
            write("\(CloudTime.format(millis: Int64(Date().timeIntervalSince1970 * 1000))) \(record.jobID) \(line)\n")
            lastLine = line
        }
    }

    func finish(_ record: JobRecord?, waitedMillis: Int64) {
        if interactive { write("\n") }
        if let record {
            let verdict = record.tracking == .done ? record.status.rawValue : record.tracking.rawValue
            write("\(record.jobID): \(verdict) after waiting \(DurationText.human(millis: waitedMillis))\n")
        }
    }

    private func write(_ text: String) {
        FileHandle.standardOutput.write(Data(text.utf8))
    }

    private static func terminalWidth() -> Int {
        var size = winsize()
        return ioctl(STDOUT_FILENO, UInt(TIOCGWINSZ), &size) == 0 && size.ws_col > 10 ? Int(size.ws_col) : 80
    }
}
