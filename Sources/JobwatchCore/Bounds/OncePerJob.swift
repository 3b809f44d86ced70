import Synchronization

/// Remembers what was last logged about each job, so that a problem the cloud repeats on every poll is
/// logged once (and again only when it changes), not once per poll.
package final class OncePerJob: Sendable {
    /// Entries kept at most; past it the memory starts afresh (a problem may then be logged once more).
    static let capacity = 10_000

    private let logged = Mutex<[String: String]>([:])

    package init() {}

    /// True when `problem` is new for `job` (and remembers it); nil clears the job's entry. `job` is only
    /// built when needed (nothing to clear, the common case of a poll without problems, builds nothing).
    package func shouldLog(_ problem: String?, for job: @autoclosure () -> String) -> Bool {
        logged.withLock { entries in
            guard let problem else {
                if !entries.isEmpty { entries[job()] = nil }
                return false
            }
            let job = job()
            if entries[job] == problem { return false }
            if entries.count >= Self.capacity { entries.removeAll(keepingCapacity: true) }
            entries[job] = problem
            return true
        }
    }
}
