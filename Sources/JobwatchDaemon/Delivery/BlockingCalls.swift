import Dispatch

/// A serial Dispatch queue of its own for calls that may block for as long as someone else decides: a
/// `write(2)` to a pipe whose reader has stopped reading. The caller suspends until the call returns
/// instead of holding one of the cooperative pool's threads (two on a 2-core machine), so a stalled
/// standard output stalls only the stdout sink, never a scheduler. Calls run one at a time, in order.
final class BlockingCalls: Sendable {
    private let queue: DispatchQueue

    init(label: String) {
        queue = DispatchQueue(label: label)
    }

    func run<T: Sendable>(_ body: @escaping @Sendable () -> T) async -> T {
        await withCheckedContinuation { continuation in
            queue.async { continuation.resume(returning: body()) }
        }
    }
}
