import ArgumentParser
import Foundation
import JobwatchConfig
import JobwatchCore
import JobwatchStore

extension JobAPI: ExpressibleByArgument {}

struct Register: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Start tracking a job (idempotent: registering it again changes nothing and prints the record).")

    @Argument(help: "The job id the cloud returned.") var jobID: String
    @Option(help: "Which job API: \(JobAPI.allNames).") var api: JobAPI
    @Option(help: "The configured account (default: default).") var account: String = "default"
    @Option(help: "The region (default: the account's).") var region: String?
    @Option(
        name: .customLong("project-id"),
        help: "The project id (default: the account's; needed for ims-project and workspace).")
    var projectID: String?
    @Option(name: .customLong("label"), help: ArgumentHelp("A label K=V (repeatable).", valueName: "K=V")) var labels:
        [String] = []
    @Option(
        name: .customLong("sink"),
        help: ArgumentHelp("Send this job's events only to these sinks (repeatable).", valueName: "NAME"))
    var sinks: [String] = []
    @Option(
        help: ArgumentHelp(
            "Stop tracking after this long (default: polling.deadline), e.g. 90m, 72h, 3d.", valueName: "DUR"))
    var deadline: String?
    @Flag(help: "Print the record as JSON.") var json = false
    @OptionGroup var global: GlobalOptions

    func validate() throws {
        if let problem = InputRules.jobIDProblem(jobID) {
            throw ValidationError("\(problem); pass the job id the cloud returned")
        }
        for label in labels where InputRules.parseLabel(label) == nil {
            throw ValidationError(
                "--label '\(label)' is not K=V (a key of letters, digits, '_', '-', '.', '/' then '=' and a value)")
        }
        if let deadline, (DurationText.parseMillis(deadline) ?? 0) <= 0 {
            throw ValidationError("--deadline '\(deadline)' is not a duration; write it like 90m, 72h or 3d")
        }
        if let projectID, let problem = InputRules.projectIDProblem(projectID) {
            throw ValidationError("--project-id: \(problem)")
        }
        if let region, region.isEmpty || region.contains(where: { $0.isWhitespace || $0 == "/" }) {
            throw ValidationError("--region '\(region)' is not a region name (e.g. cn-north-4)")
        }
    }

    func run() async throws {
        let context = try CLIContext.load(global)
        let config = context.configuration
        guard let accountConfig = config.account(named: account) else {
            let known = config.accounts.map(\.name).joined(separator: ", ")
            throw CLIFailure(.usage, "unknown --account '\(account)'; configured accounts: \(known)")
        }
        for sink in sinks where !config.sinkSubscriptions.contains(where: { $0.name == sink }) {
            let known = config.sinkSubscriptions.map(\.name).joined(separator: ", ")
            throw CLIFailure(.usage, "unknown --sink '\(sink)'; enabled sinks: \(known.isEmpty ? "none" : known)")
        }
        let project = projectID ?? accountConfig.projectID
        if api.needsProjectID && project == nil {
            throw CLIFailure(
                .usage,
                "--api \(api.rawValue) needs a project id: pass --project-id or set project_id for account '\(account)'"
            )
        }
        var labelMap: [String: String] = [:]
        for label in labels {
            if let (key, value) = InputRules.parseLabel(label) { labelMap[key] = value }
        }
        let now = nowMillis()
        let deadlineMillis = deadline.flatMap(DurationText.parseMillis) ?? config.polling.deadlineMillis
        let registration = Registration(
            jobID: jobID, api: api, account: account, region: region ?? accountConfig.region, projectID: project,
            labels: labelMap, sinks: sinks.isEmpty ? nil : Array(Set(sinks)).sorted(),
            deadlineAtMillis: now + deadlineMillis)
        let store = try await context.openStore()
        let (job, created) = try await storeCall {
            try await store.register(registration, sinks: config.sinkSubscriptions, nowMillis: now)
        }
        if json {
            try JSONOutput.print(job.record)
        } else {
            print(
                created
                    ? "registered (polled within 1 s while the daemon runs, else when it starts):"
                    : "already registered, nothing changed:")
            print(JobText.block(job.record, history: nil))
        }
    }
}
