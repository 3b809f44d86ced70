import ArgumentParser
import Foundation
import JobwatchCore
import JobwatchDaemon
import JobwatchSimulator
import JobwatchSystemd
import Logging
import UnixSignals

struct Simulate: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract:
            "Serve an imitation of the three Huawei Cloud job APIs on loopback, for trying jobwatch "
            + "without a cloud account.",
        discussion: """
            Requests must be signed with the AK/SK given by --ak/--sk or HUAWEICLOUD_SDK_AK/HUAWEICLOUD_SDK_SK \
            (unsigned requests are accepted when neither is set). Create jobs with --scenario FILE or \
            `POST /_simulator/jobs` (see the README). Point an account's endpoints (ims, workspace) at the printed URL.
            """)

    @Option(help: ArgumentHelp("The loopback address to listen on.", valueName: "HOST:PORT")) var listen =
        "127.0.0.1:8088"
    @Option(help: ArgumentHelp("A JSON scenario file of jobs to create at start.", valueName: "FILE")) var scenario:
        String?
    @Option(help: "The access key id requests must be signed with.") var ak: String?
    @Option(help: "The secret key requests must be signed with.") var sk: String?
    /// Accepted like everywhere, but unused: this command brings its own temporary state.
    @OptionGroup var global: GlobalOptions

    func validate() throws {
        guard let (host, _) = Self.hostAndPort(listen) else {
            throw ValidationError("--listen '\(listen)' is not HOST:PORT (e.g. 127.0.0.1:8088)")
        }
        if !LoopbackAddress.isLoopback(host) {
            throw ValidationError(
                "--listen \(host) is not a loopback address; the simulator serves 127.0.0.1 or ::1 only")
        }
        if (ak == nil) != (sk == nil) { throw ValidationError("give both --ak and --sk, or neither") }
    }

    static func hostAndPort(_ text: String) -> (String, Int)? {
        guard let colon = text.lastIndex(of: ":"), let port = Int(text[text.index(after: colon)...]),
            (0...65535).contains(port)
        else { return nil }
        let host = String(text[..<colon]).trimmingCharacters(in: CharacterSet(charactersIn: "[]"))
        return host.isEmpty ? nil : (host, port)
    }

    func run() async throws {
        let environment = ProcessInfo.processInfo.environment
        JobwatchLogHandler.bootstrap(level: .info, environment: environment)
        let logger = Logger(label: "jobwatch.simulator")
        var credentials: [String: String] = [:]
        if let ak, let sk {
            credentials[ak] = sk
        } else if let ak = environment["HUAWEICLOUD_SDK_AK"], let sk = environment["HUAWEICLOUD_SDK_SK"], !ak.isEmpty,
            !sk.isEmpty
        {
            credentials[ak] = sk
        }
        let simulator = Simulator(options: SimulatorOptions(credentials: credentials), logger: logger)
        if let scenario {
            do {
                let ids = try simulator.loadScenario(file: scenario)
                logger.info("scenario loaded", metadata: ["jobs": "\(ids.count)", "file": "\(scenario)"])
            } catch {
                throw CLIFailure(.dataError, "scenario \(scenario) cannot be used: \(error)")
            }
        }
        let (host, port) = Self.hostAndPort(listen)!
        let server: LoopbackHTTPServer
        do {
            server = try await simulator.start(host: host, port: port)
        } catch {
            throw CLIFailure(.unavailable, "cannot listen on \(listen): \(error); choose another port with --listen")
        }
        let signing =
            credentials.isEmpty
            ? "requests need no signature" : "requests must be signed with access key \(credentials.keys.first!)"
        try? StandardOutput.write("listening on \(server.baseURL)\n\(signing)\n")
        for await _ in await UnixSignalsSequence(trapping: .sigterm, .sigint) { break }
        await server.shutdown()
    }
}
