import Foundation
import JobwatchCore
import Logging
import Synchronization

/// A loopback imitation of the three Huawei Cloud job APIs: `GET /v1/cloudimages/job/{job_id}` (ims),
/// `GET /v1/{project_id}/jobs/{job_id}` (ims-project) and `GET /v1/{project_id}/image-server-jobs/{job_id}`
/// (workspace), with job lifecycles from the API documents' examples, the gateway's AK/SK verification,
/// per-job fault injection, a minimal IAM token endpoint and an admin API under `/_simulator/`.
///
/// Every job's state is derived from the clock (`SimulatorOptions.now`), so a poll costs one dictionary
/// lookup under a lock plus rendering; the whole simulator serves thousands of polls per second.
package final class Simulator: Sendable {
    let options: SimulatorOptions
    let logger: Logger
    private let verifier: SignatureVerifier
    private let tokens: IAMTokenIssuer
    private let jobs = Mutex<JobTable>(JobTable())
    private let requestCounter = Atomic<UInt64>(0)
    private let requestIDPrefix: String

    struct JobTable {
        var byID: [String: SimulatedJob] = [:]
        /// Creation order, for the admin listing.
        var order: [String] = []
    }

    package init(options: SimulatorOptions = SimulatorOptions(), logger: Logger) {
        self.options = options
        self.logger = logger
        verifier = SignatureVerifier(credentials: options.credentials)
        tokens = IAMTokenIssuer(users: options.iamUsers, lifetimeMillis: options.tokenLifetimeMillis)
        var generator = SystemRandomNumberGenerator()
        requestIDPrefix = Self.hex(generator.next())
    }

    /// The job kinds `SimulatedJobSpec.kind` accepts.
    package static var catalog: [String] { JobKind.all.map(\.name) }

    /// Serves on a loopback address; port 0 picks a free port. Stop it with `LoopbackHTTPServer.shutdown()`.
    package func start(host: String = "127.0.0.1", port: Int = 0) async throws -> LoopbackHTTPServer {
        let server = try await LoopbackHTTPServer.start(host: host, port: port) { [self] request in
            await handle(request)
        }
        logger.info("simulator listening", metadata: ["url": "\(server.baseURL)", "jobs": "\(jobCount)"])
        return server
    }

    // MARK: - Jobs

    /// Creates a job; returns its id.
    @discardableResult
    package func add(_ spec: SimulatedJobSpec) throws -> String {
        try add(contentsOf: [spec])[0]
    }

    /// Creates several jobs at once, all or none; returns their ids in order.
    @discardableResult
    package func add(contentsOf specs: [SimulatedJobSpec]) throws -> [String] {
        let now = options.now()
        var generator = SystemRandomNumberGenerator()
        var prepared: [(SimulatedJobSpec, (String) -> SimulatedJob)] = []
        for spec in specs { prepared.append(try Self.prepare(spec, now: now, random: &generator)) }
        return try jobs.withLock { table in
            var seen = Set<String>()
            for (spec, _) in prepared {
                guard let id = spec.jobID else { continue }
                if table.byID[id] != nil || !seen.insert(id).inserted { throw SimulatorError.duplicateJob(id) }
            }
            return prepared.map { spec, make in
                var id = spec.jobID ?? ""
                while id.isEmpty || (spec.jobID == nil && table.byID[id] != nil) {
                    id = Self.newJobID(for: spec.api, random: &generator)
                }
                table.byID[id] = make(id)
                table.order.append(id)
                return id
            }
        }
    }

    /// Ends a job now with a terminal status (`SUCCESS`, `FAIL`/`FAILED`, or `ABNORMAL` for Workspace, where
    /// the running sub-job goes ABNORMAL and the job FAILED). Returns that moment (ms since 1970), or nil when
    /// the job is unknown, already terminal, or the status is not a terminal one for its API.
    @discardableResult
    package func finish(jobID: String, status: String) -> Int64? {
        let now = options.now()
        return jobs.withLock { table -> Int64? in
            guard var job = table.byID[jobID], job.phase(at: now) != .ended,
                let outcome = Self.outcome(forStatus: status, of: job.kind)
            else { return nil }
            job.forcedEnd = (now, outcome)
            table.byID[jobID] = job
            return now
        }
    }

    /// Adds faults after those still pending for a job; false when the job is unknown.
    @discardableResult
    package func inject(_ faults: [SimulatedFault], jobID: String) -> Bool {
        jobs.withLock { table in
            guard table.byID[jobID] != nil else { return false }
            table.byID[jobID]?.pendingFaults.append(contentsOf: faults.filter { $0.count > 0 })
            return true
        }
    }

    /// How many times a job has been polled (every answered or faulted request for it), 0 when unknown.
    package func pollCount(jobID: String) -> Int {
        jobs.withLock { $0.byID[jobID]?.polls ?? 0 }
    }

    /// The status the job's API reports now (`RUNNING`, `WAITING`, …), nil when unknown.
    package func status(jobID: String) -> String? {
        guard let job = job(id: jobID) else { return nil }
        return Self.providerStatus(job, at: options.now())
    }

    func job(id: String) -> SimulatedJob? {
        jobs.withLock { $0.byID[id] }
    }

    /// Loads a scenario file (JSON: `{"jobs": [spec, …]}`) and creates its jobs; returns their ids.
    @discardableResult
    package func loadScenario(file path: String) throws -> [String] {
        let data: Data
        do {
            data = try Data(contentsOf: URL(fileURLWithPath: path))
        } catch {
            throw SimulatorError.unreadableScenario(path: path, reason: "it cannot be read")
        }
        do {
            return try add(contentsOf: SimulatedJobList.decode(Array(data)))
        } catch let error as SimulatorError {
            throw SimulatorError.unreadableScenario(path: path, reason: error.description)
        } catch {
            throw SimulatorError.unreadableScenario(path: path, reason: "it is not valid JSON")
        }
    }

    var jobCount: Int { jobs.withLock { $0.byID.count } }

    /// Every job in creation order, as the admin listing shows them.
    func snapshot() -> [SimulatedJob] {
        jobs.withLock { table in table.order.compactMap { table.byID[$0] } }
    }

    static func providerStatus(_ job: SimulatedJob, at now: Int64) -> String {
        job.kind.family == .workspace ? WorkspaceJobBody.status(job, at: now) : IMSJobBody.status(job, at: now)
    }

    // MARK: - Serving

    package func handle(_ request: ServerRequest) async -> ServerResponse {
        let requestID = nextRequestID()
        var response = await route(request, requestID: requestID)
        response.headers.append(("X-Request-Id", requestID))
        return response
    }

    private func route(_ request: ServerRequest, requestID: String) async -> ServerResponse {
        let segments = request.path.split(separator: "/").map { String($0).removingPercentEncoding ?? String($0) }
        if segments.first == "_simulator" { return admin(request, path: Array(segments.dropFirst())) }
        if segments == ["v3", "auth", "tokens"], request.method == "POST" {
            return tokens.issue(request, now: options.now())
        }
        guard request.method == "GET", let target = Self.jobTarget(segments) else {
            return CloudErrorBody.noSuchAPI(requestID: requestID)
        }
        if let rejection = authenticate(request, requestID: requestID) {
            logger.debug(
                "simulator rejected a request", metadata: ["path": "\(request.path)", "status": "\(rejection.status)"])
            return rejection
        }
        return await poll(target, requestID: requestID)
    }

    private struct JobTarget {
        var api: JobAPI
        var projectID: String?
        var jobID: String
        /// The path prefix the request came under, as a regional endpoint's: `/{region}/v1/…`.
        var region: String?
        var family: JobKind.Family { api == .workspace ? .workspace : .ims }
    }

    private static func jobTarget(_ segments: [String]) -> JobTarget? {
        if segments.count == 5, segments[1] == "v1", var target = jobTarget(Array(segments.dropFirst())) {
            target.region = segments[0]
            return target
        }
        let s = segments
        guard s.count == 4, s[0] == "v1", !s[3].isEmpty else { return nil }
        if s[1] == "cloudimages" && s[2] == "job" { return JobTarget(api: .ims, jobID: s[3]) }
        if s[2] == "jobs" { return JobTarget(api: .imsProject, projectID: s[1], jobID: s[3]) }
        if s[2] == "image-server-jobs" { return JobTarget(api: .workspace, projectID: s[1], jobID: s[3]) }
        return nil
    }

    private func authenticate(_ request: ServerRequest, requestID: String) -> ServerResponse? {
        guard options.requiresAuthentication else { return nil }
        let now = options.now()
        if let token = request.header("X-Auth-Token") {
            switch tokens.verdict(on: token, now: now) {
            case .valid: return nil
            case .expired:
                return CloudErrorBody.gateway(
                    401, code: "APIGW.0301",
                    message: "Incorrect IAM authentication information: The token must be updated.",
                    requestID: requestID)
            case .unknown:
                return CloudErrorBody.gateway(
                    401, code: "APIGW.0301",
                    message: "Incorrect IAM authentication information: decrypt token fail", requestID: requestID)
            }
        }
        return verifier.rejection(of: request, now: now, requestID: requestID)
    }

    private func poll(_ target: JobTarget, requestID: String) async -> ServerResponse {
        let ticket = jobs.withLock { table -> (job: SimulatedJob, fault: SimulatedFault?)? in
            guard var job = table.byID[target.jobID], job.kind.family == target.family,
                job.accepts(projectID: target.projectID), job.accepts(region: target.region)
            else { return nil }
            job.polls += 1
            let fault = job.takeFault()
            table.byID[target.jobID] = job
            return (job, fault)
        }
        guard let ticket else { return CloudErrorBody.jobNotFound(family: target.family, jobID: target.jobID) }
        let (job, fault) = ticket
        guard let fault else { return answer(job, target) }
        switch fault.kind {
        case .throttled:
            if let text = fault.retryAfterText {
                return CloudErrorBody.throttled(retryAfter: text, requestID: requestID)
            }
            return CloudErrorBody.throttled(retryAfterSeconds: fault.retryAfterSeconds ?? 2, requestID: requestID)
        case .setField:
            var changes = fault.fields ?? [:]
            if let path = fault.path, !path.isEmpty { changes[path] = fault.value ?? .null }
            let poisoned = changes.sorted { $0.key < $1.key }.reduce(body(job, target)) { body, change in
                body.setting(change.key.split(separator: ".").map(String.init), to: JSONText(change.value))
            }
            return CloudErrorBody.json(200, poisoned)
        case .subJobFlood:
            return CloudErrorBody.json(
                200,
                PoisonAnswer.flooded(
                    body(job, target), job: job, api: target.api,
                    count: fault.subJobs ?? 1500))
        case .serverError: return CloudErrorBody.internalError(family: target.family)
        case .unavailable: return CloudErrorBody.unavailable(family: target.family)
        case .notFound: return CloudErrorBody.jobNotFound(family: target.family, jobID: target.jobID)
        case .forbidden: return CloudErrorBody.forbidden(family: target.family)
        case .dropConnection: return .dropped
        case .htmlPage: return CloudErrorBody.htmlPage(status: fault.status ?? 200)
        case .truncatedJSON:
            var response = answer(job, target)
            response.status = fault.status ?? 200
            response.body = Array(response.body.prefix(response.body.count / 2))
            return response
        case .slow:
            try? await Task.sleep(for: .milliseconds(fault.delayMillis ?? 1000))
            return answer(job, target)
        }
    }

    private func answer(_ job: SimulatedJob, _ target: JobTarget) -> ServerResponse {
        CloudErrorBody.json(200, body(job, target))
    }

    private func body(_ job: SimulatedJob, _ target: JobTarget) -> JSONText {
        let now = options.now()
        switch target.api {
        case .ims: return IMSJobBody.render(job, progressAPI: true, now: now)
        case .imsProject: return IMSJobBody.render(job, progressAPI: false, now: now)
        case .workspace:
            return WorkspaceJobBody.render(job, projectID: target.projectID ?? job.projectID ?? "", now: now)
        }
    }

    // MARK: - Helpers

    private func nextRequestID() -> String {
        requestIDPrefix + Self.hex(requestCounter.wrappingAdd(1, ordering: .relaxed).newValue)
    }

    static func hex(_ value: UInt64) -> String {
        let text = String(value, radix: 16)
        return String(repeating: "0", count: 16 - text.count) + text
    }
}
