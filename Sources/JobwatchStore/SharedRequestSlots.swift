/// A store that several daemons share can also pace their requests together: every request of an account
/// takes the next slot on one timeline, so `requests_per_second` holds for all daemons at once (CONTRACT §7).
/// The SQLite store has one daemon and does not offer it; the daemon then paces on its own.
package protocol SharedRequestSlots: Sendable {
    /// Takes the account's next slot when it is free now and returns 0; otherwise takes nothing and returns
    /// how many milliseconds until one is. `intervalMillis` is one request's share of a second at the current
    /// rate; up to `burstMillis` worth of slots may be taken ahead after a quiet spell.
    func reserveRequestSlotIfFree(account: String, intervalMillis: Double, burstMillis: Double) async throws -> Int64
}
