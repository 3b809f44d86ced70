/// The normalized status of a job or sub-job (CONTRACT §2).
package enum JobStatus: String, CaseIterable, Codable, Sendable, Hashable {
    case initial = "INIT"
    case running = "RUNNING"
    case success = "SUCCESS"
    case fail = "FAIL"
    case abnormal = "ABNORMAL"
    case unknown = "UNKNOWN"

    /// SUCCESS, FAIL and ABNORMAL end a job (and a sub-job); nothing changes after them.
    package var isTerminal: Bool {
        switch self {
        case .success, .fail, .abnormal: return true
        case .initial, .running, .unknown: return false
        }
    }

    /// Maps the string the cloud sent to the normalized status.
    ///
    /// IMS sends INIT/RUNNING/SUCCESS/FAIL; Workspace sends WAITING/RUNNING/SUCCESS/FAILED and, for
    /// sub-jobs, ABNORMAL/ROLLBACK/ABORTING. A rollback or an abort is still work in progress, so it is
    /// RUNNING until the cloud gives its verdict. Anything else is UNKNOWN and polling continues.
    package init(provider: String, api: JobAPI) {
        let value = provider.trimmingWhitespace().uppercased()
        switch api {
        case .ims, .imsProject:
            switch value {
            case "INIT": self = .initial
            case "RUNNING": self = .running
            case "SUCCESS": self = .success
            case "FAIL": self = .fail
            default: self = .unknown
            }
        case .workspace:
            switch value {
            case "WAITING": self = .initial
            case "RUNNING", "ROLLBACK", "ABORTING": self = .running
            case "SUCCESS": self = .success
            case "FAILED": self = .fail
            case "ABNORMAL": self = .abnormal
            default: self = .unknown
            }
        }
    }
}

/// Whether jobwatch still polls a job, and if not, why it stopped (CONTRACT §2).
package enum Tracking: String, CaseIterable, Codable, Sendable, Hashable {
    case active
    /// A terminal status was seen.
    case done
    /// The tracking deadline passed before a terminal status.
    case expired
    /// The API kept answering 404.
    case notFound = "not_found"
    /// Unregistered by a user.
    case stopped
}

extension String {
    func trimmingWhitespace() -> Substring {
        var slice = Substring(self)
        while let first = slice.first, first.isWhitespace { slice.removeFirst() }
        while let last = slice.last, last.isWhitespace { slice.removeLast() }
        return slice
    }
}
