import Foundation
import JobwatchConfig
import JobwatchCore
import JobwatchTestKit
import Testing

@Suite struct ConfigLoaderTests {
    let env = ["HOME": "/home/u", "SK_VAR": "secret-from-env"]

    func parse(
        _ yaml: String, environment: [String: String]? = nil, secrets: SecretLoading = .read
    ) throws -> Configuration {
        try ConfigLoader.parse(yaml: yaml, source: "test.yaml", environment: environment ?? env, secrets: secrets)
    }

    /// The message of the ConfigError a configuration produces.
    func problem(_ yaml: String, environment: [String: String]? = nil) -> String? {
        do {
            _ = try parse(yaml, environment: environment)
            return nil
        } catch let error as ConfigError {
            return error.message
        } catch {
            return "unexpected \(error)"
        }
    }

    @Test func theContractExampleLoads() throws {
        let config = try parse(
            """
            database: /var/lib/jobwatch/jobwatch.sqlite
            log_level: info
            accounts:
              default:
                region: cn-north-4
                project_id: 0123456789abcdef0123456789abcdef
                ak: AKEXAMPLE
                sk_env: SK_VAR
                endpoints:
                  ims: https://ims.cn-north-4.myhuaweicloud.com
                  workspace: https://workspace.cn-north-4.myhuaweicloud.com
            polling:
              initial_interval: 5s
              max_interval: 60s
              multiplier: 1.5
              jitter: 0.2
              max_in_flight: 32
              requests_per_second: 10
              request_timeout: 30s
              deadline: 72h
              not_found_after: 5
            sinks:
              stdout:
                enabled: true
                events: terminal
              webhooks:
                - name: ops
                  url: https://hooks.example.com/jobwatch
                  secret: whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw
                  events: terminal
                  format: cloudevents
                  timeout: 15s
                  max_attempts: 10
                  retry_initial: 5s
                  retry_max: 1h
            """)
        #expect(config.database == "/var/lib/jobwatch/jobwatch.sqlite")
        #expect(config.polling.maxIntervalMillis == 60_000 && config.polling.deadlineMillis == 259_200_000)
        let account = try #require(config.account(named: "default"))
        guard case .accessKey(let ak, let sk, nil) = account.credentials else {
            Issue.record("credentials")
            return
        }
        #expect(ak.value == "AKEXAMPLE" && sk.value == "secret-from-env" && sk.origin == "env SK_VAR")
        #expect(config.webhooks.first?.secrets.first?.value == "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw")
        #expect(config.sinkSubscriptions.map(\.name) == ["stdout", "ops"])
        // Secrets never print.
        #expect("\(sk)" == "<redacted>")
    }

