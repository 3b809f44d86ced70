/// How a simulated job ends, or how one of its sub-jobs does.
enum JobOutcome: Sendable, Equatable {
    case success
    case fail(code: String, reason: String)
    /// Workspace only: the sub-job goes ABNORMAL and the job FAILED (IMS reports it as FAIL).
    case abnormal(code: String, reason: String)

    var error: (code: String, reason: String)? {
        switch self {
        case .success: return nil
        case .fail(let code, let reason), .abnormal(let code, let reason): return (code, reason)
        }
    }

    static let imsImportFailure = JobOutcome.fail(
        code: "IMG.0084", reason: "Failed to import the image file: the image file format is not supported.")
    static let imsDataImageFailure = JobOutcome.fail(
        code: "IMG.0084", reason: "Failed to import the data disk image file: the image file format is not supported.")
    static let workspaceImageFailure = JobOutcome.abnormal(
        code: "WKS.00370101", reason: "Failed to create the image: the image server is abnormal.")
}

/// What a sub-job does, as fractions of its parent's scheduled duration (0 = created, 1 = terminal).
struct SubJobPlan: Sendable {
    var jobType: String
    /// When it first appears in `sub_jobs_result` (IMS lists it in `sub_jobs_list` from the start).
    var appear: Double
    var start: Double
    var end: Double
    /// Workspace: when it starts rolling back (`ROLLBACK`) before it ends.
    var rollback: Double?
    var outcome: JobOutcome = .success
}

/// The shape of a job's `entities` (IMS) or of its sub-jobs (Workspace).
enum EntityShape: Sendable {
    /// `image_name`, `image_id` (and `subJobId` for imports); ShowJob omits the name of native import/export.
    case image(subJobID: Bool, nameInShowJob: Bool)
    /// `results[]`: member jobs; `count` entries on success.
    case members(count: Int)
    /// `sub_jobs_result[]` and `sub_jobs_list[]`, image ids only inside the sub-jobs.
    case subJobs
    /// Workspace image-server job: `sub_jobs[]`.
    case workspace
}

/// One entry of the simulator's catalog: a job lifecycle built from the seed documents' examples.
struct JobKind: Sendable {
    enum Family: Sendable { case ims, workspace }

    var name: String
    var family: Family
    var jobType: String
    var shape: EntityShape
    /// IMS `current_task` names, in order over the running phase.
    var tasks: [String] = []
    var subJobs: [SubJobPlan] = []
    var outcome: JobOutcome = .success

    static func named(_ name: String) -> JobKind? { byName[name] }

    static let all: [JobKind] =
        imsKinds + [
            JobKind(
                name: "ims-fail", family: .ims, jobType: "imsImportImageJob",
                shape: .image(subJobID: true, nameInShowJob: true),
                tasks: importTasks, outcome: .imsImportFailure),
            JobKind(
                name: "ims-subjob-fail", family: .ims, jobType: "imsImportOvaImageJob", shape: .subJobs,
                tasks: ovaTasks,
                subJobs: [
                    SubJobPlan(jobType: "imsImportImageJob", appear: 0.15, start: 0.2, end: 0.97),
                    SubJobPlan(
                        jobType: "imsImportDataImageJob", appear: 0.15, start: 0.2, end: 0.5,
                        outcome: .imsDataImageFailure),
                ],
                outcome: .imsDataImageFailure),
            JobKind(
                name: "workspace-success", family: .workspace, jobType: "CREATE_SERVER_IMAGE", shape: .workspace,
                subJobs: [
                    SubJobPlan(jobType: "CREATE_SERVER", appear: 0, start: 0.1, end: 0.35),
                    SubJobPlan(jobType: "CREATE_SERVER_IMAGE", appear: 0, start: 0.35, end: 0.85),
                    SubJobPlan(jobType: "DELETE_SERVER", appear: 0, start: 0.85, end: 0.97),
                ]),
            JobKind(
                name: "workspace-abnormal", family: .workspace, jobType: "CREATE_SERVER_IMAGE", shape: .workspace,
                subJobs: [
                    SubJobPlan(jobType: "CREATE_SERVER", appear: 0, start: 0.1, end: 0.35),
                    SubJobPlan(
                        jobType: "CREATE_SERVER_IMAGE", appear: 0, start: 0.35, end: 0.8, rollback: 0.65,
                        outcome: .workspaceImageFailure),
                ],
                outcome: .workspaceImageFailure),
        ]

