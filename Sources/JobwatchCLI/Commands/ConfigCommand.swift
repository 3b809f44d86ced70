import ArgumentParser
import JobwatchConfig
import JobwatchCore
import JobwatchDaemon
import JobwatchWebhooks

struct ConfigCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "config", abstract: "Work with the configuration.", subcommands: [Check.self])

    struct Check: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Validate the configuration and print it with every secret redacted (exit 78 when invalid).")

        @OptionGroup var global: GlobalOptions

        func run() async throws {
            let context = try CLIContext.load(global, secrets: .readWhereAvailable)
            print(ConfigReport.render(context.configuration, databasePath: context.databasePath))
            if let problem = DaemonReadiness.problem(context.configuration) {
                throw CLIFailure(.configuration, problem)
            }
        }
    }
}

/// The effective configuration as YAML, secrets replaced by where they come from.
enum ConfigReport {
    static func render(_ config: Configuration, databasePath: String) -> String {
        var lines = [
            "# source: \(config.source ?? "built-in defaults")", "database: \(databasePath)",
            "log_level: \(config.logLevel.rawValue)", "accounts:",
        ]
        if let password = config.databasePassword {
            lines.insert(
                "database_password: <redacted> # from \(password.form == .inline ? "inline" : "\(password)")", at: 2)
        }
        func secret(_ key: String, _ value: Secret?) {
            if let value { lines.append("    \(key): <redacted> # from \(value.origin)") }
        }
        for account in config.accounts {
            lines.append("  \(account.name):")
            lines.append("    region: \(account.region ?? "null")")
            lines.append("    project_id: \(account.projectID ?? "null")")
            switch account.credentials {
            case .accessKey(let ak, let sk, let token):
                secret("ak", ak)
                secret("sk", sk)
                secret("security_token", token)
            case .token(let token):
                secret("token", token)
            case .iamPassword(let endpoint, let domain, let user, let password):
                lines.append("    iam:")
                lines.append("      endpoint: \(endpoint?.absoluteString ?? "default")")
                lines.append("      domain: \(domain)")
                lines.append("      user: \(user)")
                lines.append("      password: <redacted> # from \(password.origin)")
            case .missing:
                lines.append("    # no credentials")
            }
            if !account.endpoints.isEmpty {
                lines.append("    endpoints:")
                for (service, url) in account.endpoints.sorted(by: { $0.key.rawValue < $1.key.rawValue }) {
                    lines.append("      \(service.rawValue): \(url.text)")
                }
            }
        }
        let p = config.polling
        lines += [
            "polling:",
            "  initial_interval: \(DurationText.format(millis: p.initialIntervalMillis))",
            "  max_interval: \(DurationText.format(millis: p.maxIntervalMillis))",
            "  multiplier: \(p.multiplier)",
            "  jitter: \(p.jitter)",
            "  max_in_flight: \(p.maxInFlight)",
            "  requests_per_second: \(p.requestsPerSecond)",
            "  request_timeout: \(DurationText.format(millis: p.requestTimeoutMillis))",
            "  deadline: \(DurationText.format(millis: p.deadlineMillis))",
            "  not_found_after: \(p.notFoundAfter)",
            "  stall_after: \(p.stallAfterMillis == 0 ? "0 # off" : DurationText.format(millis: p.stallAfterMillis))",
            "retention:",
            "  events: \(DurationText.format(millis: config.retention.eventsMillis))",
            "  jobs: \(DurationText.format(millis: config.retention.jobsMillis))",
        ]
        if let metrics = config.metrics {
            lines += [
                "metrics:", "  listen: \"\(metrics.listenText)\"", "  allow_remote: \(metrics.allowRemote)",
            ]
        } else {
            lines.append("metrics: {} # off: no listen address")
        }
        lines += [
            "sinks:",
            "  stdout:",
            "    enabled: \(config.stdout.enabled)",
            "    events: \(config.stdout.events.description)",
            "  webhooks:\(config.webhooks.isEmpty ? " []" : "")",
        ]
        for sink in config.webhooks {
            lines.append("    - name: \(sink.name)")
            lines.append("      url: \(redacted(sink))")
            if !sink.secrets.isEmpty {
                lines.append(
                    "      secret: <redacted> # \(sink.secrets.count) secret(s) from "
                        + "\(sink.secrets.map(\.origin).joined(separator: ", "))"
                )
            }
            lines += [
                "      events: \(sink.events.description)",
                "      format: \(sink.format.rawValue)",
                "      timeout: \(DurationText.format(millis: sink.timeoutMillis))",
                "      max_attempts: \(sink.maxAttempts)",
            ]
            if sink.usesStandardRetrySchedule {
                lines.append("      # retries: the standard schedule (5s, 5m, 30m, 2h, 5h, 10h, 10h, ±20 %)")
            } else {
                let initial = sink.retryInitialMillis ?? WebhookSinkConfig.defaultRetryInitialMillis
                let max = sink.retryMaxMillis ?? WebhookSinkConfig.defaultRetryMaxMillis
                lines += [
                    "      retry_initial: \(DurationText.format(millis: initial))",
                    "      retry_max: \(DurationText.format(millis: max))",
                ]
            }
            lines += [
                "      concurrency: \(sink.concurrency)"
            ]
        }
        return lines.joined(separator: "\n")
    }

    /// Chat webhook URLs carry their token in the path or query: show only scheme and host for those,
    /// and never a query string.
    static func redacted(_ sink: WebhookSinkConfig) -> String {
        let url = sink.url
        let origin = "\(url.scheme ?? "https")://\(url.host ?? "")\(url.port.map { ":\($0)" } ?? "")"
        switch sink.format {
        case .cloudevents: return origin + url.path + (url.query == nil ? "" : "?<redacted>")
        case .slack, .feishu, .dingtalk, .wecom: return origin + "/<redacted>"
        }
    }
}
