/// Stall alerts (`polling.stall_after`): a job whose answers have not changed in any way for that long is
/// announced once with `jobwatch.job.stalled`; another alert needs a change first, then a new quiet period.
package enum StallCheck {
    /// Whether this poll, which saw nothing change, starts a stall.
    package static func isNewStall(_ record: JobRecord, nowMillis: Int64, stallAfterMillis: Int64) -> Bool {
        guard stallAfterMillis > 0, record.stalledAtMillis == nil, record.tracking == .active else { return false }
        let since = record.lastChangeAtMillis ?? record.registeredAtMillis
        return SaturatingTime.difference(nowMillis, since) >= stallAfterMillis
    }

    /// "stalled for 6h12m" in the human views, nil while the job is not stalled.
    package static func mark(_ record: JobRecord, nowMillis: Int64) -> String? {
        guard record.tracking == .active, record.stalledAtMillis != nil else { return nil }
        let since = record.lastChangeAtMillis ?? record.registeredAtMillis
        return
            "stalled: no change for \(DurationText.human(millis: max(0, SaturatingTime.difference(nowMillis, since))))"
    }
}
