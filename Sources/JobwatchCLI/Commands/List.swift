import ArgumentParser
import JobwatchCore
import JobwatchStore

extension TrackingFilter: ExpressibleByArgument {}

struct List: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "List tracked jobs: one line each, or a JSON array.")

    @Option(help: "active (default), done (tracking ended) or all.") var tracking: TrackingFilter = .active
    @Option(help: "Only jobs of this API.") var api: JobAPI?
    @Option(name: .customLong("label"), help: ArgumentHelp("Only jobs with this label (repeatable).", valueName: "K=V"))
    var labels: [String] = []
    @Flag(help: "Print a JSON array of job records.") var json = false
    @OptionGroup var global: GlobalOptions

    func validate() throws {
        for label in labels where InputRules.parseLabel(label) == nil {
            throw ValidationError("--label '\(InputRules.printable(label))' is not K=V")
        }
    }

    func run() async throws {
        let context = try CLIContext.load(global)
        var filter: [String: String] = [:]
        for label in labels {
            if let (key, value) = InputRules.parseLabel(label) { filter[key] = value }
        }
        let jobs = try await storeCall {
            try await context.openExistingStore()?.list(tracking: tracking, api: api, labels: filter) ?? []
        }
        if json {
            try JSONOutput.print(jobs.map(\.record))
        } else if jobs.isEmpty {
            print("no \(tracking == .all ? "" : tracking.rawValue + " ")jobs")
        } else {
            print(JobText.listTable(jobs.map(\.record)))
        }
    }
}
