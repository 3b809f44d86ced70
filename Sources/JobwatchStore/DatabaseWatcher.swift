import Dispatch
import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// Wakes the daemon when another process (the CLI) writes the database: inotify on the database's
/// directory, so `jobwatch register` or `redeliver` is seen within milliseconds without any polling of
/// the file. Bursts are coalesced into one look per `coalesceMillis`; a look calls `onChange` only when
/// `isForeign` says another process committed (the daemon's own commits touch the same files).
final class DatabaseWatcher: StoreWatch, @unchecked Sendable {
    // All mutable state is confined to `queue`.
    private let queue = DispatchQueue(label: "jobwatch.database-watcher")
    private var source: DispatchSourceRead?
    private var descriptor: Int32 = -1
    /// A look is scheduled or running.
    private var pending = false
    /// Files changed while a look was running: look once more when it ends.
    private var again = false
    private let coalesceMillis: Int
    private let isForeign: @Sendable () async -> Bool
    private let onChange: @Sendable () -> Void

    init(
        coalesceMillis: Int = 20, isForeign: @escaping @Sendable () async -> Bool,
        onChange: @escaping @Sendable () -> Void
    ) {
        self.coalesceMillis = coalesceMillis
        self.isForeign = isForeign
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
        guard !pending else {
            again = true
            return
        }
        scheduleLook()
    }

    private func scheduleLook() {
        pending = true
        again = false
        queue.asyncAfter(deadline: .now() + .milliseconds(coalesceMillis)) { [weak self] in
            guard let self, self.source != nil else { return }
            let isForeign = self.isForeign
            let onChange = self.onChange
            Task {
                if await isForeign() { onChange() }
                self.queue.async {
                    self.pending = false
                    if self.again, self.source != nil { self.scheduleLook() }
                }
            }
        }
    }
}