    @Test func everyConfigurationErrorNamesItsKey() {
        let cases: [(String, String)] = [
            ("polling:\n  max_intervall: 5s\n", "polling.max_intervall is not a known key"),
            ("polling:\n  initial_interval: 5 seconds\n", "polling.initial_interval '5 seconds' is not a duration"),
            ("polling:\n  initial_interval: 2m\n  max_interval: 1m\n", "polling.initial_interval"),
            ("polling:\n  multiplier: 0.5\n", "polling.multiplier 0.5 is out of range"),
            ("polling:\n  max_in_flight: 2.5\n", "polling.max_in_flight '2.5' is not a whole number"),
            ("log_level: loud\n", "log_level 'loud' is not a log level"),
            ("accounts:\n  a:\n    region: r\n    ak: x\n", "accounts.a.sk is missing"),
            ("accounts:\n  a:\n    ak: x\n    sk: y\n    sk_env: SK_VAR\n", "conflicts with"),
            ("accounts:\n  a:\n    ak: x\n    sk_env: NOPE\n", "accounts.a.sk_env names the environment variable NOPE"),
            ("accounts:\n  a:\n    ak: x\n    sk_file: /nonexistent/sk\n", "accounts.a.sk_file names /nonexistent/sk"),
            ("accounts:\n  a:\n    ak: x\n    sk_credential: sk\n", "needs $CREDENTIALS_DIRECTORY"),
            (
                "accounts:\n  a:\n    ak: x\n    sk: y\n    endpoints:\n      ims: http://ims.example.com\n",
                "uses plain http"
            ),
            // What the client would refuse at every poll is refused here, by the same rules (CloudEndpoints).
            (
                "accounts:\n  a:\n    ak: x\n    sk: y\n    endpoints:\n      ims: https://ims.example.com/?x=1\n",
                "accounts.a.endpoints.ims must not carry a query"
            ),
            (
                "accounts:\n  a:\n    ak: x\n    sk: y\n    endpoints:\n      ims: https://user@ims.example.com\n",
                "accounts.a.endpoints.ims must not carry a query, a fragment or user info"
            ),
            (
                "accounts:\n  a:\n    ak: x\n    sk: y\n    iam:\n      endpoint: https://iam.example.com#top\n"
                    + "      domain: d\n      user: u\n      password: p\n",
                "accounts.a.iam.endpoint must not carry a query"
            ),
            (
                "accounts:\n  a:\n    region: CN North\n    ak: x\n    sk: y\n",
                "accounts.a.region 'CN North' is not a region"
            ),
            (
                "accounts:\n  a:\n    ak: x\n    sk: y\n    endpoints:\n      ecs: https://x\n",
                "accounts.a.endpoints.ecs is not a known key"
            ),
            ("sinks:\n  webhooks:\n    - name: a\n      url: not a url\n", "sinks.webhooks[0].url"),
            ("sinks:\n  webhooks:\n    - url: https://x.example.com\n", "sinks.webhooks[0].name is missing"),
            (
                "sinks:\n  webhooks:\n    - name: a\n      url: https://x.example.com\n      secret: plain\n",
                "is not a Standard Webhooks secret"
            ),
            (
                "sinks:\n  webhooks:\n    - name: a\n      url: https://x.example.com\n      format: teams\n",
                "'teams' is not a format"
            ),
            (
                "sinks:\n  webhooks:\n    - name: a\n      url: https://x.example.com\n      events: "
                    + "[jobwatch.job.done]\n",
                "'jobwatch.job.done' is not an event type"
            ),
            (
                "sinks:\n  webhooks:\n    - name: a\n      url: https://x.example.com\n"
                    + "    - name: a\n      url: https://y.example.com\n",
                "used twice"
            ),
            ("sinks:\n  webhooks:\n    - name: stdout\n      url: https://x.example.com\n", "reserved name 'stdout'"),
            ("sinks:\n  stdout:\n    enabled: maybe\n", "sinks.stdout.enabled must be true or false"),
            ("[1, 2]\n", "must be a mapping"),
            ("polling: {initial_interval: [\n", "is not valid YAML"),
        ]
        for (yaml, expected) in cases {
            let message = problem(yaml)
            #expect(message?.contains(expected) == true, "\(yaml) gave \(message ?? "no error")")
            #expect(message?.contains("\n") == false)
        }
    }

    @Test func errorsPointAtTheLine() {
        #expect(problem("log_level: info\npolling:\n  jitter: 2\n")?.hasPrefix("test.yaml:3: polling.jitter") == true)
    }

    @Test func withoutAccountsTheSDKEnvironmentVariablesMakeTheDefaultAccount() throws {
        let config = try parse(
            "",
            environment: [
                "HUAWEICLOUD_SDK_AK": "AK1", "HUAWEICLOUD_SDK_SK": "SK1", "HUAWEICLOUD_SDK_PROJECT_ID": "p1",
                "HUAWEICLOUD_SDK_REGION": "ap-southeast-1", "HUAWEICLOUD_SDK_SECURITY_TOKEN": "T1",
            ])
        let account = try #require(config.account(named: "default"))
        #expect(account.region == "ap-southeast-1" && account.projectID == "p1")
        guard case .accessKey(let ak, let sk, let token) = account.credentials else {
            Issue.record("credentials")
            return
        }
        #expect(ak.value == "AK1" && sk.value == "SK1" && token?.value == "T1")

        let bare = try parse("", environment: [:])
        guard case .missing = bare.account(named: "default")?.credentials else {
            Issue.record("expected missing credentials")
            return
        }
    }

