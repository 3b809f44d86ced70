import ArgumentParser
import JobwatchCore
import JobwatchStore

struct Show: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "A job's current state, sub-jobs and full transition history.")

    @Argument(help: "The job id.") var jobID: String
    @Option(help: "The job API, when the id alone is ambiguous.") var api: JobAPI?
    @Flag(help: "Print the record with its history as JSON.") var json = false
    @OptionGroup var global: GlobalOptions

    func run() async throws {
        let context = try CLIContext.load(global)
        let store = try await context.openExistingStore()
        let job = try await context.resolveJob(jobID, api: api, in: store)
        let history = try await storeCall { try await store?.history(rowID: job.rowID) ?? [] }
        if json {
            try JSONOutput.print(JobRecordWithHistory(record: job.record, history: history))
        } else {
            print(JobText.block(job.record, history: history))
        }
    }
}
