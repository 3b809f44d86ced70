import Crypto
import Foundation

/// AK/SK request signing, `SDK-HMAC-SHA256`, exactly as the official Huawei Cloud SDKs sign
/// (reference/huawei-cloud.md; the SDKs' own test vectors are in the tests).
package struct RequestSigner: Sendable {
    package static let algorithm = "SDK-HMAC-SHA256"
    package static let unsignedPayload = "UNSIGNED-PAYLOAD"

    package let accessKey: String
    /// The HMAC key, made once (not once per request).
    private let key: SigningKey

    package init(accessKey: String, secretKey: String) {
        self.accessKey = accessKey
        key = SigningKey(SymmetricKey(data: Array(secretKey.utf8)))
    }

    /// The headers to add to a request: `X-Sdk-Date` and `Authorization`.
    ///
    /// `headers` are the headers the request will carry; those named in `signedHeaders` (case-insensitive)
    /// take part in the signature. Header names containing `_` are never signed.
    package func sign(
        method: String, url: URL, headers: [(String, String)], signedHeaders: [String], body: [UInt8], sdkDate: String
    ) -> (date: String, authorization: String) {
        var all = headers
        if !all.contains(where: { $0.0.lowercased() == "x-sdk-date" }) { all.append(("X-Sdk-Date", sdkDate)) }
        let names = Self.signedHeaderNames(signedHeaders)
        let canonical = Self.canonicalRequest(
            method: method, url: url, headers: all, signedHeaderNames: names, body: body)
        let signature = signature(canonicalRequest: canonical, sdkDate: sdkDate)
        return (
            sdkDate,
            "\(Self.algorithm) Access=\(accessKey), SignedHeaders=\(names.joined(separator: ";")), "
                + "Signature=\(signature)"
        )
    }

    /// The lower-hex signature of a canonical request.
    package func signature(canonicalRequest: String, sdkDate: String) -> String {
        let stringToSign = Self.stringToSign(canonicalRequest: canonicalRequest, sdkDate: sdkDate)
        let mac = HMAC<SHA256>.authenticationCode(for: Array(stringToSign.utf8), using: key.value)
        return Self.hex(mac)
    }

    package static func stringToSign(canonicalRequest: String, sdkDate: String) -> String {
        "\(algorithm)\n\(sdkDate)\n\(hex(SHA256.hash(data: Array(canonicalRequest.utf8))))"
    }

    /// Lower-case, sorted, de-duplicated names, without any containing `_`.
    package static func signedHeaderNames(_ names: [String]) -> [String] {
        Array(Set(names.map { $0.lowercased() }.filter { !$0.contains("_") })).sorted()
    }

    /// The six-line canonical request.
    package static func canonicalRequest(
        method: String, url: URL, headers: [(String, String)], signedHeaderNames: [String], body: [UInt8]
    ) -> String {
        // As sent: the percent-encoded path and query (the same as URLComponents', without building one).
        let path = url.path(percentEncoded: true)
        let query = parseQuery(url.query(percentEncoded: true))
        var lookup: [String: String] = [:]
        for (name, value) in headers {
            lookup[name.lowercased()] = trimmed(value)
        }
        // The Host header is signed with the port when it is not the scheme's default.
        if lookup["host"] == nil, let host = url.host {
            let defaultPort = url.scheme == "https" ? 443 : 80
            lookup["host"] = url.port.map { $0 == defaultPort ? host : "\(host):\($0)" } ?? host
        }
        let canonicalHeaders = signedHeaderNames.map { "\($0):\(lookup[$0] ?? "")\n" }.joined()
        let payloadHash =
            lookup["x-sdk-content-sha256"] == unsignedPayload
            ? unsignedPayload : body.isEmpty ? emptyPayloadHash : hex(SHA256.hash(data: body))
        return [
            method.uppercased(), canonicalURI(percentEncodedPath: path), canonicalQuery(query), canonicalHeaders,
            signedHeaderNames.joined(separator: ";"), payloadHash,
        ].joined(separator: "\n")
    }

    /// Each segment decoded then re-encoded with RFC 3986 unreserved characters kept, always ending in `/`.
    package static func canonicalURI(percentEncodedPath path: String) -> String {
        let segments = path.split(separator: "/", omittingEmptySubsequences: false).map { segment in
            // Decoding changes only a segment with a `%` in it.
            let text = String(segment)
            return encode(text.utf8.contains(UInt8(ascii: "%")) ? text.removingPercentEncoding ?? text : text)
        }
        var uri = segments.joined(separator: "/")
        if !uri.hasPrefix("/") { uri = "/" + uri }
        if !uri.hasSuffix("/") { uri += "/" }
        return uri
    }

    /// Keys sorted, values of a repeated key sorted, keys and values percent-encoded, joined by `&`.
    package static func canonicalQuery(_ pairs: [(String, String)]) -> String {
        var grouped: [String: [String]] = [:]
        for (key, value) in pairs { grouped[key, default: []].append(value) }
        return grouped.keys.sorted().flatMap { key in
            grouped[key, default: []].sorted().map { "\(encode(key))=\(encode($0))" }
        }.joined(separator: "&")
    }

    /// RFC 3986 encoding: `A-Za-z0-9-_.~` kept, everything else as upper-case `%XX` of its UTF-8 bytes.
    package static func encode(_ text: String) -> String {
        // Ids and most path segments need no encoding at all: returned as they are.
        guard text.utf8.contains(where: { !isUnreserved($0) }) else { return text }
        var result: [UInt8] = []
        result.reserveCapacity(text.utf8.count * 3)
        for byte in text.utf8 {
            if isUnreserved(byte) {
                result.append(byte)
            } else {
                result.append(UInt8(ascii: "%"))
                result.append(upperHexDigits[Int(byte >> 4)])
                result.append(upperHexDigits[Int(byte & 0x0F)])
            }
        }
        return String(decoding: result, as: UTF8.self)
    }

    private static let upperHexDigits = Array("0123456789ABCDEF".utf8)

    private static func isUnreserved(_ byte: UInt8) -> Bool {
        switch byte {
        case UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "a")...UInt8(ascii: "z"),
            UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "-"), UInt8(ascii: "_"), UInt8(ascii: "."),
            UInt8(ascii: "~"):
            return true
        default:
            return false
        }
    }

    static func parseQuery(_ percentEncodedQuery: String?) -> [(String, String)] {
        guard let query = percentEncodedQuery, !query.isEmpty else { return [] }
        return query.split(separator: "&").map { pair in
            let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            let decode = { (s: Substring) in
                String(s).replacingOccurrences(of: "+", with: " ").removingPercentEncoding ?? String(s)
            }
            return (decode(parts[0]), parts.count > 1 ? decode(parts[1]) : "")
        }
    }

    /// Lower-case hex, two digits a byte.
    static func hex<D: Sequence>(_ digest: D) -> String where D.Element == UInt8 {
        var text: [UInt8] = []
        text.reserveCapacity(64)
        for byte in digest {
            text.append(hexDigits[Int(byte >> 4)])
            text.append(hexDigits[Int(byte & 0x0F)])
        }
        return String(decoding: text, as: UTF8.self)
    }

    private static let hexDigits = Array("0123456789abcdef".utf8)
    /// The SHA-256 of an empty body (every GET), computed once.
    private static let emptyPayloadHash = hex(SHA256.hash(data: [UInt8]()))

    /// A header value without leading and trailing spaces and tabs; most have none, and are returned as is.
    static func trimmed(_ value: String) -> String {
        let scalars = value.unicodeScalars
        guard let first = scalars.first, let last = scalars.last,
            first.properties.isWhitespace || last.properties.isWhitespace
        else { return value }
        return value.trimmingCharacters(in: .whitespaces)
    }
}

/// `SymmetricKey` is an immutable value that swift-crypto does not mark `Sendable`; it is only ever read.
private final class SigningKey: @unchecked Sendable {
    let value: SymmetricKey
    init(_ value: SymmetricKey) { self.value = value }
}
