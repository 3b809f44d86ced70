/// `retention:`: how long finished records stay in the database before the daemon prunes them.
package struct RetentionConfig: Sendable, Hashable {
    /// Events whose deliveries all ended (delivered or dead), with their deliveries and attempts.
    package var eventsMillis: Int64 = 30 * 86_400_000
    /// Jobs whose tracking ended (done, expired, not_found, stopped) that long ago, with their history.
    package var jobsMillis: Int64 = 90 * 86_400_000

    /// Retention is at least an hour and at most ten years.
    package static let boundsMillis: ClosedRange<Int64> = 3_600_000...(3650 * 86_400_000)

    package init() {}
}
