import Dispatch
import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// Wakes the daemon when another process (the CLI) writes the database: inotify on the database's
/// directory, so `jobwatch register` or `redeliver` is seen within milliseconds without any polling of
/// the file. Bursts are coalesced into one wake-up per `coalesceMillis`.
final class DatabaseWatcher: @unchecked Sendable {
    // All mutable state is confined to `queue`.
    private let queue = DispatchQueue(label: "jobwatch.database-watcher")
    private var source: DispatchSourceRead?
    private var descriptor: Int32 = -1
    private var pending = false
    private let coalesceMillis: Int
    private let onChange: @Sendable () -> Void

    init(coalesceMillis: Int = 20, onChange: @escaping @Sendable () -> Void) {
        self.coalesceMillis = coalesceMillis
        self.onChange = onChange
    }

    /// Starts watching; returns false (and the daemon relies on its timers alone) when inotify is unavailable.
    @discardableResult
    func start(databasePath: String) -> Bool {
        let directory = (databasePath as NSString).deletingLastPathComponent
        let fd = inotify_init1(Int32(IN_NONBLOCK | IN_CLOEXEC))
        guard fd >= 0 else { return false }
        let mask = UInt32(IN_MODIFY | IN_CREATE | IN_MOVED_TO | IN_CLOSE_WRITE)
        guard inotify_add_watch(fd, directory.isEmpty ? "." : directory, mask) >= 0 else {
            close(fd)
            return false
        }
        descriptor = fd
        let source = DispatchSource.makeReadSource(fileDescriptor: fd, queue: queue)
        source.setEventHandler { [weak self] in self?.drain() }
        source.setCancelHandler { close(fd) }
        self.source = source
        source.activate()
        return true
    }

    func stop() {
        queue.sync {
            source?.cancel()
            source = nil
        }
    }

    private func drain() {
        var buffer = [UInt8](repeating: 0, count: 4096)
        while read(descriptor, &buffer, buffer.count) > 0 {}
        guard !pending else { return }
        pending = true
        queue.asyncAfter(deadline: .now() + .milliseconds(coalesceMillis)) { [weak self] in
            guard let self else { return }
            self.pending = false
            self.onChange()
        }
    }
}
