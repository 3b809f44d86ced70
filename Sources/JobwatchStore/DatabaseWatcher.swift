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
    /// A look is scheduled or running (the source is suspended meanwhile).
    private var pending = false
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
            // A suspended source is resumed first: Dispatch runs the cancel handler (closing the descriptor)
            // only on a resumed source.
            if pending { source?.resume() }
            source?.cancel()
            source = nil
        }
    }

    /// The first change after a quiet spell: the source is suspended until the look is over, so the
    /// daemon's own commits (every WAL write is an inotify event, thousands a second while it polls) wake
    /// this queue once per look instead of once per write. The events of the pause wait in the descriptor;
    /// resuming makes the source fire again at once if there were any, hence one more look.
    private func drain() {
        guard let source, !pending else { return }
        pending = true
        source.suspend()
        queue.asyncAfter(deadline: .now() + .milliseconds(coalesceMillis)) { [weak self] in
            guard let self, self.source != nil else { return }
            // The events so far are covered by this look; those from here on make the next one.
            var buffer = [UInt8](repeating: 0, count: 4096)
            while read(self.descriptor, &buffer, buffer.count) > 0 {}
            let isForeign = self.isForeign
            let onChange = self.onChange
            Task {
                if await isForeign() { onChange() }
                self.queue.async {
                    guard self.pending, let source = self.source else { return }
                    self.pending = false
                    source.resume()
                }
            }
        }
    }
}
