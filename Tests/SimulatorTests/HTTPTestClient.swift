import AsyncHTTPClient
import Foundation
import HuaweiCloud
import JobwatchCore
import NIOCore
import NIOHTTP1

@testable import JobwatchSimulator

/// A running simulator on 127.0.0.1 and an HTTP client to talk to it; `close()` stops the server.
/// The client is AsyncHTTPClient's process-wide `shared` one, which needs no shutdown: a test that throws
/// before `close()` leaks a loopback listener at worst, never a client whose deinit traps in debug builds.
struct LiveSimulator {
    let simulator: Simulator
    let server: LoopbackHTTPServer
    var client: HTTPClient { .shared }

    static func start(_ simulator: Simulator) async throws -> LiveSimulator {
        LiveSimulator(simulator: simulator, server: try await simulator.start())
    }

    struct Reply {
        var status: Int
        var headers: HTTPHeaders
        var body: [UInt8]
        var json: [String: Any]? { jsonObject(body) }
    }

    func send(
        _ path: String, method: HTTPMethod = .GET, headers: [(String, String)] = [], body: String? = nil
    ) async throws -> Reply {
        var request = HTTPClientRequest(url: server.baseURL + path)
        request.method = method
        for (name, value) in headers { request.headers.add(name: name, value: value) }
        if let body { request.body = .bytes(ByteBuffer(string: body)) }
        let response = try await client.execute(request, timeout: .seconds(20))
        let bytes = try await response.body.collect(upTo: 1 << 20)
        return Reply(status: Int(response.status.code), headers: response.headers, body: Array(bytes.readableBytesView))
    }

    /// A GET signed like the official SDKs sign it (`host;x-sdk-date`).
    func signedGet(_ path: String, ak: String, sk: String, sdkDate: String) async throws -> Reply {
        let host = "\(server.host):\(server.port)"
        let url = try parseURL(server.baseURL + path)
        let signer = RequestSigner(accessKey: ak, secretKey: sk)
        let signed = signer.sign(
            method: "GET", url: url, headers: [("Host", host)], signedHeaders: ["host", "x-sdk-date"], body: [],
            sdkDate: sdkDate)
        return try await send(
            path, headers: [("Host", host), ("X-Sdk-Date", signed.date), ("Authorization", signed.authorization)])
    }

    func close() async throws {
        await server.shutdown()
    }
}

private func parseURL(_ text: String) throws -> URL {
    guard let url = URL(string: text) else { throw URLError(.badURL) }
    return url
}
