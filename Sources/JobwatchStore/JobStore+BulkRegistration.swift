import GRDB
import JobwatchCore

extension JobStore {
    /// Registers several jobs in ONE transaction (`register --from-json`): either every job is registered (or
    /// found already registered, unchanged) or, when anything fails, none is. Results are in input order.
    package func registerAll(
        _ registrations: [Registration], sinks: [SinkSubscription], nowMillis: Int64
    ) throws -> [(job: StoredJob, created: Bool)] {
        let hostname = self.hostname
        return try write { db in
            try registrations.map { registration in
                try Self.register(registration, sinks: sinks, nowMillis: nowMillis, hostname: hostname, db: db)
            }
        }
    }
}
