import Foundation
import HuaweiCloud
import JobwatchCore

#if canImport(Glibc)
import Glibc
#endif

/// The loopback ceiling: `wrk` (the Debian package) hammering the same in-process simulator the daemon
/// polls, with one signed "GET job" request (the simulator verifies its AK/SK signature, as for the
/// daemon), so that jobwatch's polls/s can be reported as a fraction of what the simulator can answer at
/// all on this machine.
struct LoopbackCeiling {
    struct Result {
        var requestsPerSecond: Double
        var non2xx: Int
        var simulatorCPUPercent: Double
        var connections: Int
    }

    /// Nil when `wrk` is not installed (`apt-get install wrk`).
    static func wrkPath() -> String? {
        ["/usr/bin/wrk", "/usr/local/bin/wrk"].first { FileManager.default.isExecutableFile(atPath: $0) }
    }

    /// Runs wrk for `seconds` with `connections` connections on one thread against one job of `cloud`.
    static func run(cloud: Cloud, jobID: String, connections: Int, seconds: Int) async throws -> Result {
        guard let wrk = wrkPath() else { throw BenchError("wrk is not installed: apt-get install wrk") }
        let url = URL(string: cloud.server.baseURL + "/v1/cloudimages/job/\(jobID)")!
        let host = "\(url.host ?? "127.0.0.1"):\(url.port ?? 80)"
        let headers = [("Host", host), ("Accept", "application/json"), ("X-Project-Id", Cloud.projectID)]
        let signer = RequestSigner(accessKey: Cloud.accessKey, secretKey: Cloud.secretKey)
        // Signed once: the simulator accepts a signature for 15 minutes, far longer than the run.
        let sdkDate = CloudTime.sdkDate(millis: nowMillis())
        let signature = signer.sign(
            method: "GET", url: url, headers: headers, signedHeaders: ["host", "x-sdk-date", "x-project-id"],
            body: [], sdkDate: sdkDate)
        var lua = "wrk.method = \"GET\"\n"
        for (name, value) in headers + [("X-Sdk-Date", signature.date), ("Authorization", signature.authorization)] {
            lua += "wrk.headers[\"\(name)\"] = \"\(value)\"\n"
        }
        let script = FileManager.default.temporaryDirectory.appendingPathComponent(
            "jobwatch-bench-wrk-\(getpid()).lua")
        try lua.write(to: script, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(at: script) }

        let process = Process()
        process.executableURL = URL(fileURLWithPath: wrk)
        process.arguments = [
            "-t1", "-c\(connections)", "-d\(seconds)s", "--timeout", "10s", "-s", script.path, url.absoluteString,
        ]
        let output = Pipe()
        process.standardOutput = output
        process.standardError = FileHandle(forWritingAtPath: "/dev/null")
        let cpu0 = ProcStats.cpuSeconds(pid: getpid()) ?? .nan
        let t0 = monotonicSeconds()
        try process.run()
        let text = try await offloaded { () -> String in
            let data = output.fileHandleForReading.readDataToEndOfFile()
            process.waitUntilExit()
            return String(decoding: data, as: UTF8.self)
        }
        let elapsed = monotonicSeconds() - t0
        let cpu1 = ProcStats.cpuSeconds(pid: getpid()) ?? .nan
        guard process.terminationStatus == 0, let rate = Self.number(after: "Requests/sec:", in: text) else {
            throw BenchError("wrk failed (exit \(process.terminationStatus)): \(text.prefix(300))")
        }
        let non2xx = Int(Self.number(after: "Non-2xx or 3xx responses:", in: text) ?? 0)
        return Result(
            requestsPerSecond: rate, non2xx: non2xx, simulatorCPUPercent: (cpu1 - cpu0) / elapsed * 100,
            connections: connections)
    }

    /// The number that follows `label` on its line of wrk's report.
    static func number(after label: String, in text: String) -> Double? {
        for line in text.split(separator: "\n") {
            guard let range = line.range(of: label) else { continue }
            return Double(
                line[range.upperBound...].trimmingCharacters(in: .whitespaces).split(separator: " ").first ?? "")
        }
        return nil
    }
}
