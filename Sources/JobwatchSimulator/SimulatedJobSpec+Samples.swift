extension SimulatedJobSpec {
    /// A handful of jobs showing what the tracker reports, for `jobwatch demo`: an IMS image, an OVA import
    /// whose sub-jobs appear as it runs, an IMS failure, a Workspace success and a Workspace job whose
    /// sub-job goes ABNORMAL. Each ends within `durationMillis` (staggered), so a demo finishes on time.
    package static func samples(projectID: String, durationMillis: Int64 = 20_000) -> [SimulatedJobSpec] {
        let d = max(1000, durationMillis)
        return [
            SimulatedJobSpec(api: .ims, kind: "imsCreateImageByInstance", durationMillis: d * 6 / 10),
            SimulatedJobSpec(api: .ims, kind: "imsImportOvaImageJob", durationMillis: d),
            SimulatedJobSpec(api: .imsProject, kind: "ims-fail", projectID: projectID, durationMillis: d * 8 / 10),
            SimulatedJobSpec(
                api: .workspace, kind: "workspace-success", projectID: projectID, durationMillis: d * 9 / 10),
            SimulatedJobSpec(
                api: .workspace, kind: "workspace-abnormal", projectID: projectID, durationMillis: d * 7 / 10),
        ]
    }
}
