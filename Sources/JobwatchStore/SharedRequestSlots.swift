/// A store that several daemons share can also pace their requests together: every request of an account
/// takes the next slot on one timeline, so `requests_per_second` holds for all daemons at once (CONTRACT §7).
/// The SQLite store has one daemon and does not offer it; the daemon then paces on its own.
package protocol SharedRequestSlots: Sendable {
    /// Takes up to `count` of the account's slots that are free now and returns how many, and when fewer
    /// than asked, how many milliseconds until the next one is (else 0). `intervalMillis` is one request's
    /// share of a second at the current rate; up to `burstMillis` worth of slots may be taken ahead after a
    /// quiet spell.
    func reserveRequestSlotsIfFree(
        account: String, count: Int, intervalMillis: Double, burstMillis: Double
    ) async throws -> (taken: Int, waitMillis: Int64)
}
