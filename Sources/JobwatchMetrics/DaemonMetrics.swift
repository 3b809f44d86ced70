import CoreMetrics
import JobwatchCore
import Prometheus
import Synchronization

/// The daemon's metrics of CONTRACT §6, recorded through swift-metrics into a swift-prometheus registry of
/// their own (no process-wide bootstrap, so several daemons can live in one test process).
///
/// Every label value is created at 0 up front (APIs × outcomes, trackings, event types, sinks × results), so
/// a rate over a series that has not happened yet reads 0 rather than "no data". No label carries a job id,
/// an AK or a URL: sinks are named by their configured name.
package final class DaemonMetrics: Sendable {
    private let registry = PrometheusCollectorRegistry()
    private let factory: PrometheusMetricsFactory
    private let polls: [String: CoreMetrics.Counter]
    private let pollDurations: [JobAPI: CoreMetrics.Timer]
    private let jobs: [Tracking: CoreMetrics.Gauge]
    private let events: [EventType: CoreMetrics.Counter]
    private let sinks: Mutex<[String: SinkSeries]>
    /// The last event sequence whose `registered` events are counted; nil until the daemon started.
    private let registeredCursor = Mutex<Int64?>(nil)

    /// Poll latency buckets, in seconds: a loopback answer takes milliseconds, a slow region seconds, and
    /// `request_timeout` (30 s by default) is the far end.
    package static let pollDurationBuckets: [Duration] = [
        .milliseconds(5), .milliseconds(10), .milliseconds(25), .milliseconds(50), .milliseconds(100),
        .milliseconds(250), .milliseconds(500), .seconds(1), .milliseconds(2500), .seconds(5), .seconds(10),
        .seconds(30), .seconds(60),
    ]

    private struct SinkSeries: Sendable {
        var deliveries: [DeliveryResult: CoreMetrics.Counter]
        var pending: CoreMetrics.Gauge
    }

    package init(version: String, sinks sinkNames: [String]) {
        var factory = PrometheusMetricsFactory(registry: registry)
        factory.durationHistogramBuckets["jobwatch_poll_duration_seconds"] = Self.pollDurationBuckets
        self.factory = factory
        var polls: [String: CoreMetrics.Counter] = [:]
        var durations: [JobAPI: CoreMetrics.Timer] = [:]
        for api in JobAPI.allCases {
            for outcome in PollOutcome.allCases {
                polls[Self.key(api, outcome)] = CoreMetrics.Counter(
                    label: "jobwatch_polls_total", dimensions: [("api", api.rawValue), ("outcome", outcome.rawValue)],
                    factory: factory)
            }
            durations[api] = CoreMetrics.Timer(
                label: "jobwatch_poll_duration_seconds", dimensions: [("api", api.rawValue)], factory: factory)
        }
        self.polls = polls
        pollDurations = durations
        var jobs: [Tracking: CoreMetrics.Gauge] = [:]
        for tracking in Tracking.allCases {
            let gauge = CoreMetrics.Gauge(
                label: "jobwatch_jobs", dimensions: [("tracking", tracking.rawValue)], factory: factory)
            gauge.record(0)
            jobs[tracking] = gauge
        }
        self.jobs = jobs
        var events: [EventType: CoreMetrics.Counter] = [:]
        for type in EventType.allCases {
            events[type] = CoreMetrics.Counter(
                label: "jobwatch_events_total", dimensions: [("type", type.rawValue)], factory: factory)
        }
        self.events = events
        sinks = Mutex([:])
        CoreMetrics.Gauge(label: "jobwatch_build_info", dimensions: [("version", version)], factory: factory).record(1)
        addSinks(sinkNames)
    }

    private static func key(_ api: JobAPI, _ outcome: PollOutcome) -> String { "\(api.rawValue)/\(outcome.rawValue)" }

    /// Creates the series of sinks not seen before (at start and after a reload), at 0.
    package func addSinks(_ names: [String]) {
        let factory = self.factory
        sinks.withLock { sinks in
            for name in names where sinks[name] == nil {
                var deliveries: [DeliveryResult: CoreMetrics.Counter] = [:]
                for result in DeliveryResult.allCases {
                    deliveries[result] = CoreMetrics.Counter(
                        label: "jobwatch_deliveries_total", dimensions: [("sink", name), ("result", result.rawValue)],
                        factory: factory)
                }
                let pending = CoreMetrics.Gauge(
                    label: "jobwatch_outbox_pending", dimensions: [("sink", name)], factory: factory)
                pending.record(0)
                sinks[name] = SinkSeries(deliveries: deliveries, pending: pending)
            }
        }
    }

    /// One poll request: its outcome and how long the exchange with the cloud took.
    package func recordPoll(api: JobAPI, outcome: PollOutcome, duration: Duration) {
        polls[Self.key(api, outcome)]?.increment()
        let (seconds, attoseconds) = duration.components
        pollDurations[api]?.recordNanoseconds(max(0, seconds * 1_000_000_000 + attoseconds / 1_000_000_000))
    }

    package func recordEvents(_ types: [EventType]) {
        for type in types { events[type]?.increment() }
    }

    /// `jobwatch.job.registered` events come from the CLI: they are counted from the event log past a cursor
    /// set when the daemon starts (`startCountingRegistrations`), at each scrape.
    package func startCountingRegistrations(afterSequence: Int64) {
        registeredCursor.withLock { $0 = $0 ?? afterSequence }
    }

    package var registrationCursor: Int64? { registeredCursor.withLock { $0 } }

    /// Counts `count` registrations seen between the cursor `from` and `sequence`, unless another scrape
    /// moved the cursor meanwhile (then the events are counted by that one, or by the next scrape).
    package func recordRegistrations(_ count: Int, from start: Int64, upTo sequence: Int64) {
        registeredCursor.withLock { cursor in
            guard cursor == start, sequence > start else { return }
            cursor = sequence
            if count > 0 { events[.registered]?.increment(by: count) }
        }
    }

    package func recordDelivery(sink: String, result: DeliveryResult, count: Int = 1) {
        guard count > 0 else { return }
        let counter = sinks.withLock { $0[sink]?.deliveries[result] }
        counter?.increment(by: count)
    }

    /// The gauges read from the database at scrape time.
    package func updateJobs(_ counts: [Tracking: Int]) {
        for (tracking, gauge) in jobs { gauge.record(counts[tracking] ?? 0) }
    }

    package func updateOutbox(_ pendingBySink: [String: Int]) {
        addSinks(pendingBySink.keys.sorted())
        let series = sinks.withLock { $0 }
        for (name, sink) in series { sink.pending.record(pendingBySink[name] ?? 0) }
    }

    /// The Prometheus text exposition format (version 0.0.4).
    package func exposition() -> [UInt8] {
        var buffer: [UInt8] = []
        buffer.reserveCapacity(16 * 1024)
        registry.emit(into: &buffer)
        return buffer
    }
}
