import Foundation
import HuaweiCloud
import JobwatchCore
import JobwatchTestKit
import Testing

/// The official SDKs' own signing test vectors (`Tests/Reference/signing-vectors.json`, copied from the shared
/// reference), byte for byte.
struct SigningVectorTests {
    struct Vectors: Decodable {
        var sdk_hmac_sha256: [Case]
        var canonical_query_string: QueryCase
    }

    struct Case: Decodable {
        var name: String
        var ak: String
        var sk: String
        var method: String
        var url: String
        var headers: [String: String]
        var signed_headers: [String]
        var body: String
        var canonical_request: String?
        var canonical_request_sha256: String?
        var string_to_sign: String?
        var body_sha256: String?
        var authorization: String
    }

    struct QueryCase: Decodable {
        var input: [String: JSONValue]
        var output: String
    }

    let vectors: Vectors

    init() throws {
        vectors = try JSONDecoder().decode(Vectors.self, from: referenceFile("signing-vectors.json"))
    }

    @Test func allEightAuthorizationHeadersMatch() throws {
        #expect(vectors.sdk_hmac_sha256.count == 8)
        for vector in vectors.sdk_hmac_sha256 {
            let url = try #require(URL(string: vector.url))
            let date = try #require(vector.headers["X-Sdk-Date"])
            let signed = RequestSigner(accessKey: vector.ak, secretKey: vector.sk).sign(
                method: vector.method, url: url, headers: vector.headers.map { ($0.key, $0.value) },
                signedHeaders: vector.signed_headers, body: Array(vector.body.utf8), sdkDate: date)
            #expect(signed.authorization == vector.authorization, "\(vector.name)")
            #expect(signed.date == date, "\(vector.name)")
        }
    }

    @Test func canonicalRequestsAndIntermediateValuesMatch() throws {
        var checked = 0
        for vector in vectors.sdk_hmac_sha256 {
            let url = try #require(URL(string: vector.url))
            let date = try #require(vector.headers["X-Sdk-Date"])
            let canonical = RequestSigner.canonicalRequest(
                method: vector.method, url: url, headers: vector.headers.map { ($0.key, $0.value) },
                signedHeaderNames: RequestSigner.signedHeaderNames(vector.signed_headers),
                body: Array(vector.body.utf8))
            if let expected = vector.canonical_request {
                #expect(canonical == expected, "\(vector.name)")
                checked += 1
            }
            let stringToSign = RequestSigner.stringToSign(canonicalRequest: canonical, sdkDate: date)
            if let expected = vector.canonical_request_sha256 {
                // The string to sign ends with the canonical request's hash.
                #expect(stringToSign.split(separator: "\n").last.map(String.init) == expected, "\(vector.name)")
            }
            if let expected = vector.string_to_sign {
                #expect(stringToSign == expected, "\(vector.name)")
            }
            if let expected = vector.body_sha256 {
                // The body hash is the canonical request's last line.
                #expect(canonical.split(separator: "\n").last.map(String.init) == expected, "\(vector.name)")
            }
        }
        #expect(checked == 3)
    }

    @Test func underscoreHeadersAreNeverSigned() {
        #expect(RequestSigner.signedHeaderNames(["X-Sdk-Date", "TEST_UNDERSCORE", "Host"]) == ["host", "x-sdk-date"])
    }

    @Test func canonicalQueryStringMatches() throws {
        var pairs: [(String, String)] = []
        for (key, value) in vectors.canonical_query_string.input {
            if let values = value.arrayValue {
                pairs += values.compactMap(\.stringValue).map { (key, $0) }
            } else {
                pairs.append((key, try #require(value.stringValue)))
            }
        }
        // The order of the input must not matter.
        #expect(RequestSigner.canonicalQuery(pairs) == vectors.canonical_query_string.output)
        #expect(RequestSigner.canonicalQuery(pairs.reversed()) == vectors.canonical_query_string.output)
    }
}
