import Foundation

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// Creates the database file before SQLite does, with the mode operators sharing it need.
///
/// SQLite creates a database `0644` less the umask, and gives its `-wal` and `-shm` files the database file's
/// mode. With the unit's `UMask=0007` that is `0640`: members of the group could not even read, since a WAL
/// reader needs write access to `-shm`. So when the directory is set-gid (the service's `StateDirectoryMode=2770`)
/// or the umask lets the group write, the file is created group read-write (`0660`), whatever the umask
/// removes from it; otherwise as SQLite would have.
package enum DatabaseFile {
    /// The mode a new database file gets in `directory` under `umask`.
    package static func mode(directorySetGID: Bool, umask: mode_t) -> mode_t {
        let sqliteDefault: mode_t = 0o644 & ~umask
        let shared = directorySetGID || umask & 0o020 == 0
        return shared ? (sqliteDefault | 0o660) & ~(umask & 0o007) : sqliteDefault
    }

    /// Creates the directory and an empty database file (SQLite takes a 0-byte file for a new database)
    /// when they are missing.
    static func createIfMissing(_ path: String) throws {
        let directory = (path as NSString).deletingLastPathComponent
        if !directory.isEmpty, !FileManager.default.fileExists(atPath: directory) {
            do {
                try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
            } catch {
                throw StoreError(
                    "cannot create the database directory \(directory): \(error.localizedDescription); create "
                        + "it or choose another path with --db"
                )
            }
        }
        guard !FileManager.default.fileExists(atPath: path) else {
            shareIfNeeded(path)
            return
        }
        var info = stat()
        let setGID = stat(directory.isEmpty ? "." : directory, &info) == 0 && info.st_mode & S_ISGID != 0
        let mode = mode(directorySetGID: setGID, umask: currentUmask())
        let fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, mode)
        if fd < 0 {
            // Another process created it meanwhile: theirs stands. Any other failure shows when SQLite opens it.
            return
        }
        // open(2) applies the umask; the mode chosen above already accounts for it.
        _ = fchmod(fd, mode)
        close(fd)
    }

    /// A database created before jobwatch made it group-shared (SQLite's `0640` under `UMask=0007`) gets the
    /// group's read-write bits back, with its `-wal` and `-shm`, when this process owns them and the
    /// directory is set-gid or the umask lets the group write: an upgrade fixes what operators could not use.
    /// Files of other owners are left alone (only their owner may change their mode).
    static func shareIfNeeded(_ path: String) {
        let directory = (path as NSString).deletingLastPathComponent
        var info = stat()
        let setGID = stat(directory.isEmpty ? "." : directory, &info) == 0 && info.st_mode & S_ISGID != 0
        guard setGID || currentUmask() & 0o020 == 0 else { return }
        for file in [path, path + "-wal", path + "-shm"] {
            var fileInfo = stat()
            guard stat(file, &fileInfo) == 0, fileInfo.st_uid == geteuid(), fileInfo.st_mode & 0o060 != 0o060 else {
                continue
            }
            _ = chmod(file, (fileInfo.st_mode & 0o7777) | 0o060)
        }
    }

    /// The process's umask, read without changing it (`/proc/self/status`), else by setting it back at once.
    static func currentUmask() -> mode_t {
        if let status = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8),
            let line = status.split(separator: "\n").first(where: { $0.hasPrefix("Umask:") }),
            let value = mode_t(line.dropFirst("Umask:".count).trimmingCharacters(in: .whitespaces), radix: 8)
        {
            return value
        }
        let value = umask(0o022)
        umask(value)
        return value
    }
}
