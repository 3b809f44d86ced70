/// What the poll and the delivery scheduler share: a look at the schedule suspends on the store, so looks
/// are serialized. A tick during a look makes that look run once more, never a second look beside it (it
/// could start the same poll or delivery twice); the watchdog asks whether a look has been under way too long.
protocol SerialLooks: Actor {
    var running: Bool { get }
    var looks: LookState { get set }
    /// Reads what is due, starts what may start, arms the timer for the rest.
    func look() async
}

/// The state behind `SerialLooks`.
struct LookState {
    /// When the look under way began; nil when none is.
    var startedAt: ContinuousClock.Instant?
    /// Something changed during the look: look once more when it ends.
    var again = false
}

extension SerialLooks {
    /// Something changed (the timer fired, an event or a registration arrived): look again.
    func tick() async {
        guard running else { return }
        if looks.startedAt != nil {
            looks.again = true
            return
        }
        repeat {
            looks.again = false
            looks.startedAt = .now
            await look()
            looks.startedAt = nil
        } while looks.again && running
    }

    /// A look is under way: what it read may be stale, so it must look once more.
    func lookAgainIfLooking() -> Bool {
        guard looks.startedAt != nil else { return false }
        looks.again = true
        return true
    }

    /// Whether a look has been under way for longer than `limit` (the watchdog's question).
    func isStuck(longerThan limit: Duration) -> Bool {
        looks.startedAt.map { $0.duration(to: .now) > limit } ?? false
    }
}
