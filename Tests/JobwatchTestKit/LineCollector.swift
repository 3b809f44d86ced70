import Foundation
import Synchronization

/// Splits a byte stream into lines as it arrives.
package final class LineCollector: Sendable {
    private let state = Mutex<(pending: Data, lines: [String])>((Data(), []))

    package init() {}

    package func feed(_ chunk: Data) {
        state.withLock { state in
            state.pending.append(chunk)
            while let newline = state.pending.firstIndex(of: 0x0A) {
                state.lines.append(String(decoding: state.pending[state.pending.startIndex..<newline], as: UTF8.self))
                state.pending.removeSubrange(state.pending.startIndex...newline)
            }
        }
    }

    package var lines: [String] { state.withLock { $0.lines } }

    /// Feeds everything that arrives on `pipe` (a child's standard output) as it comes, until it closes.
    package func follow(_ pipe: Pipe) {
        pipe.fileHandleForReading.readabilityHandler = { [self] handle in
            let chunk = handle.availableData
            guard !chunk.isEmpty else {
                handle.readabilityHandler = nil
                return
            }
            feed(chunk)
        }
    }
}
