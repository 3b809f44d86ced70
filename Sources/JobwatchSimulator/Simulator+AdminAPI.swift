import Foundation
import JobwatchCore

/// The admin API under `/_simulator/` (a path no cloud API uses; no signature needed):
///
/// - `POST /_simulator/jobs` with one spec, an array, or `{"jobs": [...]}` → 201 `{"job_ids": [...]}`
/// - `GET /_simulator/jobs` → `{"jobs": [{"job_id", "api", "project_id", "kind", "status", "polls",
///   "pending_faults"}]}`
/// - `POST /_simulator/jobs/{id}/finish` with `{"status": "SUCCESS"}` → `{"job_id", "status", "finished_at"}`
/// - `POST /_simulator/jobs/{id}/faults` with `{"faults": [...]}` → `{"job_id", "pending_faults"}`
/// - `GET /_simulator/catalog` → `{"kinds": [...]}`
///
/// Errors answer `{"error": "<what was wrong>"}` with 400, 404 or 409.
extension Simulator {
    func admin(_ request: ServerRequest, path: [String]) -> ServerResponse {
        switch (request.method, path.count, path.first ?? "") {
        case ("GET", 1, "catalog"):
            return CloudErrorBody.json(200, .object([("kinds", .array(Self.catalog.map(JSONText.string)))]))
        case ("GET", 1, "jobs"):
            return listJobs()
        case ("POST", 1, "jobs"):
            return createJobs(request.body)
        case ("POST", 3, "jobs") where path[2] == "finish":
            return finishJob(path[1], body: request.body)
        case ("POST", 3, "jobs") where path[2] == "faults":
            return injectFaults(path[1], body: request.body)
        default:
            return adminError(404, "no admin endpoint \(request.method) \(request.path)")
        }
    }

    private func createJobs(_ body: [UInt8]) -> ServerResponse {
        do {
            let ids = try add(contentsOf: SimulatedJobList.decode(body))
            logger.debug("simulator jobs created", metadata: ["count": "\(ids.count)"])
            return CloudErrorBody.json(201, .object([("job_ids", .array(ids.map(JSONText.string)))]))
        } catch let error as SimulatorError {
            if case .duplicateJob = error { return adminError(409, error.description) }
            return adminError(400, error.description)
        } catch {
            return adminError(400, "the body is not JSON describing simulated jobs")
        }
    }

    private func listJobs() -> ServerResponse {
        let now = options.now()
        let entries = snapshot().map { job -> JSONText in
            .object([
                ("job_id", .string(job.id)),
                ("api", .string(job.api.rawValue)),
                ("project_id", .optional(job.projectID)),
                ("kind", .string(job.kind.name)),
                ("status", .string(Self.providerStatus(job, at: now))),
                ("polls", .int(Int64(job.polls))),
                ("pending_faults", .int(Int64(job.pendingFaults.reduce(0) { $0 + $1.count }))),
            ])
        }
        return CloudErrorBody.json(200, .object([("jobs", .array(entries))]))
    }

    private struct FinishRequest: Decodable { var status: String? }
    private struct FaultsRequest: Decodable { var faults: [SimulatedFault] }

    private func finishJob(_ id: String, body: [UInt8]) -> ServerResponse {
        let status: String
        if body.isEmpty {
            status = "SUCCESS"
        } else if let request = try? JSONDecoder().decode(FinishRequest.self, from: Data(body)) {
            status = request.status ?? "SUCCESS"
        } else {
            return adminError(400, "the body must be {\"status\": \"SUCCESS\"} (or FAIL, FAILED, ABNORMAL)")
        }
        guard self.status(jobID: id) != nil else { return adminError(404, "no simulated job '\(id)'") }
        guard let at = finish(jobID: id, status: status) else {
            return adminError(
                409, "job '\(id)' is already terminal or '\(status)' is not a terminal status for its API")
        }
        return CloudErrorBody.json(
            200,
            .object([
                ("job_id", .string(id)),
                ("status", .string(self.status(jobID: id) ?? status)),
                ("finished_at", .string(CloudTime.format(millis: at))),
            ]))
    }

    private func injectFaults(_ id: String, body: [UInt8]) -> ServerResponse {
        guard let request = try? JSONDecoder().decode(FaultsRequest.self, from: Data(body)) else {
            return adminError(
                400,
                "the body must be {\"faults\": [{\"kind\": \"throttled\", \"count\": 1}, …]}; kinds: "
                    + SimulatedFault.Kind.allCases.map(\.rawValue).joined(separator: ", "))
        }
        guard inject(request.faults, jobID: id) else { return adminError(404, "no simulated job '\(id)'") }
        let pending = job(id: id)?.pendingFaults.reduce(0) { $0 + $1.count } ?? 0
        return CloudErrorBody.json(200, .object([("job_id", .string(id)), ("pending_faults", .int(Int64(pending)))]))
    }

    private func adminError(_ status: Int, _ message: String) -> ServerResponse {
        CloudErrorBody.json(status, .object([("error", .string(message))]))
    }
}
