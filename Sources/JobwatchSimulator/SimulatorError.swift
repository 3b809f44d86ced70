/// Why a job could not be created or a scenario loaded.
package enum SimulatorError: Error, Equatable, CustomStringConvertible {
    case unknownKind(String)
    case kindDoesNotFitAPI(kind: String, api: String)
    case invalidSpec(String)
    case duplicateJob(String)
    case unreadableScenario(path: String, reason: String)

    package var description: String {
        switch self {
        case .unknownKind(let kind):
            return "unknown job kind '\(kind)'; known kinds: \(Simulator.catalog.joined(separator: ", "))"
        case .kindDoesNotFitAPI(let kind, let api):
            return "the job kind '\(kind)' cannot be served by the '\(api)' API"
        case .invalidSpec(let problem):
            return problem
        case .duplicateJob(let id):
            return "a job with id '\(id)' already exists"
        case .unreadableScenario(let path, let reason):
            return "cannot load the scenario file \(path): \(reason)"
        }
    }
}
