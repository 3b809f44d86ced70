import ArgumentParser
import JobwatchCore
import JobwatchStore

struct Unregister: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Stop tracking a job; its history is kept and tracking becomes `stopped`.")

    @Argument(help: "The job id.") var jobID: String
    @Option(help: "The job API, when the id alone is ambiguous.") var api: JobAPI?
    @OptionGroup var global: GlobalOptions

    func run() async throws {
        let context = try CLIContext.load(global)
        let store = try await context.openExistingStore(writable: true)
        let job = try await context.resolveJob(jobID, api: api, in: store)
        guard let store else { return }  // resolveJob found the job, so the database exists
        let updated =
            try await storeCall { try await store.unregister(rowID: job.rowID, nowMillis: nowMillis()) } ?? job
        if job.record.tracking == .active {
            print("stopped tracking \(jobID) (\(updated.record.api.rawValue)); its history is kept")
        } else {
            print("\(jobID) was not being tracked (tracking: \(job.record.tracking.rawValue)); nothing changed")
        }
    }
}
