import JobwatchCore
import JobwatchStore
import Logging

/// Applies `retention:`: at start and then every hour, deletes the events whose deliveries all ended and
/// the jobs whose tracking ended longer ago than configured. Small batches, each its own short transaction
/// with a pause between them, so polls and the CLI are never held up behind one huge delete; a run stops
/// after `maxBatchesPerRun` batches of each kind and the next run carries on. Logs what it pruned.
actor Pruner {
    static let eventBatch = 500
    static let jobBatch = 50
    static let maxBatchesPerRun = 200
    static let interval: Duration = .seconds(3600)
    static let pause: Duration = .milliseconds(20)

    private let store: any JobStoring
    private let settings: SettingsBox
    private let clock: @Sendable () -> Int64
    private let logger: Logger
    private var task: Task<Void, Never>?

    init(store: any JobStoring, settings: SettingsBox, clock: @escaping @Sendable () -> Int64, logger: Logger) {
        self.store = store
        self.settings = settings
        self.clock = clock
        self.logger = logger
    }

    func start() {
        guard task == nil else { return }
        task = Task { [weak self] in
            while !Task.isCancelled {
                await self?.runOnce()
                try? await Task.sleep(for: Self.interval)
            }
        }
    }

    func stop() async {
        task?.cancel()
        await task?.value
        task = nil
    }

    /// One run: events, then jobs. Returns what it removed.
    @discardableResult
    func runOnce() async -> PruneCount {
        let retention = settings.current.configuration.retention
        let now = clock()
        var events = PruneCount()
        var jobs = PruneCount()
        do {
            for _ in 0..<Self.maxBatchesPerRun where !Task.isCancelled {
                let batch = try await store.pruneEvents(
                    beforeMillis: now - retention.eventsMillis, limit: Self.eventBatch,
                    keepNewest: JobStore.keptNewestEvents)
                events = events + batch
                if batch.events < Self.eventBatch { break }
                try? await Task.sleep(for: Self.pause)
            }
            for _ in 0..<Self.maxBatchesPerRun where !Task.isCancelled {
                let batch = try await store.pruneJobs(
                    endedBeforeMillis: now - retention.jobsMillis, limit: Self.jobBatch)
                jobs = jobs + batch
                if batch.jobs < Self.jobBatch { break }
                try? await Task.sleep(for: Self.pause)
            }
        } catch {
            logger.warning("retention: pruning stopped and is retried in an hour: \(error)")
        }
        if !events.isEmpty {
            logger.notice(
                """
                retention: pruned \(events.events) events older than \
                \(DurationText.format(millis: retention.eventsMillis)) whose deliveries had ended \
                (\(events.deliveries) deliveries, \(events.attempts) attempts)
                """)
        }
        if !jobs.isEmpty {
            logger.notice(
                """
                retention: pruned \(jobs.jobs) jobs whose tracking ended over \
                \(DurationText.format(millis: retention.jobsMillis)) ago, with their history and \
                \(jobs.events) events (\(jobs.deliveries) deliveries, \(jobs.attempts) attempts)
                """)
        }
        return events + jobs
    }
}
