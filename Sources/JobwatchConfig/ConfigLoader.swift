import Foundation
import HuaweiCloud
import JobwatchCore
import JobwatchWebhooks
import Logging
import Yams

/// Finds, reads and validates the configuration (CONTRACT §4).
///
/// Lookup: `--config`, then `$JOBWATCH_CONFIG`, then `/etc/jobwatch/config.yaml` when it exists, else the
/// built-in defaults. Every problem is a `ConfigError` naming the key; unknown keys are errors, so a typo
/// is never silently ignored.
package enum ConfigLoader {
    package static let systemPath = "/etc/jobwatch/config.yaml"

    /// The file to read, or nil for the built-in defaults.
    package static func resolvePath(
        explicit: String?, environment: [String: String], fileExists: (String) -> Bool
    ) -> String? {
        if let explicit { return explicit }
        if let fromEnvironment = environment["JOBWATCH_CONFIG"], !fromEnvironment.isEmpty { return fromEnvironment }
        return fileExists(systemPath) ? systemPath : nil
    }

    package static func load(
        explicitPath: String?, environment: [String: String] = ProcessInfo.processInfo.environment,
        secrets: SecretLoading = .read
    ) throws -> Configuration {
        guard
            let path = resolvePath(
                explicit: explicitPath, environment: environment,
                fileExists: { FileManager.default.fileExists(atPath: $0) })
        else {
            return try parse(yaml: "", source: nil, environment: environment, secrets: secrets)
        }
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory), !isDirectory.boolValue else {
            throw ConfigError(
                "configuration file \(path) does not exist: create it (see config/config.yaml) or point "
                    + "--config or JOBWATCH_CONFIG at an existing file"
            )
        }
        guard let data = FileManager.default.contents(atPath: path) else {
            throw ConfigError("configuration file \(path) cannot be read: check its permissions")
        }
        guard let text = String(data: data, encoding: .utf8) else {
            throw ConfigError("configuration file \(path) is not UTF-8 text")
        }
        return try parse(yaml: text, source: path, environment: environment, secrets: secrets)
    }

    /// Parses YAML text into a validated configuration. `source` names the file in messages.
    package static func parse(
        yaml: String, source: String?, environment: [String: String], secrets: SecretLoading = .read
    ) throws -> Configuration {
        let root: Node?
        do {
            root = try Yams.compose(yaml: yaml)
        } catch {
            throw ConfigError("\(source ?? "configuration") is not valid YAML: \(oneLine(String(describing: error)))")
        }
        let reader = YAMLReader(source: source, environment: environment, secrets: secrets)
        var config = Configuration(source: source)
        guard let root else {
            config.accounts = [try environmentAccount(environment, reader: reader)]
            return config
        }
        let top = try reader.mapping(
            root, path: "",
            known: ["database", "log_level", "accounts", "polling", "sinks", "metrics", "retention"]
                + reader.secretKeys("database_password"))

        if let node = top["database"] {
            let database = try reader.nonEmptyString(node, path: "database")
            if PostgresURL.looksLikeURL(database), case .failure(let problem) = PostgresURL.parse(database) {
                throw reader.error("database", problem.message, node)
            }
            config.database = database
        }
        config.databasePassword = try databasePassword(top, reader: reader)
        if let node = top["log_level"] {
            let text = try reader.string(node, path: "log_level")
            guard let level = Logger.Level(rawValue: text.lowercased()) else {
                throw reader.error(
                    "log_level",
                    "'\(text)' is not a log level; use one of trace, debug, info, notice, warning, error, critical",
                    node)
            }
            config.logLevel = level
        }
        if let node = top["polling"] { config.polling = try polling(node, reader: reader) }
        if let node = top["metrics"] { config.metrics = try metrics(node, reader: reader) }
        if let node = top["retention"] { config.retention = try retention(node, reader: reader) }
        if let node = top["accounts"] {
            let accounts = try reader.mapping(node, path: "accounts", known: nil)
            for (name, value) in accounts.sortedPairs {
                config.accounts.append(try account(name: name, node: value, reader: reader))
            }
        }
        if config.accounts.isEmpty { config.accounts = [try environmentAccount(environment, reader: reader)] }
        if let node = top["sinks"] {
            let sinks = try reader.mapping(node, path: "sinks", known: ["stdout", "webhooks"])
            if let stdoutNode = sinks["stdout"] {
                let stdout = try reader.mapping(stdoutNode, path: "sinks.stdout", known: ["enabled", "events"])
                if let enabled = stdout["enabled"] {
                    config.stdout.enabled = try reader.bool(enabled, path: "sinks.stdout.enabled")
                }
                if let events = stdout["events"] {
                    config.stdout.events = try eventFilter(events, path: "sinks.stdout.events", reader: reader)
                }
            }
            if let webhooksNode = sinks["webhooks"] {
                guard case .sequence(let list) = webhooksNode else {
                    throw reader.error("sinks.webhooks", "must be a list of webhook sinks (`- name: …`)", webhooksNode)
                }
                var seen: Set<String> = [Configuration.stdoutSinkName]
                for (index, item) in list.enumerated() {
                    let sink = try webhook(item, path: "sinks.webhooks[\(index)]", reader: reader)
                    guard seen.insert(sink.name).inserted else {
                        throw reader.error(
                            "sinks.webhooks[\(index)].name",
                            "the sink name '\(sink.name)' is used twice (or is the reserved name 'stdout'); give every "
                                + "sink its own name",
                            item)
                    }
                    config.webhooks.append(sink)
                }
            }
        }
        return config
    }

    // MARK: - Sections

    /// How the PostgreSQL password is given; read when the database is opened (`DatabasePassword.read`).
    private static func databasePassword(_ top: YAMLReader.Mapping, reader: YAMLReader) throws -> DatabasePassword? {
        let given = reader.secretKeys("database_password").filter { top[$0] != nil }
        if given.count > 1 {
            throw reader.error(given[1], "conflicts with \(given[0]); give the password one way only", top[given[1]])
        }
        guard let key = given.first, let node = top[key] else { return nil }
        let text = try reader.nonEmptyString(node, path: key)
        let form: DatabasePassword.Form
        switch key {
        case "database_password": form = .inline
        case "database_password_file": form = .file
        case "database_password_env": form = .env
        default:
            if text.contains("/") { throw reader.error(key, "'\(text)' must be a credential name, not a path", node) }
            form = .credential
        }
        let location = "\(reader.source ?? "configuration")\(node.mark.map { ":\($0.line)" } ?? ""): \(key)"
        return DatabasePassword(form: form, reference: text, location: location)
    }

    private static func polling(_ node: Node, reader: YAMLReader) throws -> PollingConfig {
        let map = try reader.mapping(
            node, path: "polling",
            known: [
                "initial_interval", "max_interval", "multiplier", "jitter", "max_in_flight", "requests_per_second",
                "request_timeout", "deadline", "not_found_after", "stall_after",
            ])
        var polling = PollingConfig()
        if let n = map["initial_interval"] {
            polling.initialIntervalMillis = try reader.duration(n, path: "polling.initial_interval")
        }
        if let n = map["max_interval"] {
            polling.maxIntervalMillis = try reader.duration(n, path: "polling.max_interval")
        }
        if let n = map["multiplier"] {
            polling.multiplier = try reader.number(n, path: "polling.multiplier", range: 1...10)
        }
        if let n = map["jitter"] { polling.jitter = try reader.number(n, path: "polling.jitter", range: 0...0.9) }
        if let n = map["max_in_flight"] {
            polling.maxInFlight = Int(
                try reader.number(n, path: "polling.max_in_flight", range: 1...10_000, integer: true))
        }
        if let n = map["requests_per_second"] {
            polling.requestsPerSecond = try reader.number(n, path: "polling.requests_per_second", range: 0.01...100_000)
        }
        if let n = map["request_timeout"] {
            polling.requestTimeoutMillis = try reader.duration(n, path: "polling.request_timeout")
        }
        if let n = map["deadline"] { polling.deadlineMillis = try reader.duration(n, path: "polling.deadline") }
        if let n = map["not_found_after"] {
            polling.notFoundAfter = Int(
                try reader.number(n, path: "polling.not_found_after", range: 1...1000, integer: true))
        }
        if let n = map["stall_after"] {
            let text = try reader.string(n, path: "polling.stall_after").trimmingCharacters(in: .whitespaces)
            polling.stallAfterMillis =
                text == "0" || DurationText.parseMillis(text) == 0
                ? 0 : try reader.duration(n, path: "polling.stall_after")
            if polling.stallAfterMillis > PollingConfig.longestStallAfterMillis {
                throw reader.error(
                    "polling.stall_after", "is longer than 365d; make it shorter, or 0 to turn it off", n)
            }
        }
        if polling.initialIntervalMillis > polling.maxIntervalMillis {
            throw reader.error(
                "polling.initial_interval",
                "(\(DurationText.format(millis: polling.initialIntervalMillis))) is longer than "
                    + "polling.max_interval (\(DurationText.format(millis: polling.maxIntervalMillis))); make it "
                    + "shorter or equal",
                node)
        }
        return polling
    }

    private static func retention(_ node: Node, reader: YAMLReader) throws -> RetentionConfig {
        let map = try reader.mapping(node, path: "retention", known: ["events", "jobs"])
        var retention = RetentionConfig()
        func bounded(_ key: String) throws -> Int64? {
            guard let n = map[key] else { return nil }
            let millis = try reader.duration(n, path: "retention.\(key)")
            let bounds = RetentionConfig.boundsMillis
            guard bounds.contains(millis) else {
                throw reader.error(
                    "retention.\(key)",
                    "(\(DurationText.format(millis: millis))) must be between "
                        + "\(DurationText.format(millis: bounds.lowerBound)) and "
                        + "\(DurationText.format(millis: bounds.upperBound))",
                    n)
            }
            return millis
        }
        if let millis = try bounded("events") { retention.eventsMillis = millis }
        if let millis = try bounded("jobs") { retention.jobsMillis = millis }
        return retention
    }

    private static func metrics(_ node: Node, reader: YAMLReader) throws -> MetricsConfig? {
        let map = try reader.mapping(node, path: "metrics", known: ["listen", "allow_remote"])
        let allowRemote = try map["allow_remote"].map { try reader.bool($0, path: "metrics.allow_remote") } ?? false
        guard let listenNode = map["listen"] else { return nil }
        let text = try reader.nonEmptyString(listenNode, path: "metrics.listen")
        guard let (host, port) = MetricsConfig.parseListen(text) else {
            throw reader.error(
                "metrics.listen", "'\(text)' is not HOST:PORT; write it like 127.0.0.1:9464 or [::1]:9464", listenNode)
        }
        if !allowRemote && !LoopbackAddress.isLoopback(host) {
            throw reader.error(
                "metrics.listen",
                "'\(text)' is not a loopback address; the metrics endpoint has no authentication, "
                    + "so listening on \(host) needs metrics.allow_remote: true",
                listenNode)
        }
        return MetricsConfig(host: host, port: port, allowRemote: allowRemote)
    }

    private static func account(name: String, node: Node, reader: YAMLReader) throws -> AccountConfig {
        let path = "accounts.\(name)"
        if let problem = InputRules.nameProblem(name) { throw reader.error(path, "account name: \(problem)", node) }
        let map = try reader.mapping(
            node, path: path,
            known: reader.secretKeys("ak") + reader.secretKeys("sk") + reader.secretKeys("security_token")
                + reader.secretKeys("token") + ["region", "project_id", "endpoints", "iam"])
        let region = try map["region"].map { try reader.nonEmptyString($0, path: "\(path).region") }
        if let region, let problem = CloudEndpoints.regionProblem(region) {
            throw reader.error("\(path).region", problem, map["region"] ?? node)
        }
        let projectID = try map["project_id"].map { try reader.nonEmptyString($0, path: "\(path).project_id") }
        if let projectID, let problem = InputRules.projectIDProblem(projectID) {
            throw reader.error("\(path).project_id", problem, node)
        }
        var endpoints: [CloudService: EndpointOverride] = [:]
        if let endpointsNode = map["endpoints"] {
            let endpointMap = try reader.mapping(
                endpointsNode, path: "\(path).endpoints", known: CloudService.allCases.map(\.rawValue))
            for (key, value) in endpointMap.sortedPairs {
                let keyPath = "\(path).endpoints.\(key)"
                let text = try reader.nonEmptyString(value, path: keyPath)
                do {
                    endpoints[CloudService(rawValue: key)!] = try EndpointOverride(parsing: text, source: keyPath)
                } catch let error as CloudEndpointError {
                    throw reader.error(keyPath, Self.withoutSource(error.message, keyPath), value)
                }
            }
        }
        let ak = try reader.secret(map, key: "ak", path: path)
        let sk = try reader.secret(map, key: "sk", path: path)
        let securityToken = try reader.secret(map, key: "security_token", path: path)
        let token = try reader.secret(map, key: "token", path: path)
        let credentials: AccountConfig.Credentials
        if let iamNode = map["iam"] {
            let iam = try reader.mapping(
                iamNode, path: "\(path).iam", known: ["endpoint", "domain", "user"] + reader.secretKeys("password"))
            guard let domain = iam["domain"], let user = iam["user"] else {
                throw reader.error(
                    "\(path).iam", "needs domain and user (the IAM user's account name and user name)", iamNode)
            }
            guard let password = try reader.secret(iam, key: "password", path: "\(path).iam") else {
                throw reader.error(
                    "\(path).iam.password", "is missing: set password_file, password_env or password_credential",
                    iamNode)
            }
            credentials = .iamPassword(
                endpoint: try iam["endpoint"].map { node in
                    let keyPath = "\(path).iam.endpoint"
                    let text = try reader.nonEmptyString(node, path: keyPath)
                    do {
                        return try CloudEndpoints.validated(text, source: keyPath)
                    } catch let error as CloudEndpointError {
                        throw reader.error(keyPath, Self.withoutSource(error.message, keyPath), node)
                    }
                },
                domain: try reader.nonEmptyString(domain, path: "\(path).iam.domain"),
                user: try reader.nonEmptyString(user, path: "\(path).iam.user"), password: password)
        } else if let token {
            credentials = .token(token)
        } else if let ak, let sk {
            credentials = .accessKey(ak: ak, sk: sk, securityToken: securityToken)
        } else {
            let missing = ak == nil ? "ak" : "sk"
            throw reader.error(
                "\(path).\(missing)",
                "is missing: give the account ak and sk (inline, *_file, *_env or *_credential), a token, "
                    + "or iam credentials",
                node)
        }
        return AccountConfig(
            name: name, region: region, projectID: projectID, credentials: credentials, endpoints: endpoints)
    }

    /// A `CloudEndpoints` message starts with the key it is about; the configuration error names it already.
    private static func withoutSource(_ message: String, _ source: String) -> String {
        var rest = message.hasPrefix(source) ? String(message.dropFirst(source.count)) : message
        if rest.hasPrefix(": ") { rest.removeFirst(2) } else if rest.hasPrefix(" ") { rest.removeFirst() }
        return rest
    }

    /// The `default` account from the official SDKs' environment variables, when the file names no account.
    private static func environmentAccount(_ environment: [String: String], reader: YAMLReader) throws -> AccountConfig
    {
        func value(_ name: String) -> String? { environment[name].flatMap { $0.isEmpty ? nil : $0 } }
        for name in ["HUAWEICLOUD_SDK_AK", "HUAWEICLOUD_SDK_SK", "HUAWEICLOUD_SDK_SECURITY_TOKEN"] {
            if let secret = value(name), secret.unicodeScalars.contains(where: InputRules.isControl) {
                throw ConfigError(
                    "\(name) contains a control character (a line break or tab inside the value?); remove it")
            }
        }
        let credentials: AccountConfig.Credentials
        if let ak = value("HUAWEICLOUD_SDK_AK"), let sk = value("HUAWEICLOUD_SDK_SK") {
            credentials = .accessKey(
                ak: Secret(value: ak, origin: "env HUAWEICLOUD_SDK_AK"),
                sk: Secret(value: sk, origin: "env HUAWEICLOUD_SDK_SK"),
                securityToken: value("HUAWEICLOUD_SDK_SECURITY_TOKEN").map {
                    Secret(value: $0, origin: "env HUAWEICLOUD_SDK_SECURITY_TOKEN")
                })
        } else {
            credentials = .missing
        }
        let projectID = value("HUAWEICLOUD_SDK_PROJECT_ID")
        if let projectID, let problem = InputRules.projectIDProblem(projectID) {
            throw ConfigError("HUAWEICLOUD_SDK_PROJECT_ID: \(problem)")
        }
        return AccountConfig(
            name: "default", region: value("HUAWEICLOUD_SDK_REGION"), projectID: projectID, credentials: credentials)
    }

    private static func webhook(_ node: Node, path: String, reader: YAMLReader) throws -> WebhookSinkConfig {
        let map = try reader.mapping(
            node, path: path,
            known: [
                "name", "url", "events", "format", "timeout", "max_attempts", "retry_initial", "retry_max",
                "concurrency",
            ] + reader.secretKeys("secret"))
        guard let nameNode = map["name"] else {
            throw reader.error("\(path).name", "is missing: every webhook sink needs a name", node)
        }
        let name = try reader.nonEmptyString(nameNode, path: "\(path).name")
        if let problem = InputRules.nameProblem(name) { throw reader.error("\(path).name", problem, nameNode) }
        guard let urlNode = map["url"] else {
            throw reader.error("\(path).url", "is missing: give the URL to POST events to", node)
        }
        let url = try reader.url(urlNode, path: "\(path).url")
        var sink = WebhookSinkConfig(name: name, url: url)
        if let n = map["format"] {
            let text = try reader.string(n, path: "\(path).format")
            guard let format = WebhookFormat(rawValue: text.lowercased()) else {
                throw reader.error(
                    "\(path).format",
                    "'\(text)' is not a format; use one of "
                        + "\(WebhookFormat.allCases.map(\.rawValue).joined(separator: ", "))",
                    n)
            }
            sink.format = format
        }
        sink.secrets = try reader.secretList(map, key: "secret", path: path)
        if sink.format == .cloudevents {
            for secret in sink.secrets where secret.isLoaded && StandardWebhookKey.decode(secret.value) == nil {
                throw reader.error(
                    "\(path).secret",
                    "is not a Standard Webhooks secret: it must be 'whsec_' followed by base64 (for example "
                        + "one made with `echo whsec_$(head -c 32 /dev/urandom | base64)`)",
                    node)
            }
        }
        if sink.format == .wecom && !sink.secrets.isEmpty {
            throw reader.error("\(path).secret", "is not used by WeCom, whose key is part of the URL; remove it", node)
        }
        if let n = map["events"] { sink.events = try eventFilter(n, path: "\(path).events", reader: reader) }
        if let n = map["timeout"] { sink.timeoutMillis = try reader.duration(n, path: "\(path).timeout") }
        if let n = map["max_attempts"] {
            sink.maxAttempts = Int(try reader.number(n, path: "\(path).max_attempts", range: 1...1000, integer: true))
        }
        if let n = map["retry_initial"] {
            sink.retryInitialMillis = try reader.duration(n, path: "\(path).retry_initial")
        }
        if let n = map["retry_max"] { sink.retryMaxMillis = try reader.duration(n, path: "\(path).retry_max") }
        if let n = map["concurrency"] {
            sink.concurrency = Int(try reader.number(n, path: "\(path).concurrency", range: 1...256, integer: true))
        }
        if !sink.usesStandardRetrySchedule,
            sink.retryInitialMillis ?? WebhookSinkConfig.defaultRetryInitialMillis
                > sink.retryMaxMillis ?? WebhookSinkConfig.defaultRetryMaxMillis
        {
            throw reader.error("\(path).retry_initial", "is longer than retry_max; make it shorter or equal", node)
        }
        return sink
    }

    private static func eventFilter(_ node: Node, path: String, reader: YAMLReader) throws -> EventFilter {
        let known = EventType.allCases.map(\.rawValue).joined(separator: ", ")
        if case .sequence(let list) = node {
            var types: Set<EventType> = []
            for item in list {
                let text = try reader.string(item, path: path)
                guard let type = EventType(rawValue: text) else {
                    throw reader.error(
                        path, "'\(text)' is not an event type; use terminal, all, or a list of: \(known)", item)
                }
                types.insert(type)
            }
            return .types(types)
        }
        let text = try reader.string(node, path: path)
        switch text {
        case "terminal": return .terminal
        case "all": return .all
        default:
            if let type = EventType(rawValue: text) { return .types([type]) }
            throw reader.error(
                path, "'\(text)' is not valid; use terminal, all, or a list of event types (\(known))", node)
        }
    }

    static func oneLine(_ text: String) -> String {
        text.split(whereSeparator: \.isNewline).map { $0.trimmingCharacters(in: .whitespaces) }.joined(separator: " ")
    }
}

/// How much of the secrets a command reads. Only the daemon needs them; an operator's `jobwatch list`
/// must work even where the service's credential files are not readable.
package enum SecretLoading: Sendable {
    /// Read every secret; a missing one is an error (the daemon).
    case read
    /// Read what this process can; `*_credential` secrets outside systemd are reported, not read (`config check`).
    case readWhereAvailable
    /// Check only how secrets are given (CLI commands that never talk to the cloud).
    case skip
}
