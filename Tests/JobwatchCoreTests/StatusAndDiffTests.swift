import JobwatchCore
import Testing

@Suite struct JobStatusTests {
    @Test func mapsIMSStatusesAsGiven() {
        #expect(JobStatus(provider: "INIT", api: .ims) == .initial)
        #expect(JobStatus(provider: "RUNNING", api: .imsProject) == .running)
        #expect(JobStatus(provider: "SUCCESS", api: .ims) == .success)
        #expect(JobStatus(provider: "FAIL", api: .ims) == .fail)
        #expect(JobStatus(provider: "FAILED", api: .ims) == .unknown)
    }

    @Test func mapsWorkspaceStatusesPerTheContract() {
        #expect(JobStatus(provider: "WAITING", api: .workspace) == .initial)
        #expect(JobStatus(provider: "RUNNING", api: .workspace) == .running)
        #expect(JobStatus(provider: "ROLLBACK", api: .workspace) == .running)
        #expect(JobStatus(provider: "ABORTING", api: .workspace) == .running)
        #expect(JobStatus(provider: "SUCCESS", api: .workspace) == .success)
        #expect(JobStatus(provider: "FAILED", api: .workspace) == .fail)
        #expect(JobStatus(provider: "ABNORMAL", api: .workspace) == .abnormal)
        #expect(JobStatus(provider: "PAUSED", api: .workspace) == .unknown)
        #expect(JobStatus.abnormal.isTerminal && JobStatus.fail.isTerminal && !JobStatus.unknown.isTerminal)
    }
}

@Suite struct TransitionDiffTests {
    func snapshot(
        _ status: JobStatus, _ provider: String, progress: Double? = nil, task: String? = nil,
        subs: [SubJobSnapshot] = []
    ) -> JobSnapshot {
        JobSnapshot(
            jobID: "j", status: status, providerStatus: provider, progress: progress, currentTask: task, subJobs: subs)
    }

    func sub(_ id: String, _ status: JobStatus, _ provider: String?) -> SubJobSnapshot {
        SubJobSnapshot(jobID: id, status: status, providerStatus: provider)
    }

    @Test func firstObservationIsATransitionFromNothing() {
        let t = TransitionDiff.transitions(from: nil, to: snapshot(.initial, "INIT"))
        #expect(t == [Transition(kind: .jobStatus, from: nil, to: .initial, providerStatus: "INIT")])
    }

    @Test func anIMSLifecycleYieldsOneRowPerChange() {
        // The OVA import of seed 000: two sub-jobs, listed first, then running, then done.
        let steps: [JobSnapshot] = [
            snapshot(.initial, "INIT"),
            snapshot(
                .running, "RUNNING", progress: 0.1, task: "ImportImageTask:ObtainImageInfoTask",
                subs: [sub("a", .initial, nil), sub("b", .initial, nil)]),
            snapshot(
                .running, "RUNNING", progress: 0.1, task: "ImportImageTask:ObtainImageInfoTask",
                subs: [sub("a", .initial, nil), sub("b", .initial, nil)]),
            snapshot(
                .running, "RUNNING", progress: 0.5, task: "ImportImageTask:ObtainImageInfoTask",
                subs: [sub("a", .running, "RUNNING"), sub("b", .success, "SUCCESS")]),
            snapshot(
                .success, "SUCCESS", progress: 1, task: nil,
                subs: [sub("a", .success, "SUCCESS"), sub("b", .success, "SUCCESS")]),
        ]
        var previous: JobSnapshot?
        var rows: [String] = []
        for step in steps {
            for t in TransitionDiff.transitions(from: previous, to: step) {
                rows.append("\(t.subJobID ?? "job") \(t.from?.rawValue ?? "-")>\(t.to.rawValue)")
            }
            previous = step
        }
        #expect(
            rows == [
                "job ->INIT",
                "a ->INIT", "b ->INIT", "job INIT>RUNNING",
                // the unchanged third poll adds nothing
                "a INIT>RUNNING", "b INIT>SUCCESS", "job RUNNING>RUNNING",
                "a RUNNING>SUCCESS", "job RUNNING>SUCCESS",
            ])
    }

    @Test func aWorkspaceRollbackIsRecordedThoughItStaysRunning() {
        let before = snapshot(.running, "RUNNING", subs: [sub("s", .running, "RUNNING")])
        let after = snapshot(.running, "RUNNING", subs: [sub("s", .running, "ROLLBACK")])
        let t = TransitionDiff.transitions(from: before, to: after)
        #expect(
            t == [
                Transition(kind: .subJobStatus, subJobID: "s", from: .running, to: .running, providerStatus: "ROLLBACK")
            ])
        #expect(TransitionDiff.resetsBackoff(t, previous: before, current: after))
    }

    @Test func progressAloneDoesNotResetTheBackoff() {
        let before = snapshot(.running, "RUNNING", progress: 0.2, task: "T")
        let after = snapshot(.running, "RUNNING", progress: 0.3, task: "T")
        let t = TransitionDiff.transitions(from: before, to: after)
        #expect(t.map(\.kind) == [.jobProgress])
        #expect(!TransitionDiff.resetsBackoff(t, previous: before, current: after))
        let newTask = snapshot(.running, "RUNNING", progress: 0.3, task: "U")
        #expect(
            TransitionDiff.resetsBackoff(
                TransitionDiff.transitions(from: after, to: newTask), previous: after, current: newTask))
    }
}
