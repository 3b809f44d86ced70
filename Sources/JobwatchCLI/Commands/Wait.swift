import ArgumentParser
import Foundation
import JobwatchCore
import JobwatchDaemon
import JobwatchStore

struct Wait: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract:
            "Block until jobs are terminal; exit 0 SUCCESS, 1 FAIL, 2 ABNORMAL, 3 no verdict (the worst of all), "
            + "124 timeout.",
        discussion: """
            Waits for every JOB_ID named and every tracked job carrying all the --label K=V given (chosen when \
            the wait starts). On a terminal: one progress bar line per job, redrawn in place; otherwise one line \
            per change. Reads the database that the daemon writes; it never polls the cloud itself.
            """)

    @Argument(help: "The job ids.") var jobIDs: [String] = []
    @Option(help: "The job API, when an id alone is ambiguous.") var api: JobAPI?
    @Option(
        name: .customLong("label"),
        help: ArgumentHelp("Also wait for every job with this label (repeatable: all must match).", valueName: "K=V"))
    var labels: [String] = []
    @Option(help: ArgumentHelp("Give up after this long (exit 124), e.g. 30s, 20m.", valueName: "DUR")) var timeout:
        String?
    @OptionGroup var global: GlobalOptions

    func validate() throws {
        if jobIDs.isEmpty && labels.isEmpty {
            throw ValidationError("give at least one JOB_ID or --label K=V")
        }
        for label in labels where InputRules.parseLabel(label) == nil {
            throw ValidationError("--label '\(InputRules.printable(label))' is not K=V")
        }
        if let timeout, let problem = DurationText.problem(timeout) {
            throw ValidationError("--timeout \(problem)")
        }
    }

    func run() async throws {
        let context = try CLIContext.load(global)
        let store = try await context.openExistingStore()
        var rowIDs: [Int64] = []
        for jobID in jobIDs {
            let job = try await context.resolveJob(jobID, api: api, in: store)
            if !rowIDs.contains(job.rowID) { rowIDs.append(job.rowID) }
        }
        if !labels.isEmpty {
            var filter: [String: String] = [:]
            for label in labels {
                if let (key, value) = InputRules.parseLabel(label) { filter[key] = value }
            }
            let matching = try await storeCall { try await store?.list(tracking: .all, api: api, labels: filter) ?? [] }
            if matching.isEmpty {
                throw CLIFailure(
                    .notFound,
                    "no tracked job has \(labels.joined(separator: " and ")); see `jobwatch list --tracking all`")
            }
            for job in matching where !rowIDs.contains(job.rowID) { rowIDs.append(job.rowID) }
        }
        guard let store else { return }  // a job was found, so the database exists
        let start = nowMillis()
        let limit = timeout.flatMap(DurationText.parseMillis).map { SaturatingTime.adding($0, to: start) }
        let display = WaitDisplay(interactive: isatty(STDOUT_FILENO) == 1)
        while true {
            var records: [JobRecord] = []
            for rowID in rowIDs {
                guard let current = try await storeCall({ try await store.job(rowID: rowID) }) else {
                    throw CLIFailure(.notFound, "a job being waited for disappeared from the database")
                }
                records.append(current.record)
            }
            display.show(records)
            if records.allSatisfy({ $0.tracking != .active }) {
                display.finish(records, waitedMillis: nowMillis() - start)
                try Self.verdict(for: records)
                return
            }
            if let limit, nowMillis() >= limit {
                display.finish([], waitedMillis: nowMillis() - start)
                let running = records.filter { $0.tracking == .active }
                let what: String
                if let only = running.first, running.count == 1, records.count == 1 {
                    what = "\(only.jobID): still \(only.status.rawValue) at \(JobText.progress(only.progress))"
                } else {
                    let names =
                        running.prefix(3).map(\.jobID).joined(separator: ", ") + (running.count > 3 ? ", …" : "")
                    what = "\(running.count) of \(records.count) jobs still running (\(names))"
                }
                throw CLIFailure(
                    .timedOut,
                    "gave up after \(timeout ?? "") waiting for \(what); "
                        + "\(records.count == 1 ? "it is" : "they are") still tracked"
                )
            }
            try await Task.sleep(for: .milliseconds(250))
        }
    }

    /// The exit status of one ended job: 0 SUCCESS, 1 FAIL, 2 ABNORMAL, 3 no verdict.
    static func status(of record: JobRecord) -> ExitStatus {
        switch (record.tracking, record.status) {
        case (.done, .success): return .success
        case (.done, .fail): return .jobFailed
        case (.done, _): return .jobAbnormal
        default: return .noVerdict
        }
    }

    /// Succeeds when every job succeeded; otherwise fails with the worst verdict and one line naming it.
    static func verdict(for records: [JobRecord]) throws {
        let worst = records.map(status(of:)).max { $0.rawValue < $1.rawValue } ?? .success
        guard worst != .success else { return }
        let failed = records.filter { status(of: $0) != .success }
        if records.count == 1, let record = failed.first {
            throw CLIFailure(worst, describe(record))
        }
        let details = failed.prefix(3).map(describe).joined(separator: "; ")
        throw CLIFailure(
            worst,
            "\(failed.count) of \(records.count) jobs did not succeed: \(details)\(failed.count > 3 ? "; …" : "")")
    }

    static func describe(_ record: JobRecord) -> String {
        switch status(of: record) {
        case .jobFailed:
            return
                "job \(record.jobID) ended FAIL: \(record.errorCode ?? "no error code"): "
                + "\(record.failReason ?? "no reason given")"
        case .jobAbnormal:
            return "job \(record.jobID) ended ABNORMAL (\(record.providerStatus ?? "-"))"
        default:
            return
                "tracking of job \(record.jobID) ended without a verdict from the cloud: "
                + "\(record.tracking.rawValue)\(record.lastError.map { " (\($0))" } ?? "")"
        }
    }
}
