import JobwatchCore

/// A job the simulator serves: its plan, its identifiers, its clock and what has been asked of it.
struct SimulatedJob: Sendable {
    let id: String
    /// The API the job was created for (both IMS APIs serve every IMS job).
    let api: JobAPI
    let kind: JobKind
    /// nil: the project-scoped APIs accept any project id.
    let projectID: String?
    /// nil: served under any path prefix; else only under `/{region}`.
    let region: String?
    let createdAt: Int64
    let initEndsAt: Int64
    let scheduledEnd: Int64
    let imageID: String
    let imageName: String
    /// IMS `entities.subJobId` of imports.
    let internalSubJobID: String
    let memberProjectID: String
    /// One per `kind.subJobs` entry: the sub-job id and the resource it works on.
    let subJobIDs: [String]
    let subJobResourceIDs: [String]

    /// Set by `Simulator.finish`: the job ends at that moment with that outcome.
    var forcedEnd: (at: Int64, outcome: JobOutcome)?
    var pendingFaults: [SimulatedFault]
    var polls = 0

    var endsAt: Int64 { forcedEnd?.at ?? scheduledEnd }
    var outcome: JobOutcome { forcedEnd?.outcome ?? kind.outcome }

    func accepts(region requested: String?) -> Bool {
        guard let region else { return true }
        return region == requested
    }

    func accepts(projectID requested: String?) -> Bool {
        guard let projectID, let requested else { return true }
        return projectID == requested
    }

    /// Takes the fault that answers this poll, if any.
    mutating func takeFault() -> SimulatedFault? {
        guard var fault = pendingFaults.first else { return nil }
        fault.count -= 1
        if fault.count <= 0 { pendingFaults.removeFirst() } else { pendingFaults[0].count = fault.count }
        return fault
    }

    // MARK: - Where the job stands at a moment

    enum Phase: Equatable {
        case initializing
        case running(progress: Double)
        case ended
    }

    func phase(at now: Int64) -> Phase {
        if now >= endsAt { return .ended }
        if now < initEndsAt { return .initializing }
        return .running(progress: progress(at: now))
    }

    /// Linear over the running phase, two decimals like the cloud's, below 1 until the job has ended.
    func progress(at now: Int64) -> Double {
        let span = max(1, scheduledEnd - initEndsAt)
        let fraction = Double(min(max(0, now - initEndsAt), span)) / Double(span)
        return min(0.99, (fraction * 100).rounded(.down) / 100)
    }

    /// The current task's name while running, empty otherwise (as in the seeds' finished jobs).
    func currentTask(at now: Int64) -> String {
        guard case .running(let progress) = phase(at: now), !kind.tasks.isEmpty else { return "" }
        return kind.tasks[min(kind.tasks.count - 1, Int(progress * Double(kind.tasks.count)))]
    }

    /// A sub-job at a moment; nil before it appears.
    struct SubJobState {
        enum Stage { case waiting, running, rollingBack, ended(JobOutcome) }
        var stage: Stage
        var beganAt: Int64
        var endedAt: Int64?
    }

    func subJob(_ index: Int, at now: Int64) -> SubJobState? {
        let plan = kind.subJobs[index]
        let span = Double(scheduledEnd - createdAt)
        func moment(_ fraction: Double) -> Int64 { createdAt + Int64((fraction * span).rounded()) }
        let jobEnd = endsAt
        let appear = min(moment(plan.appear), jobEnd), start = moment(plan.start), end = moment(plan.end)
        if now >= jobEnd {
            // The job has ended: every sub-job has too, cut short with the job's outcome when it was forced early.
            if end <= jobEnd { return SubJobState(stage: .ended(plan.outcome), beganAt: appear, endedAt: end) }
            return SubJobState(stage: .ended(outcome), beganAt: appear, endedAt: jobEnd)
        }
        if now < appear { return nil }
        if now < start { return SubJobState(stage: .waiting, beganAt: appear) }
        if now >= end { return SubJobState(stage: .ended(plan.outcome), beganAt: appear, endedAt: end) }
        if let rollback = plan.rollback, now >= moment(rollback) {
            return SubJobState(stage: .rollingBack, beganAt: appear)
        }
        return SubJobState(stage: .running, beganAt: appear)
    }
}
