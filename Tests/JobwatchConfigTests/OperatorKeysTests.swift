import Foundation
import JobwatchConfig
import JobwatchCore
import Testing

/// `polling.stall_after`, `metrics:` and the webhook retry defaults.
@Suite struct OperatorKeysTests {
    func parse(_ yaml: String) throws -> Configuration {
        try ConfigLoader.parse(yaml: yaml, source: "test.yaml", environment: [:], secrets: .skip)
    }

    func problem(_ yaml: String) -> String? {
        do {
            _ = try parse(yaml)
            return nil
        } catch let error as ConfigError {
            return error.message
        } catch {
            return "unexpected \(error)"
        }
    }

    @Test func stallAfterDefaultsToSixHoursAndZeroTurnsItOff() throws {
        #expect(try parse("").polling.stallAfterMillis == 6 * 3_600_000)
        #expect(try parse("polling:\n  stall_after: 90m\n").polling.stallAfterMillis == 5_400_000)
        #expect(try parse("polling:\n  stall_after: 0\n").polling.stallAfterMillis == 0)
        #expect(try parse("polling:\n  stall_after: 0s\n").polling.stallAfterMillis == 0)
        #expect(
            problem("polling:\n  stall_after: soon\n")?.contains("polling.stall_after 'soon' is not a duration") == true
        )
        #expect(problem("polling:\n  stall_after: 400d\n")?.contains("longer than 365d") == true)
    }

    @Test func metricsAreOffByDefaultAndLoopbackOnlyUnlessAllowed() throws {
        #expect(try parse("").metrics == nil)
        #expect(
            try parse("metrics:\n  listen: 127.0.0.1:9464\n").metrics == MetricsConfig(host: "127.0.0.1", port: 9464))
        #expect(try parse("metrics:\n  listen: '[::1]:9464'\n").metrics?.host == "::1")
        #expect(try parse("metrics:\n  listen: localhost:1\n").metrics?.port == 1)
        let remote = problem("metrics:\n  listen: 0.0.0.0:9464\n")
        #expect(remote?.contains("not a loopback address") == true && remote?.contains("allow_remote: true") == true)
        let allowed = try parse("metrics:\n  listen: 0.0.0.0:9464\n  allow_remote: true\n").metrics
        #expect(allowed == MetricsConfig(host: "0.0.0.0", port: 9464, allowRemote: true))
        for bad in ["9464", "127.0.0.1", "127.0.0.1:0", "127.0.0.1:70000", "127.0.0.1:x", ":9464", "::1:9464"] {
            #expect(
                problem("metrics:\n  listen: '\(bad)'\n")?.contains("is not HOST:PORT") == true,
                "\(bad) must be refused")
        }
        #expect(problem("metrics:\n  port: 1\n")?.contains("port") == true)
    }

    @Test func webhooksRetryOnTheStandardScheduleUnlessConfigured() throws {
        let yaml = """
            sinks:
              webhooks:
                - name: standard
                  url: https://hooks.example.com/a
                - name: custom
                  url: https://hooks.example.com/b
                  retry_max: 10m
            """
        let sinks = try parse(yaml).webhooks
        #expect(sinks.first?.usesStandardRetrySchedule == true && sinks.first?.maxAttempts == 8)
        #expect(sinks.last?.usesStandardRetrySchedule == false && sinks.last?.retryMaxMillis == 600_000)
        let inverted = """
            sinks:
              webhooks:
                - name: slow
                  url: https://hooks.example.com/a
                  retry_initial: 2h
            """
        #expect(problem(inverted)?.contains("longer than retry_max") == true)
    }
}
