import Foundation
import HuaweiCloud
import JobwatchCore

/// Verifies `SDK-HMAC-SHA256` signatures the way the API gateway does: it recomputes the canonical request
/// from what it received (method, path, query, the headers named in `SignedHeaders`, the body) and compares.
struct SignatureVerifier: Sendable {
    /// Access key → secret key.
    let credentials: [String: String]

    /// How far `X-Sdk-Date` may be from the gateway's clock.
    static let allowedSkewMillis: Int64 = 15 * 60 * 1000

    /// nil when the request is signed correctly, else the gateway's 401 answer.
    func rejection(of request: ServerRequest, now: Int64, requestID: String) -> ServerResponse? {
        func reject(_ detail: String, code: String = "APIGW.0301") -> ServerResponse {
            let prefix = code == "APIGW.0301" ? "Incorrect IAM authentication information: " : ""
            return CloudErrorBody.gateway(401, code: code, message: prefix + detail, requestID: requestID)
        }
        guard let authorization = request.header("Authorization") else { return reject("Authorization not found") }
        guard let parsed = Self.parse(authorization) else { return reject("unsupported authorization format") }
        guard let secretKey = credentials[parsed.accessKey] else { return reject("the access key does not exist") }
        let names = parsed.signedHeaders.map { $0.lowercased() }
        guard names.contains("x-sdk-date") else { return reject("x-sdk-date is not a signed header") }
        guard let sdkDate = request.header("X-Sdk-Date"), let signedAt = Self.parseSDKDate(sdkDate) else {
            return reject("X-Sdk-Date is missing or not in the form YYYYMMDDTHHMMSSZ")
        }
        if abs(now - signedAt) > Self.allowedSkewMillis {
            return reject(
                "Incorrect IAM authentication information: signature expired, X-Sdk-Date \(sdkDate) is more than "
                    + "15 minutes away from the server time \(CloudTime.sdkDate(millis: now))", code: "APIGW.0303")
        }
        let host = request.header("Host") ?? "127.0.0.1"
        guard let url = URL(string: "http://\(host)\(request.uri)") ?? URL(string: "http://127.0.0.1\(request.uri)")
        else {
            return reject("the request target cannot be parsed")
        }
        let canonical = RequestSigner.canonicalRequest(
            method: request.method, url: url, headers: request.headers, signedHeaderNames: names, body: request.body)
        let expected = RequestSigner(accessKey: parsed.accessKey, secretKey: secretKey)
            .signature(canonicalRequest: canonical, sdkDate: sdkDate)
        guard Self.constantTimeEqual(expected, parsed.signature) else {
            let shown = canonical.replacingOccurrences(of: "\n", with: "|")
            return reject("verify aksk signature fail, canonicalRequest: \(shown)")
        }
        return nil
    }

    /// `SDK-HMAC-SHA256 Access=AK, SignedHeaders=a;b, Signature=hex`.
    static func parse(_ authorization: String) -> (accessKey: String, signedHeaders: [String], signature: String)? {
        let prefix = RequestSigner.algorithm + " "
        guard authorization.hasPrefix(prefix) else { return nil }
        var fields: [String: String] = [:]
        for part in authorization.dropFirst(prefix.count).split(separator: ",") {
            let pair = part.split(separator: "=", maxSplits: 1)
            guard pair.count == 2 else { return nil }
            fields[pair[0].trimmingCharacters(in: .whitespaces)] = pair[1].trimmingCharacters(in: .whitespaces)
        }
        guard let access = fields["Access"], let signed = fields["SignedHeaders"], let signature = fields["Signature"]
        else { return nil }
        return (access, signed.split(separator: ";").map(String.init), signature)
    }

    /// `20060102T150405Z` → milliseconds since 1970.
    static func parseSDKDate(_ text: String) -> Int64? {
        let c = Array(text)
        guard c.count == 16, c[8] == "T", c[15] == "Z" else { return nil }
        let s = String(c)
        let iso =
            "\(s.prefix(4))-\(s.dropFirst(4).prefix(2))-\(s.dropFirst(6).prefix(2))T"
            + "\(s.dropFirst(9).prefix(2)):\(s.dropFirst(11).prefix(2)):\(s.dropFirst(13).prefix(2))Z"
        return CloudTime.parseMillis(iso)
    }

    private static func constantTimeEqual(_ a: String, _ b: String) -> Bool {
        let x = Array(a.utf8), y = Array(b.utf8)
        guard x.count == y.count else { return false }
        var difference: UInt8 = 0
        for i in x.indices { difference |= x[i] ^ y[i] }
        return difference == 0
    }
}
