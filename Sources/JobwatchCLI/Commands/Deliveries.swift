import ArgumentParser
import JobwatchCore
import JobwatchStore

extension DeliveryState: ExpressibleByArgument {}

struct Deliveries: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Webhook and stdout delivery state per event and sink.")

    @Option(help: "Only pending, delivered or dead deliveries.") var state: DeliveryState?
    @Flag(help: "Print a JSON array.") var json = false
    @OptionGroup var global: GlobalOptions

    func run() async throws {
        let context = try CLIContext.load(global)
        let deliveries = try await storeCall { try await context.openExistingStore()?.deliveries(state: state) ?? [] }
        if json {
            try JSONOutput.print(deliveries)
            return
        }
        guard !deliveries.isEmpty else {
            print("no \(state.map { "\($0.rawValue) " } ?? "")deliveries")
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
            "Queue events for delivery again (to every sink that had them); the running daemon picks them up within a second."
    )

    @Argument(help: "Event ids (see `jobwatch events --json` or `jobwatch deliveries`).") var eventIDs: [String] = []
    @Flag(help: "Re-queue every dead delivery.") var dead = false
    @OptionGroup var global: GlobalOptions

    func validate() throws {
        if dead == !eventIDs.isEmpty {
            throw ValidationError("give either event ids or --dead (not both, not neither)")
        }
    }

    func run() async throws {
        let context = try CLIContext.load(global)
        guard let store = try await context.openExistingStore() else {
            throw CLIFailure(.notFound, "no database at \(context.databasePath) yet, so no events to redeliver")
        }
        let result = try await storeCall {
            try await store.redeliver(eventIDs: dead ? nil : eventIDs, nowMillis: nowMillis())
        }
        if !result.unknown.isEmpty {
            throw CLIFailure(
                .notFound,
                "no event with id \(result.unknown.joined(separator: ", ")); nothing was re-queued (see `jobwatch deliveries`)"
            )
        }
        print("re-queued \(result.requeued) deliver\(result.requeued == 1 ? "y" : "ies")")
    }
}
