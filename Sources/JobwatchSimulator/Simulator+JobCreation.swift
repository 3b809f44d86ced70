import Foundation
import JobwatchCore

extension Simulator {
    /// Validates a spec and returns it with a maker that builds the job once its id is settled.
    static func prepare<R: RandomNumberGenerator>(
        _ spec: SimulatedJobSpec, now: Int64, random: inout R
    ) throws -> (SimulatedJobSpec, (String) -> SimulatedJob) {
        guard let kind = JobKind.named(spec.kind) else { throw SimulatorError.unknownKind(spec.kind) }
        guard (kind.family == .workspace) == (spec.api == .workspace) else {
            throw SimulatorError.kindDoesNotFitAPI(kind: spec.kind, api: spec.api.rawValue)
        }
        if let id = spec.jobID, let problem = InputRules.jobIDProblem(id) { throw SimulatorError.invalidSpec(problem) }
        if let id = spec.projectID, let problem = InputRules.projectIDProblem(id) {
            throw SimulatorError.invalidSpec(problem)
        }
        guard spec.durationMillis > 0 else { throw SimulatorError.invalidSpec("duration_ms must be positive") }
        let initMillis = spec.initMillis ?? spec.durationMillis / 10
        guard initMillis >= 0, initMillis < spec.durationMillis else {
            throw SimulatorError.invalidSpec("init_ms must be at least 0 and shorter than duration_ms")
        }
        guard spec.faults.allSatisfy({ $0.count > 0 }) else {
            throw SimulatorError.invalidSpec("a fault's count must be at least 1")
        }

        let subJobIDs = kind.subJobs.map { _ in kind.family == .workspace ? workspaceID(&random) : imsID(&random) }
        let resourceIDs = kind.subJobs.map { _ in uuid(&random) }
        let imageID = uuid(&random), internalSubJobID = imsID(&random), memberProjectID = imsID(&random)
        let make = { (id: String) in
            SimulatedJob(
                id: id, api: spec.api, kind: kind, projectID: spec.projectID, region: spec.region, createdAt: now,
                initEndsAt: now + initMillis,
                scheduledEnd: now + spec.durationMillis, imageID: imageID, imageName: "jobwatch-sim-image",
                internalSubJobID: internalSubJobID, memberProjectID: memberProjectID, subJobIDs: subJobIDs,
                subJobResourceIDs: resourceIDs, pendingFaults: spec.faults)
        }
        return (spec, make)
    }

    static func newJobID<R: RandomNumberGenerator>(for api: JobAPI, random: inout R) -> String {
        api == .workspace ? workspaceID(&random) : imsID(&random)
    }

    /// The outcome a terminal status asks for; a failure keeps the kind's own error when it has one.
    static func outcome(forStatus status: String, of kind: JobKind) -> JobOutcome? {
        let own = kind.outcome == .success ? nil : kind.outcome
        switch status.trimmingCharacters(in: .whitespaces).uppercased() {
        case "SUCCESS":
            return .success
        case "FAIL", "FAILED":
            if let own { return own }
            return kind.family == .workspace
                ? .fail(code: "WKS.00370102", reason: "The image job failed.") : .imsImportFailure
        case "ABNORMAL" where kind.family == .workspace:
            if case .abnormal = own { return own }
            return .workspaceImageFailure
        default:
            return nil
        }
    }

    /// 32 lower-case hex digits, like IMS job ids.
    private static func imsID<R: RandomNumberGenerator>(_ random: inout R) -> String {
        hex(random.next()) + hex(random.next())
    }

    /// 18 decimal digits, like Workspace job ids.
    private static func workspaceID<R: RandomNumberGenerator>(_ random: inout R) -> String {
        String(UInt64.random(in: 100_000_000_000_000_000...999_999_999_999_999_999, using: &random))
    }

    private static func uuid<R: RandomNumberGenerator>(_ random: inout R) -> String {
        let h = hex(random.next()) + hex(random.next())
        let c = Array(h)
        return
            "\(String(c[0..<8]))-\(String(c[8..<12]))-4\(String(c[13..<16]))-a\(String(c[17..<20]))-"
            + String(c[20..<32])
    }
}
