import ArgumentParser

/// `jobwatch manual`: the man page jobwatch(1) in roff, generated from the argument parser's own help of
/// every command, so it never drifts from `--help`. Hidden; `make install` writes it to man1/jobwatch.1.
struct Manual: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Print the jobwatch(1) man page (roff), made from every command's help.",
        shouldDisplay: false)

    func run() throws {
        print(Self.page(), terminator: "")
    }

    static func page() -> String {
        var lines = [
            #".TH JOBWATCH 1 "" "jobwatch \#(Jobwatch.version)" "User Commands""#,
            ".SH NAME",
            #"jobwatch \- know when Huawei Cloud asynchronous jobs finish, and tell whoever waits for them"#,
            ".SH SYNOPSIS",
            ".B jobwatch",
            ".I command",
            ".RI [ options ]",
            ".br",
            ".B jobwatch",
            ".I command",
            ".B --help",
            ".SH DESCRIPTION",
            escaped(
                "jobwatch is a service that tracks Huawei Cloud image jobs (IMS and Workspace): `jobwatch daemon` "
                    + "polls the job APIs, records every status and sub-job transition in SQLite and emits CloudEvents "
                    + "on standard output and to webhooks; the other commands register jobs, wait for them and show "
                    + "what happened. Global options, before or after the command: --config FILE, --db FILE."),
            ".SH COMMANDS",
        ]
        for command in Jobwatch.configuration.subcommands
        where command.configuration.shouldDisplay {
            let name = command._commandName
            lines.append(#".SS "jobwatch \#(name)""#)
            lines.append(".nf")
            lines += Jobwatch.helpMessage(for: command, columns: 78).split(
                separator: "\n", omittingEmptySubsequences: false
            )
            .map { escaped(String($0)) }
            lines.append(".fi")
        }
        lines += [
            ".SH EXIT STATUS",
            ".TP", "0", "success",
            ".TP", "1", "wait: a job ended FAIL",
            ".TP", "2", "wait: a job ended ABNORMAL",
            ".TP", "3", "wait: tracking ended without a verdict (expired, not found, stopped)",
            ".TP", "4", "no such tracked job (or event)",
            ".TP", "64", "usage: an unknown option, a malformed job id, label, duration, account or sink",
            ".TP", "65", "bad input data (register --from-json, a simulator scenario)",
            ".TP", "69", "a service needed is unavailable (a port to listen on)",
            ".TP", "70", "internal error",
            ".TP", "74", "database error",
            ".TP", "75", "another daemon already serves this database",
            ".TP", "78", "configuration error",
            ".TP", "124", "wait --timeout elapsed",
            ".SH FILES",
            ".TP", "/etc/jobwatch/config.yaml",
            "the configuration, when neither --config nor JOBWATCH_CONFIG names one",
            ".TP", escaped("$STATE_DIRECTORY/jobwatch.sqlite, ~/.local/state/jobwatch/jobwatch.sqlite"),
            "the database, unless --db or database: in the configuration says otherwise",
            ".SH ENVIRONMENT",
            ".TP", "JOBWATCH_CONFIG", "the configuration file",
            ".TP",
            escaped("HUAWEICLOUD_SDK_AK, HUAWEICLOUD_SDK_SK, HUAWEICLOUD_SDK_PROJECT_ID, HUAWEICLOUD_SDK_REGION"),
            "the default account when the configuration names none, as the official SDKs read them",
            ".TP", "NOTIFY_SOCKET, WATCHDOG_USEC, CREDENTIALS_DIRECTORY", "set by systemd for jobwatch daemon",
            ".SH SEE ALSO",
            #".BR systemctl (1), "#,
            #".BR journalctl (1); "#,
            "/usr/share/doc/jobwatch (config.yaml, systemd.md, examples)",
        ]
        return lines.joined(separator: "\n") + "\n"
    }

    /// Text as roff reads it literally: backslashes escaped, no line taken for a request.
    static func escaped(_ text: String) -> String {
        let body = text.replacingOccurrences(of: "\\", with: "\\e")
        return body.hasPrefix(".") || body.hasPrefix("'") ? "\\&" + body : body
    }
}
