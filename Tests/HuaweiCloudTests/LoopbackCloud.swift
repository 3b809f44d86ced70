import Foundation
import HuaweiCloud
import JobwatchSimulator

/// The requests a test server received, in order.
actor RequestLog {
    private(set) var requests: [ServerRequest] = []

    func record(_ request: ServerRequest) {
        requests.append(request)
    }

    var paths: [String] { requests.map(\.path) }
}

/// Runs `body` against a loopback server playing the cloud, with a fresh shared HTTP client; both are shut down after.
/// The default timeout is generous: a loaded machine must not turn a prompt answer into a timeout (the tests of
/// timeouts set their own).
func withLoopbackCloud(
    requestTimeoutMillis: Int64 = 10_000, maxConnectionsPerHost: Int = 64,
    handler: @escaping LoopbackHTTPServer.Handler,
    _ body: (LoopbackHTTPServer, CloudHTTPClient) async throws -> Void
) async throws {
    let server = try await LoopbackHTTPServer.start(handler: handler)
    let client = CloudHTTPClient(
        requestTimeoutMillis: requestTimeoutMillis, maxConnectionsPerHost: maxConnectionsPerHost)
    do {
        try await body(server, client)
    } catch {
        await client.shutdown()
        await server.shutdown()
        throw error
    }
    await client.shutdown()
    await server.shutdown()
}

/// What a gateway does with an `SDK-HMAC-SHA256` request: recompute the signature from what arrived.
enum GatewayCheck {
    struct Authorization {
        var accessKey: String
        var signedHeaders: [String]
        var signature: String
    }

    static func authorization(_ request: ServerRequest) -> Authorization? {
        guard let header = request.header("Authorization"), header.hasPrefix("SDK-HMAC-SHA256 ") else { return nil }
        var fields: [String: String] = [:]
        for part in header.dropFirst("SDK-HMAC-SHA256 ".count).components(separatedBy: ", ") {
            let pair = part.split(separator: "=", maxSplits: 1).map(String.init)
            if pair.count == 2 { fields[pair[0]] = pair[1] }
        }
        guard let ak = fields["Access"], let names = fields["SignedHeaders"], let signature = fields["Signature"] else {
            return nil
        }
        return Authorization(accessKey: ak, signedHeaders: names.components(separatedBy: ";"), signature: signature)
    }

    /// True when the signature the request carries is the one its own method, target, headers and body give.
    static func signatureIsValid(_ request: ServerRequest, secretKey: String) -> Bool {
        guard let auth = authorization(request), let host = request.header("Host"),
            let date = request.header("X-Sdk-Date"), let url = URL(string: "http://\(host)\(request.uri)")
        else { return false }
        let canonical = RequestSigner.canonicalRequest(
            method: request.method, url: url, headers: request.headers, signedHeaderNames: auth.signedHeaders,
            body: request.body)
        let expected = RequestSigner(accessKey: auth.accessKey, secretKey: secretKey)
            .signature(canonicalRequest: canonical, sdkDate: date)
        return expected == auth.signature
    }
}
