import Foundation
import Synchronization

#if canImport(Glibc)
import Glibc
#endif

// MARK: - Clocks

/// Wall-clock milliseconds (with fractions), the clock the daemon stamps its rows and events with.
func wallMillis() -> Double {
    var ts = timespec()
    clock_gettime(CLOCK_REALTIME, &ts)
    return Double(ts.tv_sec) * 1000 + Double(ts.tv_nsec) / 1_000_000
}

func nowMillis() -> Int64 { Int64(wallMillis().rounded()) }

/// Monotonic seconds, for measuring windows.
func monotonicSeconds() -> Double {
    var ts = timespec()
    clock_gettime(CLOCK_MONOTONIC, &ts)
    return Double(ts.tv_sec) + Double(ts.tv_nsec) / 1_000_000_000
}

func sleep(seconds: Double) async {
    try? await Task.sleep(for: .milliseconds(Int(seconds * 1000)))
}

/// Runs blocking work on a Dispatch thread, so it never holds one of the (two) cooperative threads that
/// also serve the in-process simulator and webhook receiver.
func offloaded<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
    try await withCheckedThrowingContinuation { continuation in
        DispatchQueue.global().async { continuation.resume(with: Result { try body() }) }
    }
}

// MARK: - /proc

/// CPU time and memory of a process, from /proc.
struct ProcStats {
    static let ticksPerSecond = Double(sysconf(Int32(_SC_CLK_TCK)))

    /// utime + stime in seconds (all threads), nil when the process is gone.
    static func cpuSeconds(pid: Int32) -> Double? {
        guard let text = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
            let close = text.lastIndex(of: ")")
        else { return nil }
        // Fields after "pid (comm)": state is field 3; utime and stime are fields 14 and 15.
        let fields = text[text.index(after: close)...].split(separator: " ")
        guard fields.count > 13, let utime = Double(fields[11]), let stime = Double(fields[12]) else { return nil }
        return (utime + stime) / ticksPerSecond
    }

    /// CPU seconds of a process and of every child it has waited for (cutime + cstime) or still has: a
    /// server's whole tree (PostgreSQL's postmaster reaps each session it forked), nil when it is gone.
    static func treeCPUSeconds(root: Int32) -> Double? {
        func fields(_ pid: String) -> [Substring]? {
            guard let text = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
                let close = text.lastIndex(of: ")")
            else { return nil }
            // After "pid (comm)": state, ppid, …; utime, stime, cutime, cstime are fields 14 to 17.
            let fields = text[text.index(after: close)...].split(separator: " ")
            return fields.count > 15 ? fields : nil
        }
        func ticks(_ fields: [Substring]) -> Double {
            fields[11...14].reduce(0) { $0 + (Double($1) ?? 0) }
        }
        guard let rootFields = fields("\(root)") else { return nil }
        var total = ticks(rootFields)
        let entries = (try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? []
        for entry in entries where entry.first?.isNumber == true && entry != "\(root)" {
            guard let child = fields(entry), child[1] == "\(root)" else { continue }
            total += ticks(child)
        }
        return total / ticksPerSecond
    }

    /// A `Key:   123 kB` line of /proc/PID/status, in KiB.
    static func statusValue(pid: Int32, key: String) -> Int? {
        guard let text = try? String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8) else { return nil }
        for line in text.split(separator: "\n") where line.hasPrefix(key + ":") {
            return Int(line.dropFirst(key.count + 1).split(whereSeparator: { $0 == " " || $0 == "\t" }).first ?? "")
        }
        return nil
    }

    static func peakRSSMiB(pid: Int32) -> Double? { statusValue(pid: pid, key: "VmHWM").map { Double($0) / 1024 } }
    static func rssMiB(pid: Int32) -> Double? { statusValue(pid: pid, key: "VmRSS").map { Double($0) / 1024 } }
    static func threads(pid: Int32) -> Int? { statusValue(pid: pid, key: "Threads") }
    /// Context switches of every thread (/proc/PID/status counts the main thread only): a count of wake-ups.
    static func contextSwitches(pid: Int32) -> Int? {
        guard let tasks = try? FileManager.default.contentsOfDirectory(atPath: "/proc/\(pid)/task") else { return nil }
        var total = 0
        for task in tasks {
            guard let text = try? String(contentsOfFile: "/proc/\(pid)/task/\(task)/status", encoding: .utf8) else {
                continue
            }
            for line in text.split(separator: "\n")
            where line.hasPrefix("voluntary_ctxt_switches:") || line.hasPrefix("nonvoluntary_ctxt_switches:") {
                total += Int(line.split(whereSeparator: { $0 == " " || $0 == "\t" }).last ?? "") ?? 0
            }
        }
        return total
    }
}

