import ArgumentParser
import Foundation
import HuaweiCloud
import JobwatchConfig
import JobwatchCore
import JobwatchStore

extension JobAPI: ExpressibleByArgument {}

struct Register: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Start tracking a job (idempotent: registering it again changes nothing and prints the record).",
        discussion: """
            With --from-json FILE (or - for standard input), registers every job named in what a create call \
            printed: {"job_id": "…"} (IMS create calls, hcloud), a Workspace job answer ("id", "sub_jobs"), \
            {"job_ids": […]}, or an array of these. The API comes from the JSON where it tells (Workspace), \
            else from --api. Either every job is registered or none is.
            """)

    @Argument(help: "The job id the cloud returned.") var jobID: String?
    @Option(
        name: .customLong("from-json"),
        help: ArgumentHelp("Register the jobs named in this JSON (- reads standard input).", valueName: "FILE"))
    var fromJSON: String?
    @Option(help: "Which job API: \(JobAPI.allNames).") var api: JobAPI?
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
    @Flag(help: "Print the record as JSON (with --from-json: an array of records).") var json = false
    @OptionGroup var global: GlobalOptions

    func validate() throws {
        switch (jobID, fromJSON) {
        case (nil, nil): throw ValidationError("give a JOB_ID or --from-json FILE")
        case (.some, .some): throw ValidationError("give a JOB_ID or --from-json FILE, not both")
        case (.some(let jobID), nil):
            if let problem = InputRules.jobIDProblem(jobID) {
                throw ValidationError("\(problem); pass the job id the cloud returned")
            }
            if api == nil {
                throw ValidationError("--api is required: one of \(JobAPI.allNames)")
            }
        case (nil, .some(let file)):
            if file.isEmpty { throw ValidationError("--from-json needs a file name, or - for standard input") }
        }
        for label in labels where InputRules.parseLabel(label) == nil {
            throw ValidationError(
                "--label '\(InputRules.printable(label))' is not K=V (a key of letters, digits, '_', '-', "
                    + "'.', '/' then '=' and a value of at most 256 characters without control characters)"
            )
        }
        if let deadline, let problem = DurationText.problem(deadline) {
            throw ValidationError("--deadline \(problem)")
        }
        if let projectID, let problem = InputRules.projectIDProblem(projectID) {
            throw ValidationError("--project-id: \(problem)")
        }
        if let region, let problem = CloudEndpoints.regionProblem(region) {
            throw ValidationError("--region \(problem)")
        }
    }

    static func foreignRegionProblem(_ account: AccountConfig, region: String) -> String? {
        switch account.credentials {
        case .token, .iamPassword:
            return CloudEndpoints.foreignRegionProblem(accountName: account.name, tokenAuth: true, region: region)
        case .accessKey, .missing:
            return nil
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
        // The job is polled in its region: a region other than the account's needs an endpoint for it and its
        // own project id (a project belongs to one region), so the account's is not assumed.
        let jobRegion = region ?? accountConfig.region
        let foreign = region != nil && region != accountConfig.region
        if foreign, let problem = Self.foreignRegionProblem(accountConfig, region: region ?? "") {
            throw CLIFailure(.usage, problem)
        }
        var labelMap: [String: String] = [:]
        for label in labels {
            if let (key, value) = InputRules.parseLabel(label) { labelMap[key] = value }
        }
        let now = nowMillis()
        let deadlineMillis = deadline.flatMap(DurationText.parseMillis) ?? config.polling.deadlineMillis
        let references: [JobReference]
        if let fromJSON {
            references = try Self.readReferences(fromJSON)
        } else {
            references = [JobReference(jobID: jobID ?? "")]
        }
        let registrations = try references.map { reference -> Registration in
            let jobAPI = try resolveAPI(reference)
            if foreign {
                do {
                    _ = try CloudEndpoints.baseURL(
                        for: jobAPI.service, accountName: account, accountRegion: accountConfig.region,
                        overrides: accountConfig.endpoints, region: region, environment: context.environment)
                } catch {
                    throw CLIFailure(.usage, "--region \(region ?? ""): \(error)")
                }
            }
            let project = projectID ?? reference.projectID ?? (foreign ? nil : accountConfig.projectID)
            if jobAPI.needsProjectID && project == nil {
                throw CLIFailure(
                    .usage,
                    foreign
                        ? "--api \(jobAPI.rawValue) in region \(region ?? "") needs that region's project id: pass "
                            + "--project-id"
                        : "--api \(jobAPI.rawValue) needs a project id: pass --project-id or set project_id for "
                            + "account '\(account)'"
                )
            }
            return Registration(
                jobID: reference.jobID, api: jobAPI, account: account, region: jobRegion,
                projectID: project, labels: labelMap,
                sinks: sinks.isEmpty ? nil : Array(Set(sinks)).sorted(),
                deadlineAtMillis: SaturatingTime.adding(deadlineMillis, to: now))
        }
        let store = try await context.openStore()
        if fromJSON == nil, let registration = registrations.first {
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
            return
        }
        let results = try await storeCall {
            try await store.registerJobs(registrations, sinks: config.sinkSubscriptions, nowMillis: now)
        }
        if json {
            try JSONOutput.print(results.map(\.job.record))
            return
        }
        let created = results.filter(\.created).count
        print(
            "registered \(created) of \(results.count) job\(results.count == 1 ? "" : "s")"
                + (created < results.count ? " (\(results.count - created) already registered, unchanged)" : "")
                + (created > 0 ? "; polled within 1 s while the daemon runs, else when it starts:" : ":"))
        print(JobText.listTable(results.map(\.job.record)))
    }

    /// The API a referenced job is polled with: what the JSON says, else `--api`; the two must agree.
    private func resolveAPI(_ reference: JobReference) throws -> JobAPI {
        switch (reference.api, api) {
        case (let inferred?, let given?) where inferred != given:
            throw CLIFailure(
                .dataError,
                "the JSON names \(reference.jobID) as a \(inferred.rawValue) job but --api \(given.rawValue) "
                    + "was given; drop --api or fix the input"
            )
        case (let inferred?, _): return inferred
        case (nil, let given?): return given
        case (nil, nil):
            throw CLIFailure(
                .usage,
                "the JSON does not say which API job \(reference.jobID) belongs to; "
                    + "add --api (one of \(JobAPI.allNames))"
            )
        }
    }

    /// Reads FILE (or standard input for `-`) and finds the jobs it names; bad input is exit 65.
    static func readReferences(_ file: String) throws -> [JobReference] {
        let handle = file == "-" ? FileHandle.standardInput : FileHandle(forReadingAtPath: file)
        guard let handle else {
            throw CLIFailure(.dataError, "--from-json: cannot read \(file): check the path and its permissions")
        }
        let data: Data
        do {
            data = try handle.read(upToCount: CreateCallOutput.largestInputBytes + 1) ?? Data()
        } catch {
            throw CLIFailure(.dataError, "--from-json: cannot read \(file): \(error.localizedDescription)")
        }
        if file != "-" { try? handle.close() }
        do {
            return try CreateCallOutput.references(in: data)
        } catch let problem as CreateCallOutput.Problem {
            throw CLIFailure(.dataError, "--from-json \(file == "-" ? "(standard input)" : file): \(problem.message)")
        }
    }
}
