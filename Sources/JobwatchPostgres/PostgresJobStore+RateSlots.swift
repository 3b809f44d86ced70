import Foundation
import PostgresNIO

extension PostgresJobStore {
    /// Takes the account's next request slot on a timeline shared by every daemon (one row per account,
    /// updated atomically) when it is free now, and returns 0; otherwise takes nothing and returns how many
    /// milliseconds until one is. `intervalMillis` is one request's share of a second at the account's
    /// current rate; up to `burstMillis` of slots may be taken ahead after a quiet spell, as one daemon alone
    /// would. The row lock of `ON CONFLICT DO UPDATE` re-checks the condition on the newest row, so two
    /// daemons never take the same slot.
    package func reserveRequestSlotIfFree(
        account: String, intervalMillis: Double, burstMillis: Double
    ) async throws -> Int64 {
        let row = try await rows(
            """
            WITH now AS (SELECT (extract(epoch from clock_timestamp()) * 1000)::double precision AS ms),
            taken AS (
                INSERT INTO rate_slot AS r (account, next_slot_at)
                SELECT \(account), now.ms + \(intervalMillis)::double precision FROM now
                ON CONFLICT (account) DO UPDATE
                    SET next_slot_at = GREATEST(r.next_slot_at, (SELECT ms FROM now))
                        + \(intervalMillis)::double precision
                    WHERE r.next_slot_at - (SELECT ms FROM now) - \(burstMillis)::double precision <= 0
                RETURNING 1
            )
            SELECT (SELECT count(*) FROM taken) AS taken,
                (SELECT next_slot_at FROM rate_slot WHERE account = \(account)) AS slot,
                (SELECT ms FROM now) AS now
            """
        ).first
        guard let row else { return 0 }
        if try row["taken"].decode(Int64.self) > 0 { return 0 }
        // The snapshot's slot (taken by another daemon a moment ago if it looks free): at least 1 ms.
        let slot = try row["slot"].decode(Double?.self) ?? 0
        let now = try row["now"].decode(Double.self)
        return max(1, Int64((slot - now - burstMillis).rounded(.up)))
    }
}