// MARK: - sd_notify receiver

/// A datagram socket standing in for systemd's notification socket.
final class NotifySocket: @unchecked Sendable {
    let path: String
    private let descriptor: Int32

    init(directory: URL) throws {
        path = directory.appendingPathComponent("notify.sock").path
        unlink(path)
        descriptor = socket(AF_UNIX, Int32(SOCK_DGRAM.rawValue), 0)
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        withUnsafeMutableBytes(of: &address.sun_path) { raw in
            for (index, byte) in path.utf8.enumerated() where index < raw.count - 1 { raw[index] = byte }
        }
        let result = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                bind(descriptor, $0, socklen_t(MemoryLayout<sockaddr_un>.size))
            }
        }
        guard result == 0 else { throw BenchError("cannot bind the notify socket \(path)") }
        var timeout = timeval(tv_sec: 0, tv_usec: 2_000)
        setsockopt(descriptor, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
    }

    deinit { close(descriptor) }

    /// Blocks (call it off the cooperative pool) until a datagram containing `text` arrives; returns the
    /// monotonic time it was received, or nil after `timeout` seconds.
    func waitFor(_ text: String, timeout: Double) -> Double? {
        let deadline = monotonicSeconds() + timeout
        var buffer = [UInt8](repeating: 0, count: 4096)
        while monotonicSeconds() < deadline {
            let count = recv(descriptor, &buffer, buffer.count, 0)
            guard count > 0 else { continue }
            if String(decoding: buffer[0..<count], as: UTF8.self).contains(text) { return monotonicSeconds() }
        }
        return nil
    }

    /// Discards whatever is queued.
    func drain() {
        var buffer = [UInt8](repeating: 0, count: 4096)
        while recv(descriptor, &buffer, buffer.count, Int32(MSG_DONTWAIT)) > 0 {}
    }
}

// MARK: - Statistics and output

struct BenchError: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}

/// The nearest-rank percentile (p in 0...100) of unsorted values; nan when empty.
func percentile(_ values: [Double], _ p: Double) -> Double {
    guard !values.isEmpty else { return .nan }
    let sorted = values.sorted()
    let rank = Int((p / 100 * Double(sorted.count)).rounded(.up)) - 1
    return sorted[min(max(rank, 0), sorted.count - 1)]
}

func mean(_ values: [Double]) -> Double {
    values.isEmpty ? .nan : values.reduce(0, +) / Double(values.count)
}

func fmt(_ value: Double, _ digits: Int = 1) -> String {
    value.isNaN ? "n/a" : String(format: "%.\(digits)f", value)
}

/// One line of the summary table.
struct ResultRow: Sendable {
    var metric: String
    var target: String
    var measured: String
    /// nil: informational, no target.
    var met: Bool?
}

/// Progress lines go to stderr so that stdout carries only the tables.
func note(_ text: String) {
    FileHandle.standardError.write(Data(("  " + text + "\n").utf8))
}

func renderTable(_ header: [String], _ rows: [[String]], markdown: Bool) -> String {
    if markdown {
        var out = "| " + header.joined(separator: " | ") + " |\n"
        out += "|" + header.map { _ in "---" }.joined(separator: "|") + "|\n"
        for row in rows { out += "| " + row.joined(separator: " | ") + " |\n" }
        return out
    }
    var widths = header.map(\.count)
    for row in rows { for (i, cell) in row.enumerated() { widths[i] = max(widths[i], cell.count) } }
    func line(_ cells: [String]) -> String {
        cells.enumerated().map { $0.element.padding(toLength: widths[$0.offset], withPad: " ", startingAt: 0) }
            .joined(separator: "  ").trimmingCharacters(in: .whitespaces)
    }
    return ([line(header), widths.map { String(repeating: "-", count: $0) }.joined(separator: "  ")] + rows.map(line))
        .joined(separator: "\n") + "\n"
}
