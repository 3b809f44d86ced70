import Foundation
import JobwatchConfig
import JobwatchCore
import Testing

/// Values past their bounds and secrets that could split a header are configuration errors naming the key.
@Suite struct HostileConfigTests {
    func problem(_ yaml: String, environment: [String: String] = [:]) -> String? {
        do {
            _ = try ConfigLoader.parse(yaml: yaml, source: "test.yaml", environment: environment, secrets: .read)
            return nil
        } catch let error as ConfigError {
            return error.message
        } catch {
            return "unexpected \(error)"
        }
    }

    func account(_ secretLine: String) -> String {
        """
        accounts:
          default:
            region: r
            ak: AK
            \(secretLine)
        """
    }

    @Test func aDurationPastTheBoundIsAnErrorNamingKeyAndBound() {
        for value in ["366d", "99999999999999999999999d", "8784h", "1d" + String(repeating: "9999h", count: 200)] {
            let message = problem("polling:\n  deadline: \(value)")
            #expect(message?.contains("polling.deadline") == true, "\(value): \(message ?? "accepted")")
            #expect(message?.contains("365d") == true || message?.contains("not a duration") == true)
        }
        #expect(problem("polling:\n  deadline: 365d") == nil)
    }

    @Test func aSecretWithAControlCharacterIsAConfigurationError() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("hostile-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let file = directory.appendingPathComponent("sk").path
        // A trailing newline (as editors write) is fine; one inside the value is not.
        try "line-one\nline-two\n".write(toFile: file, atomically: true, encoding: .utf8)
        let fromFile = problem(account("sk_file: \(file)"))
        #expect(fromFile?.contains("accounts.default.sk_file") == true)
        #expect(fromFile?.contains("control character") == true)
        #expect(fromFile?.contains("line-one") == false)

        let fromEnv = problem(account("sk_env: SK"), environment: ["SK": "abc\r\nX-Injected: 1"])
        #expect(fromEnv?.contains("accounts.default.sk_env") == true)
        #expect(fromEnv?.contains("Injected") == false)

        let inline = problem(account("sk: \"abc\\tdef\""))
        #expect(inline?.contains("accounts.default.sk") == true)

        let sdk = problem("", environment: ["HUAWEICLOUD_SDK_AK": "AK", "HUAWEICLOUD_SDK_SK": "a\nb"])
        #expect(sdk?.contains("HUAWEICLOUD_SDK_SK") == true)

        try "fine-secret\n".write(toFile: file, atomically: true, encoding: .utf8)
        #expect(problem(account("sk_file: \(file)")) == nil)
    }
}
