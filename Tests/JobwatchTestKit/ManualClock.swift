import Synchronization

/// A clock the test moves by hand, in milliseconds since 1970.
package final class ManualClock: Sendable {
    private let millis: Mutex<Int64>

    /// 2026-03-27T02:14:03.552Z unless told otherwise.
    package init(_ start: Int64 = 1_774_577_643_552) {
        millis = Mutex(start)
    }

    package var now: Int64 { millis.withLock { $0 } }

    package func set(_ value: Int64) { millis.withLock { $0 = value } }

    package func advance(byMillis delta: Int64) { millis.withLock { $0 += delta } }

    /// `now` as the `@Sendable () -> Int64` the code under test takes.
    package var closure: @Sendable () -> Int64 { { self.now } }
}
