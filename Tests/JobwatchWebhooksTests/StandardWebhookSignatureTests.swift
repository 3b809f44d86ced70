import Foundation
import JobwatchTestKit
import JobwatchWebhooks
import Testing

/// Tests/Reference/webhook-vectors.json (a verbatim copy of the shared reference): signatures made by the
/// Standard Webhooks reference library.
private struct Vectors: Decodable {
    struct Case: Decodable {
        var secret: String
        var id: String
        var timestamp: Int64
        var body: String
        var signature: String
    }
    var cases: [Case]

    static func load() throws -> Vectors {
        try JSONDecoder().decode(Vectors.self, from: referenceFile("webhook-vectors.json"))
    }
}

@Suite struct StandardWebhookSignatureTests {
    @Test func reproducesTheReferenceVectors() throws {
        let vectors = try Vectors.load()
        #expect(vectors.cases.count == 2)
        for vector in vectors.cases {
            let signature = StandardWebhookSignature.sign(
                id: vector.id, timestampSeconds: vector.timestamp, body: Array(vector.body.utf8),
                secrets: [vector.secret])
            #expect(signature == vector.signature)
        }
    }

    @Test func signsWithEverySecretDuringARotation() throws {
        let vector = try #require(try Vectors.load().cases.first)
        let other = "whsec_" + Data(repeating: 7, count: 32).base64EncodedString()
        let signature = try #require(
            StandardWebhookSignature.sign(
                id: vector.id, timestampSeconds: vector.timestamp, body: Array(vector.body.utf8),
                secrets: [other, vector.secret]))
        let entries = signature.split(separator: " ").map(String.init)
        try #require(entries.count == 2)
        #expect(entries[1] == vector.signature)
        #expect(entries[0].hasPrefix("v1,") && entries[0] != vector.signature)
    }

    @Test func noSecretNoSignature() {
        #expect(StandardWebhookSignature.sign(id: "x", timestampSeconds: 1, body: [], secrets: []) == nil)
    }
}
