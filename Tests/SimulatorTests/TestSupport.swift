import Foundation
import JobwatchTestKit
import Logging

@testable import JobwatchSimulator

func makeSimulator(
    clock: ManualClock, credentials: [String: String] = [:], iamUsers: [String: String] = [:]
) -> Simulator {
    Simulator(
        options: SimulatorOptions(credentials: credentials, iamUsers: iamUsers, now: { clock.now }),
        logger: Logger(label: "simulator-tests"))
}

/// One answer of the simulator, read in-process.
struct Answer {
    var status: Int
    var headers: [(String, String)]
    var json: [String: Any]

    func header(_ name: String) -> String? { headers.first { $0.0.lowercased() == name.lowercased() }?.1 }
    var entities: [String: Any] { json["entities"] as? [String: Any] ?? [:] }
    func string(_ key: String) -> String? { json[key] as? String }
}

extension Simulator {
    func get(_ path: String, headers: [(String, String)] = []) async -> Answer {
        let response = await handle(ServerRequest(method: "GET", uri: path, headers: headers, body: []))
        return Answer(response)
    }

    func post(_ path: String, _ body: String) async -> Answer {
        let response = await handle(ServerRequest(method: "POST", uri: path, headers: [], body: Array(body.utf8)))
        return Answer(response)
    }
}

extension Answer {
    init(_ response: ServerResponse) {
        status = response.status
        headers = response.headers
        json = (try? JSONSerialization.jsonObject(with: Data(response.body))) as? [String: Any] ?? [:]
    }
}

func jsonObject(_ bytes: [UInt8]) -> [String: Any]? {
    (try? JSONSerialization.jsonObject(with: Data(bytes))) as? [String: Any]
}
