import Foundation
import JobwatchStore
import PostgresNIO

extension PostgresJobStore {
    /// Renews every lease this process holds every third of `leaseMillis`, while it holds any. A lease that
    /// another daemon took over meanwhile (this one stalled) is dropped: its write will be refused.
    func startRenewing() {
        renewal.withLock { task in
            guard task == nil else { return }
            task = Task { [weak self] in
                while !Task.isCancelled {
                    guard let self else { return }
                    try? await Task.sleep(for: .milliseconds(self.leaseMillis / 3))
                    if Task.isCancelled { return }
                    try? await self.renewLeases()
                }
            }
        }
    }

    func renewLeases() async throws {
        let jobs = heldJobs.withLock { $0 }
        let deliveries = heldDeliveries.withLock { $0 }
        guard !jobs.isEmpty || !deliveries.isEmpty else { return }
        let owner = self.owner
        let lease = leaseMillis
        let (keptJobs, keptDeliveries) = try await transaction { c in
            let keptJobs = try await c.query(
                """
                UPDATE job SET lease_expires_at = \(unescaped: serverNowMillis) + \(lease)
                FROM unnest(\(Array(jobs.keys))::bigint[], \(Array(jobs.values))::bigint[]) AS held(id, token)
                WHERE job.id = held.id AND job.lease_owner = \(owner) AND job.lease_token = held.token
                RETURNING job.id
                """, logger: self.queryLogger
            ).collect().map { try $0.decode(Int64.self) }
            let keys = Array(deliveries.keys)
            let keptDeliveries = try await c.query(
                """
                UPDATE delivery SET lease_expires_at = \(unescaped: serverNowMillis) + \(lease)
                FROM unnest(\(keys.map(\.eventSequence))::bigint[], \(keys.map(\.sink))::text[],
                    \(keys.map { deliveries[$0] ?? 0 })::bigint[]) AS held(s, k, t)
                WHERE delivery.event_sequence = held.s AND delivery.sink = held.k
                    AND delivery.lease_owner = \(owner) AND delivery.lease_token = held.t
                RETURNING delivery.event_sequence, delivery.sink
                """, logger: self.queryLogger
            ).collect().map { row in
                let (sequence, sink) = try row.decode((Int64, String).self)
                return DeliveryKey(eventSequence: sequence, sink: sink)
            }
            return (Set(keptJobs), Set(keptDeliveries))
        }
        // Only leases that were held at the start of this round and lost since are dropped.
        heldJobs.withLock { held in
            for (id, token) in jobs where !keptJobs.contains(id) && held[id] == token { held[id] = nil }
        }
        heldDeliveries.withLock { held in
            for (key, token) in deliveries where !keptDeliveries.contains(key) && held[key] == token {
                held[key] = nil
            }
        }
    }

    func releaseJob(_ rowID: Int64, token: Int64) async throws {
        let owner = self.owner
        try await transaction { c in
            try await c.query(
                """
                UPDATE job SET lease_owner = NULL, lease_expires_at = 0
                WHERE id = \(rowID) AND lease_owner = \(owner) AND lease_token = \(token)
                """, logger: self.queryLogger)
        }
    }

    /// Gives back every lease of this process (a clean shutdown) and wakes the other daemons.
    func releaseAll() async throws {
        let owner = self.owner
        try await transaction { c in
            try await c.query(
                "UPDATE job SET lease_owner = NULL, lease_expires_at = 0 WHERE lease_owner = \(owner)",
                logger: self.queryLogger)
            try await c.query(
                "UPDATE delivery SET lease_owner = NULL, lease_expires_at = 0 WHERE lease_owner = \(owner)",
                logger: self.queryLogger)
            try await self.notifyDaemons(c)
        }
        heldJobs.withLock { $0 = [:] }
        heldDeliveries.withLock { $0 = [:] }
    }
}
