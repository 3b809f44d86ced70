import ArgumentParser
import Foundation
import JobwatchCore
import JobwatchStore

struct Events: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "The event log, oldest first; --json prints one CloudEvent per line (JSON Lines).")

    @Option(
        help: ArgumentHelp("Only events whose sequence is greater than SEQ (pass the last one seen).", valueName: "SEQ")
    )
    var since: Int64 = 0
    @Flag(help: "Keep waiting for new events.") var follow = false
    @Flag(help: "Print each event's CloudEvent JSON on its own line.") var json = false
    @OptionGroup var global: GlobalOptions

    func validate() throws {
        if since < 0 { throw ValidationError("--since must be 0 or a sequence number") }
    }

    func run() async throws {
        let context = try CLIContext.load(global)
        var store = try await context.openExistingStore()
        var cursor = since
        var printedHeader = false
        while true {
            let batch = try await storeCall { try await store?.events(since: cursor, limit: 500) ?? [] }
            for event in batch {
                if json {
                    JSONOutput.printLine(event.body)
                } else {
                    if !printedHeader {
                        print(Self.header)
                        printedHeader = true
                    }
                    print(InputRules.printable(Self.line(event)))
                }
                cursor = event.sequence
            }
            if batch.count == 500 { continue }
            guard follow else { break }
            if store == nil { store = try await context.openExistingStore() }
            try await Task.sleep(for: .milliseconds(250))
        }
        if !json && !printedHeader && !follow { print("no events\(since > 0 ? " after sequence \(since)" : "")") }
    }

    static let header =
        "SEQ     TIME                      TYPE                            JOB ID                            STATUS"

    static func line(_ event: StoredEvent) -> String {
        let status = event.decoded.flatMap(JobText.eventStatus) ?? "-"
        func pad(_ text: String, _ width: Int) -> String {
            text.padding(toLength: max(width, text.count), withPad: " ", startingAt: 0)
        }
        return pad(String(event.sequence), 7) + " " + pad(CloudTime.format(millis: event.createdAtMillis), 25) + " "
            + pad(event.type.rawValue, 31) + " " + pad(event.jobID, 33) + " " + status
    }
}
