/// What keeps an event's size bounded whatever the cloud sends.
///
/// A job-level event carries the whole job record (its sub-jobs and raw `entities` included). A sub-job
/// event (`jobwatch.subjob.status_changed`) carries the sub-job that changed in `data.sub_job` and the job
/// without its sub-job list and raw `entities` (`"sub_jobs": []`, `"entities": null`): a poll that sees N
/// sub-jobs change must not write N copies of every sub-job. With the decoder's caps (1,000 sub-jobs, text
/// fields of at most `maxTextScalars`) one poll writes at most 1,001 events of bounded size.
package enum EventSize {
    /// Every text field decoded from the cloud is cut to this many Unicode scalars (with a trailing `…`).
    package static let maxTextScalars = 1024

    /// The job as a sub-job event carries it.
    package static func jobForSubJobEvent(_ record: JobRecord) -> JobRecord {
        var job = record
        job.subJobs = []
        job.entities = nil
        return job
    }
}