    /// Every IMS job type of the ShowJobProgress document, succeeding.
    private static let imsKinds: [JobKind] = {
        func image(_ type: String, subJobID: Bool = false, nameInShowJob: Bool = true, tasks: [String]) -> JobKind {
            JobKind(
                name: type, family: .ims, jobType: type,
                shape: .image(subJobID: subJobID, nameInShowJob: nameInShowJob), tasks: tasks)
        }
        func members(_ type: String, count: Int) -> JobKind {
            JobKind(
                name: type, family: .ims, jobType: type, shape: .members(count: count),
                tasks: ["ImageMemberTask:UpdateMembersTask"])
        }
        return [
            image("imsCreateImageByInstance", tasks: instanceTasks),
            image("imsImportImageJob", subJobID: true, tasks: importTasks),
            JobKind(
                name: "imsImportOvaImageJob", family: .ims, jobType: "imsImportOvaImageJob", shape: .subJobs,
                tasks: ovaTasks,
                subJobs: [
                    SubJobPlan(jobType: "imsImportImageJob", appear: 0.15, start: 0.2, end: 0.97),
                    SubJobPlan(jobType: "imsImportDataImageJob", appear: 0.15, start: 0.2, end: 0.3),
                ]),
            image("imsVolumeCreateImageJob", tasks: volumeTasks),
            JobKind(
                name: "imsVolumesToSysDataImagesJob", family: .ims, jobType: "imsVolumesToSysDataImagesJob",
                shape: .subJobs,
                tasks: volumeTasks,
                subJobs: [SubJobPlan(jobType: "imsCopyVolumeToImageJob", appear: 0.12, start: 0.15, end: 0.95)]),
            image("imsImportDataImageJob", subJobID: true, tasks: importTasks),
            image("imsCreateWholeImageByInstanceJob", tasks: wholeImageTasks),
            image("imsCreateWholeImageByBackupJob", tasks: wholeImageTasks),
            image("imsNativeImportImageJob", nameInShowJob: false, tasks: importTasks),
            image("imsNativeExportImageJob", nameInShowJob: false, tasks: ["ExportImageTask:ExportImageFileTask"]),
            members("imsAddImageMembersJob", count: 1),
            members("imsDelImageMembersJob", count: 0),
            members("imsUpdateImageMembersJob", count: 1),
            image("imsCopyImageInRegionJob", tasks: copyTasks),
            image("imsCrossRegionCopyImageJob", tasks: copyTasks),
        ]
    }()

    private static let byName: [String: JobKind] = Dictionary(uniqueKeysWithValues: all.map { ($0.name, $0) })

    private static let importTasks = [
        "ImportImageTask:ObtainImageInfoTask", "ImportImageTask:DownloadImageFileTask",
        "ImportImageTask:ConvertImageTask", "ImportImageTask:RegisterImageTask",
    ]
    private static let ovaTasks = ["ImportOvaImageTask:ParseOvaFileTask", "ImportOvaImageTask:WaitSubJobsTask"]
    private static let instanceTasks = [
        "CreateImageTask:CreateSnapshotTask", "CreateImageTask:CopySnapshotTask", "CreateImageTask:RegisterImageTask",
    ]
    private static let volumeTasks = [
        "CreateImageTask:CreateVolumeSnapshotTask", "CreateImageTask:CopyVolumeToImageTask",
    ]
    private static let wholeImageTasks = [
        "CreateWholeImageTask:CreateBackupTask", "CreateWholeImageTask:RegisterWholeImageTask",
    ]
    private static let copyTasks = ["CopyImageTask:CopyImageFileTask", "CopyImageTask:RegisterImageTask"]
}
