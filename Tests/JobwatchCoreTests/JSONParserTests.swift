import Foundation
import JobwatchCore
import Testing

/// `JSONParser` replaces `JSONDecoder` on the poll path: for every document it must give what decoding
/// `JSONValue` with `JSONDecoder` gives (the same value, or a refusal for both).
@Suite struct JSONParserTests {
    static let documents: [String] = [
        #"{"job_id":"ff8080","status":"RUNNING","entities":{"process_percent":0.25,"current_task":"Copy"}}"#,
        #"  { "a" : [ 1 , 2.5 , -3e2 , true , false , null , "x" ] , "b" : { } , "c" : [ ] }  "#,
        #"{"nested":{"deeper":{"deepest":[[[{"k":"v"}]]]}}}"#,
        #""top-level string""#, "12", "-0", "0.5", "1E5", "1e-5", "2.5E+3", "true", "null",
        "12345678901234567890123", "1e-400", "-1e-400", "1e-300", "4.9e-324", "2e-324", "0e-400", "0.0", "1e308",
        "1.7976931348623157e308", "1.8e308", "123456789012345678901234567890", "0.1234567890123456789012345",
        #"{"escapes":"\"\\\/\b\f\n\r\t","unicode":"\u00e9\u4e2d\ud83d\ude00","nul":"a\u0000b"}"#,
        #"{"raw":"é 中 😀"}"#,
        #"{"dup":1,"dup":2}"#,
        #"{"":"empty key"}"#,
        // Refused by both.
        "[1,]", #"{"a":1,}"#, "[1,,]", "[,]", "[,1]", #"{,}"#, #"{"a":1,,}"#, "[1, ]", #"{"a":{"b":[1,],},}"#,
        "", " ", "{", "}", #"{"a" 1}"#, #"{a:1}"#, "01", "1.", ".5", "+1", "-", "1e", "1e+",
        "NaN", "Infinity", "1e400", "-1e400", "tru", "nul", "[1 2]", #"{"a":1}x"#, #"{"a":1}{"#, #""unterminated"#,
        #""bad \x escape""#, #""\u12""#, #""\uD800""#, #""\uDC00""#, #""\uD800\u0041""#, "\"tab\there\"",
        "\"line\nbreak\"", "[[[[[[[[[[]]]]]]]]]]", "{\"a\":[}",
    ]

    @Test(arguments: documents)
    func agreesWithJSONDecoder(_ document: String) {
        let expected = try? JSONDecoder().decode(JSONValue.self, from: Data(document.utf8))
        #expect(JSONParser.parse(document) == expected, "\(document)")
    }

    @Test func invalidUTF8InAStringIsRefusedLikeJSONDecoderDoes() {
        let bytes: [UInt8] = Array(#"{"a":""#.utf8) + [0xC3, 0x28] + Array(#""}"#.utf8)
        let expected = try? JSONDecoder().decode(JSONValue.self, from: Data(bytes))
        #expect(JSONParser.parse(bytes) == expected)
        #expect(JSONParser.parse(bytes) == nil)
    }

    @Test func nestingDeeperThanTheLimitIsRefusedWithoutRecursingIntoIt() {
        let limit = JSONParser.maxDepth
        let atLimit = String(repeating: "[", count: limit) + String(repeating: "]", count: limit)
        let beyond = String(repeating: "[", count: 100_000) + String(repeating: "]", count: 100_000)
        #expect(JSONParser.parse(atLimit) != nil)
        #expect(JSONParser.parse("[" + atLimit + "]") == nil)
        #expect(JSONParser.parse(beyond) == nil)
    }

    @Test func aRepeatedKeyKeepsItsFirstValueAndOneTrailingCommaIsAccepted() {
        #expect(JSONParser.parse(#"{"dup":1,"dup":2}"#) == .object(["dup": .number(1)]))
        #expect(JSONParser.parse("[1, 2,]") == .array([.number(1), .number(2)]))
        #expect(JSONParser.parse("[1,,]") == nil)
    }
}
