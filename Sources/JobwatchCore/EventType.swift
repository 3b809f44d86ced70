/// The CloudEvents `type`s jobwatch emits (CONTRACT §3).
package enum EventType: String, CaseIterable, Codable, Sendable, Hashable {
    case registered = "jobwatch.job.registered"
    case statusChanged = "jobwatch.job.status_changed"
    case progress = "jobwatch.job.progress"
    case subJobStatusChanged = "jobwatch.subjob.status_changed"
    /// Nothing about the job changed for `polling.stall_after`; once per stall, not terminal.
    case stalled = "jobwatch.job.stalled"
    case succeeded = "jobwatch.job.succeeded"
    case failed = "jobwatch.job.failed"
    case abnormal = "jobwatch.job.abnormal"
    case expired = "jobwatch.job.expired"
    case notFound = "jobwatch.job.not_found"

    package var isTerminal: Bool {
        switch self {
        case .succeeded, .failed, .abnormal, .expired, .notFound: return true
        case .registered, .statusChanged, .progress, .subJobStatusChanged, .stalled: return false
        }
    }

    /// The terminal event for a terminal job status.
    package static func terminal(for status: JobStatus) -> EventType? {
        switch status {
        case .success: return .succeeded
        case .fail: return .failed
        case .abnormal: return .abnormal
        case .initial, .running, .unknown: return nil
        }
    }
}

/// Which events a sink receives: `terminal` (the default), `all`, or a list of types.
package enum EventFilter: Sendable, Hashable {
    case terminal
    case all
    case types(Set<EventType>)

    package func matches(_ type: EventType) -> Bool {
        switch self {
        case .terminal: return type.isTerminal
        case .all: return true
        case .types(let types): return types.contains(type)
        }
    }

    package var description: String {
        switch self {
        case .terminal: return "terminal"
        case .all: return "all"
        case .types(let types): return types.map(\.rawValue).sorted().joined(separator: ", ")
        }
    }
}

/// A sink as event routing sees it: a name and what it subscribes to.
package struct SinkSubscription: Sendable, Hashable {
    package var name: String
    package var filter: EventFilter

    package init(name: String, filter: EventFilter) {
        self.name = name
        self.filter = filter
    }

    /// The sinks that receive an event of `type` for a job registered with `jobSinks`
    /// (`nil`: every sink that subscribes to the type; `register --sink` narrows it).
    package static func recipients(of type: EventType, jobSinks: [String]?, among sinks: [SinkSubscription]) -> [String]
    {
        sinks.filter { sink in
            sink.filter.matches(type) && (jobSinks.map { $0.contains(sink.name) } ?? true)
        }.map(\.name)
    }
}
