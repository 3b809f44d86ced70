/// One observed change of a job or of one of its sub-jobs: a row of the history and the seed of an event.
package struct Transition: Sendable, Hashable {
    package enum Kind: String, Sendable, Hashable {
        /// The job's status (normalized or as the cloud spells it) changed, or was first observed.
        case jobStatus
        /// Only the job's progress or current task moved.
        case jobProgress
        /// A sub-job appeared or its status changed.
        case subJobStatus
    }

    package var kind: Kind
    package var subJobID: String?
    package var from: JobStatus?
    package var to: JobStatus
    package var providerStatus: String?
    package var progress: Double?
    package var currentTask: String?

    package init(
        kind: Kind, subJobID: String? = nil, from: JobStatus?, to: JobStatus, providerStatus: String?,
        progress: Double? = nil, currentTask: String? = nil
    ) {
        self.kind = kind
        self.subJobID = subJobID
        self.from = from
        self.to = to
        self.providerStatus = providerStatus
        self.progress = progress
        self.currentTask = currentTask
    }
}

/// Compares two snapshots of one job and lists what changed, sub-jobs first, then the job itself,
/// so that a history reads in the order things settle (the sub-job ends, then its parent).
package enum TransitionDiff {
    package static func transitions(from previous: JobSnapshot?, to current: JobSnapshot) -> [Transition] {
        var result: [Transition] = []
        let previousSubJobs = Dictionary(
            (previous?.subJobs ?? []).map { ($0.jobID, $0) }, uniquingKeysWith: { first, _ in first })
        for sub in current.subJobs {
            let before = previousSubJobs[sub.jobID]
            // A sub-job only listed (no status reported yet) is not a change: it appears in the history
            // with its first reported status.
            if before == nil && sub.providerStatus == nil && sub.status == .unknown { continue }
            if before == nil || before?.status != sub.status || before?.providerStatus != sub.providerStatus {
                result.append(
                    Transition(
                        kind: .subJobStatus, subJobID: sub.jobID, from: before?.status, to: sub.status,
                        providerStatus: sub.providerStatus))
            }
        }
        if previous == nil || previous?.status != current.status || previous?.providerStatus != current.providerStatus {
            result.append(
                Transition(
                    kind: .jobStatus, from: previous?.status, to: current.status,
                    providerStatus: current.providerStatus,
                    progress: current.progress, currentTask: current.currentTask))
        } else if previous?.progress != current.progress || previous?.currentTask != current.currentTask {
            result.append(
                Transition(
                    kind: .jobProgress, from: current.status, to: current.status,
                    providerStatus: current.providerStatus,
                    progress: current.progress, currentTask: current.currentTask))
        }
        return result
    }

    /// Whether the schedule should start again from the initial interval: something other than steady
    /// progress moved. Progress alone feeds the completion estimate instead (see `PollSchedule`), otherwise
    /// a job that reports progress on every poll would be polled at the initial interval for its whole life.
    package static func resetsBackoff(_ transitions: [Transition], previous: JobSnapshot?, current: JobSnapshot) -> Bool
    {
        transitions.contains { $0.kind != .jobProgress } || previous?.currentTask != current.currentTask
    }
}