    @Test func secretsComeFromFilesCredentialsAndRotationLists() throws {
        let directory = try makeTemporaryDirectory("jobwatch-config")
        defer { try? FileManager.default.removeItem(at: directory) }
        try "from-file\n".write(to: directory.appendingPathComponent("sk"), atomically: true, encoding: .utf8)
        let config = try parse(
            """
            accounts:
              a:
                ak: x
                sk_credential: sk
              b:
                ak: y
                sk_file: \(directory.path)/sk
            sinks:
              webhooks:
                - name: rotating
                  url: http://127.0.0.1:9/hook
                  secret: [whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw, whsec_dGVzdHNlY3JldHRlc3RzZWNyZXQ=]
            """, environment: ["CREDENTIALS_DIRECTORY": directory.path])
        for name in ["a", "b"] {
            guard case .accessKey(_, let sk, _) = config.account(named: name)?.credentials else {
                Issue.record("no credentials for \(name)")
                continue
            }
            #expect(sk.value == "from-file")
        }
        #expect(config.webhooks.first?.secrets.count == 2)
    }

    @Test func commandsThatNeedNoSecretsLoadWithoutReadingThem() throws {
        let yaml = "accounts:\n  a:\n    ak: x\n    sk_credential: sk\n    sk_file_unused: 1\n"
        #expect(problem(yaml)?.contains("sk_file_unused is not a known key") == true)
        let config = try parse("accounts:\n  a:\n    ak: x\n    sk_credential: sk\n", environment: [:], secrets: .skip)
        guard case .accessKey(_, let sk, _) = config.account(named: "a")?.credentials else {
            Issue.record("credentials")
            return
        }
        #expect(!sk.isLoaded)
    }

    @Test func databaseLocationFollowsTheContractOrder() {
        let config = Configuration()
        #expect(DatabaseLocation.resolve(explicit: "/x.sqlite", configuration: config, environment: [:]) == "/x.sqlite")
        var configured = config
        configured.database = "/etc.sqlite"
        #expect(
            DatabaseLocation.resolve(explicit: nil, configuration: configured, environment: ["STATE_DIRECTORY": "/s"])
                == "/etc.sqlite")
        #expect(
            DatabaseLocation.resolve(explicit: nil, configuration: config, environment: ["STATE_DIRECTORY": "/s:/t"])
                == "/s/jobwatch.sqlite")
        #expect(
            DatabaseLocation.resolve(
                explicit: nil, configuration: config, environment: ["XDG_STATE_HOME": "/x", "HOME": "/h"])
                == "/x/jobwatch/jobwatch.sqlite")
        #expect(
            DatabaseLocation.resolve(explicit: nil, configuration: config, environment: ["HOME": "/h"])
                == "/h/.local/state/jobwatch/jobwatch.sqlite")
    }

    /// Every shipped example loads with the real loader.
    @Test func theShippedConfigurationFilesLoad() throws {
        let root = packageRoot()
        let environment = [
            "HUAWEICLOUD_SDK_AK", "HUAWEICLOUD_SDK_SK", "JOBWATCH_IAM_TOKEN", "JOBWATCH_IAM_PASSWORD",
            "JOBWATCH_FEISHU_SECRET",
            "JOBWATCH_DINGTALK_SECRET", "OTC_ACCESS_KEY", "OTC_SECRET_KEY", "HCS_ACCESS_KEY", "HCS_SECRET_KEY",
        ].reduce(into: [String: String]()) { $0[$1] = "placeholder-\($1)" }
        let credentials = try makeTemporaryDirectory("jobwatch-cred")
        defer { try? FileManager.default.removeItem(at: credentials) }
        try "sk-value".write(to: credentials.appendingPathComponent("sk"), atomically: true, encoding: .utf8)
        var files = ["config/config.yaml", "systemd/config.yaml"]
        let examples = root.appendingPathComponent("config/examples")
        files += try FileManager.default.contentsOfDirectory(atPath: examples.path).filter { $0.hasSuffix(".yaml") }.map
        { "config/examples/\($0)" }
        #expect(files.count >= 8)
        for file in files {
            var env = environment
            env["CREDENTIALS_DIRECTORY"] = credentials.path
            do {
                _ = try ConfigLoader.load(explicitPath: root.appendingPathComponent(file).path, environment: env)
            } catch {
                Issue.record("\(file): \(error)")
            }
        }
    }
}
