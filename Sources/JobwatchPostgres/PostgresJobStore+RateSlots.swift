import Foundation
import PostgresNIO

extension PostgresJobStore {
    /// Takes the account's next request slot on a timeline shared by every daemon (one row per account,
    /// updated atomically) and returns how long to wait before sending, in milliseconds. `intervalMillis` is
    /// one request's share of a second at the account's current rate; up to `burstMillis` of slots may be
    /// taken ahead after a quiet spell, as one daemon alone would.
    package func reserveRequestSlot(account: String, intervalMillis: Double, burstMillis: Double) async throws -> Int64
    {
        let row = try await rows(
            """
            WITH now AS (SELECT (extract(epoch from clock_timestamp()) * 1000)::double precision AS ms)
            INSERT INTO rate_slot AS r (account, next_slot_at)
            SELECT \(account), now.ms + \(intervalMillis)::double precision FROM now
            ON CONFLICT (account) DO UPDATE SET next_slot_at = GREATEST(r.next_slot_at, (SELECT ms FROM now))
                + \(intervalMillis)::double precision
            RETURNING r.next_slot_at - \(intervalMillis)::double precision AS slot, (SELECT ms FROM now) AS now
            """
        ).first
        guard let row else { return 0 }
        let slot = try row["slot"].decode(Double.self)
        let now = try row["now"].decode(Double.self)
        return Int64(max(0, slot - now - burstMillis).rounded(.up))
    }
}
