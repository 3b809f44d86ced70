import Foundation
import JobwatchCore

/// Where the stdout sink writes an event.
package protocol EventPrinting: Sendable {
    func print(_ event: StoredEvent)
}

/// The stdout sink of CONTRACT §3: one CloudEvent per line (JSON Lines) and nothing else on stdout.
package struct JSONLinesPrinter: EventPrinting {
    package init() {}

    package func print(_ event: StoredEvent) {
        // One write per line, so lines never interleave.
        FileHandle.standardOutput.write(Data((event.body + "\n").utf8))
    }
}
