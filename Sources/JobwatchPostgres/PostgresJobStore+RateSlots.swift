import Foundation
import JobwatchCore
import PostgresNIO

extension PostgresJobStore {
    /// Takes up to `count` of the account's request slots that are free now, on a timeline shared by every
    /// daemon (one row per account, locked for the update, so two daemons never take the same slot). Returns
    /// how many were taken and, when fewer than asked, how long until the next is free (`AdaptiveRate.freeSlots`
    /// on the server's clock). `intervalMillis` is one request's share of a second at the account's current
    /// rate; up to `burstMillis` of slots may be taken ahead after a quiet spell, as one daemon alone would.
    package func reserveRequestSlotsIfFree(
        account: String, count: Int, intervalMillis: Double, burstMillis: Double
    ) async throws -> (taken: Int, waitMillis: Int64) {
        guard count > 0 else { return (0, 0) }
        return try await transaction { c in
            try await c.query(
                "INSERT INTO rate_slot (account, next_slot_at) VALUES (\(account), 0) ON CONFLICT DO NOTHING",
                logger: self.queryLogger)
            let rows = try await c.query(
                """
                SELECT next_slot_at, (extract(epoch from clock_timestamp()) * 1000)::double precision AS now
                FROM rate_slot WHERE account = \(account) FOR UPDATE
                """, logger: self.queryLogger
            ).collect()
            guard let row = rows.first?.makeRandomAccess() else { return (0, 1) }
            let (taken, next, wait) = AdaptiveRate.freeSlots(
                nextSlotMillis: try row["next_slot_at"].decode(Double.self),
                nowMillis: try row["now"].decode(Double.self),
                count: count, intervalMillis: intervalMillis, burstMillis: burstMillis)
            if taken > 0 {
                try await c.query(
                    "UPDATE rate_slot SET next_slot_at = \(next) WHERE account = \(account)", logger: self.queryLogger)
            }
            return (taken, wait)
        }
    }
}
