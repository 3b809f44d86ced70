import Foundation
import HuaweiCloud
import JobwatchCore

/// The property every input must keep: a snapshot within its bounds, or `CloudError.malformed`; never a
/// trap, a hang or unbounded output. A violation stops the process (libFuzzer records the input).
enum DecoderFuzzing {
    static func check(_ bytes: [UInt8]) {
        // The first byte picks the API, so one corpus covers all three decoders.
        let api = JobAPI.allCases[Int(bytes.first ?? 0) % JobAPI.allCases.count]
        let body = Array(bytes.dropFirst())
        do {
            let decoded = try JobResponseDecoder.decodeReportingProblems(body, api: api, requestedJobID: "fuzz")
            let snapshot = decoded.snapshot
            guard ProgressFraction.validated(snapshot.progress) == snapshot.progress,
                snapshot.subJobs.count <= JobResponseDecoder.maxSubJobs,
                (try? JSONStyle.string(snapshot.entities)) != nil
            else { fatalError("decoded snapshot out of bounds for input of \(body.count) bytes") }
            var record = JobRecord(
                jobID: snapshot.jobID, api: api, account: "fuzz", region: nil, projectID: nil, registeredAtMillis: 0)
            record.apply(snapshot)
            // Whatever was decoded must be storable and sendable: the record encodes.
            guard (try? JSONStyle.string(record)) != nil else { fatalError("decoded record does not encode") }
        } catch is CloudError {
            // Refused as a whole: fine.
        } catch {
            fatalError("unexpected error \(error)")
        }
    }
}

#if JOBWATCH_FUZZ
/// libFuzzer's driver (in libclang_rt.fuzzer, linked by `-sanitize=fuzzer`).
@_silgen_name("LLVMFuzzerRunDriver")
func LLVMFuzzerRunDriver(
    _ argc: UnsafeMutablePointer<CInt>,
    _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?>,
    _ callback: @convention(c) (UnsafePointer<UInt8>?, Int) -> CInt
) -> CInt

/// The executable's entry point under SwiftPM, which links executables with `main` renamed to
/// `<module>_main` (`scripts/fuzz.sh` builds with `-sanitize=fuzzer -D JOBWATCH_FUZZ`): it hands over to
/// libFuzzer, whose own `main` is then not linked in.
@_cdecl("jobwatch_fuzz_main")
func fuzzMain(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> CInt {
    var count = argc
    var arguments = argv
    return LLVMFuzzerRunDriver(&count, &arguments) { data, size in
        DecoderFuzzing.check(data.map { Array(UnsafeBufferPointer(start: $0, count: size)) } ?? [])
        return 0
    }
}
#else
/// Without libFuzzer: replays the given files (a corpus, or crashes libFuzzer saved) through the same
/// check, so a finding can be reproduced with a normal build.
@main
struct ReplayCorpus {
    static func main() {
        let paths = CommandLine.arguments.dropFirst()
        if paths.isEmpty {
            let usage = "usage: jobwatch-fuzz FILE|DIRECTORY…  (fuzzing itself: scripts/fuzz.sh)\n"
            _ = usage.withCString { write(STDERR_FILENO, $0, strlen($0)) }
            exit(64)
        }
        var count = 0
        for path in paths {
            let files: [String]
            var isDirectory: ObjCBool = false
            if FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory), isDirectory.boolValue {
                files = ((try? FileManager.default.contentsOfDirectory(atPath: path)) ?? []).sorted().map {
                    path + "/" + $0
                }
            } else {
                files = [path]
            }
            for file in files {
                guard let data = FileManager.default.contents(atPath: file) else { continue }
                DecoderFuzzing.check(Array(data))
                count += 1
            }
        }
        print("\(count) inputs replayed without a failure")
    }
}
#endif
