import ArgumentParser
import JobwatchCore
import JobwatchStore

extension DeliveryState: ExpressibleByArgument {}

struct Deliveries: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Webhook and stdout delivery state per event and sink.")

    @Option(help: "Only pending, delivered or dead deliveries.") var state: DeliveryState?
    @Option(help: ArgumentHelp("Only deliveries to this sink.", valueName: "NAME")) var sink: String?
    @Option(
        help: ArgumentHelp("Only events created within this long, e.g. 30m, 24h, 3d.", valueName: "DUR"))
    var since: String?
    @Flag(help: "Print a JSON array.") var json = false
    @OptionGroup var global: GlobalOptions

    func validate() throws {
        if let since { _ = try AgeWindow.parse(since, option: "--since") }
        if let sink, sink.isEmpty { throw ValidationError("--sink needs a sink name") }
    }

    func run() async throws {
        let context = try CLIContext.load(global)
        let createdSince = try since.map { try AgeWindow.parse($0, option: "--since").startMillis(now: nowMillis()) }
        let deliveries = try await storeCall {
            try await context.openExistingStore()?.deliveries(
                state: state, sink: sink, createdSinceMillis: createdSince)
                ?? []
        }
        if json {
            try JSONOutput.print(deliveries)
            return
        }
        guard !deliveries.isEmpty else {
            let scope = [sink.map { " to \($0)" }, since.map { " of events from the last \($0)" }].compactMap { $0 }
            print("no \(state.map { "\($0.rawValue) " } ?? "")deliveries\(scope.joined())")
            return
        }
        var table = TextTable(["EVENT ID", "TYPE", "SINK", "STATE", "ATTEMPTS", "LAST RESULT", "NEXT / DELIVERED"])
        for d in deliveries {
            let last = [d.lastStatus.map { "HTTP \($0)" }, d.lastError].compactMap { $0 }.joined(separator: " ")
            let when =
                d.state == .pending
                ? JobText.time(d.nextAttemptAtMillis) : d.state == .delivered ? JobText.time(d.deliveredAtMillis) : "-"
            table.append([
                d.eventID, d.eventType.rawValue, d.sink, d.state.rawValue, String(d.attempts),
                last.isEmpty ? "-" : last, when,
            ])
        }
        print(table.render())
    }
}

struct Redeliver: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract:
            "Queue events for delivery again (to every sink that had them); the running daemon picks "
            + "them up within a second.",
        discussion: """
            Give event ids, or --dead for every dead delivery, or --since DUR for every delivery that failed \
            (dead, or pending after a failed attempt) of the events created within DUR, optionally of one \
            --sink: after a receiver's outage, `jobwatch redeliver --since 2d --sink ops` sends it all again \
            now. Each re-queued delivery starts a new round of max_attempts.
            """)

    @Argument(help: "Event ids (see `jobwatch events --json` or `jobwatch deliveries`).") var eventIDs: [String] = []
    @Flag(help: "Re-queue every dead delivery.") var dead = false
    @Option(
        help: ArgumentHelp(
            "Re-queue what failed for the events created within this long, e.g. 6h, 2d.", valueName: "DUR"))
    var since: String?
    @Option(help: ArgumentHelp("With --since: only deliveries to this sink.", valueName: "NAME")) var sink: String?
    @OptionGroup var global: GlobalOptions

    func validate() throws {
        let modes = [dead, !eventIDs.isEmpty, since != nil].filter { $0 }.count
        if modes != 1 {
            throw ValidationError("give exactly one of: event ids, --dead, --since DUR")
        }
        if sink != nil && since == nil {
            throw ValidationError("--sink goes with --since (event ids and --dead cover every sink)")
        }
        if let since { _ = try AgeWindow.parse(since, option: "--since") }
    }

    func run() async throws {
        let context = try CLIContext.load(global)
        if let sink, !context.configuration.sinkSubscriptions.contains(where: { $0.name == sink }) {
            let known = context.configuration.sinkSubscriptions.map(\.name).joined(separator: ", ")
            throw CLIFailure(.usage, "unknown --sink '\(sink)'; enabled sinks: \(known.isEmpty ? "none" : known)")
        }
        guard let store = try await context.openExistingStore(writable: true) else {
            throw CLIFailure(.notFound, "no database at \(context.databasePath) yet, so no events to redeliver")
        }
        let now = nowMillis()
        if let since {
            let start = try AgeWindow.parse(since, option: "--since").startMillis(now: now)
            let count = try await storeCall {
                try await store.redeliverFailed(createdSinceMillis: start, sink: sink, nowMillis: now)
            }
            print("re-queued \(count) failed deliver\(count == 1 ? "y" : "ies") of events from the last \(since)")
            return
        }
        let result = try await storeCall { try await store.redeliver(eventIDs: dead ? nil : eventIDs, nowMillis: now) }
        if !result.unknown.isEmpty {
            throw CLIFailure(
                .notFound,
                "no event with id \(result.unknown.joined(separator: ", ")); nothing was re-queued (see "
                    + "`jobwatch deliveries`)"
            )
        }
        print("re-queued \(result.requeued) deliver\(result.requeued == 1 ? "y" : "ies")")
    }
}
