import ArgumentParser
import Foundation
import JobwatchDaemon

/// The `jobwatch` command line.
package struct Jobwatch: AsyncParsableCommand {
    package static let version = "0.1.0"

    package static let configuration = CommandConfiguration(
        commandName: "jobwatch",
        abstract: "Know when Huawei Cloud asynchronous jobs finish, and tell whoever waits for them.",
        version: version,
        subcommands: [
            Daemon.self, Register.self, Unregister.self, List.self, Show.self, Wait.self, Events.self, Deliveries.self,
            Redeliver.self, ConfigCommand.self, Simulate.self, Demo.self, Manual.self, MigrateStore.self,
        ]
    )

    package init() {}

    /// Parses the process arguments, runs the command and exits with the contract's exit code.
    /// Every failure prints exactly one line on stderr.
    package static func runMain(arguments: [String] = Array(CommandLine.arguments.dropFirst())) async -> Never {
        do {
            var command = try parseAsRoot(GlobalOptions.hoist(arguments))
            if var asyncCommand = command as? AsyncParsableCommand {
                try await asyncCommand.run()
            } else {
                try command.run()
            }
            Foundation.exit(ExitStatus.success.rawValue)
        } catch let failure as CLIFailure {
            fail(failure.status, failure.message)
        } catch let code as ExitCode {
            Foundation.exit(code.rawValue)
        } catch {
            let code = exitCode(for: error)
            if code == .success {
                // --help, --version
                print(fullMessage(for: error))
                Foundation.exit(0)
            }
            let message = message(for: error).split(separator: "\n").first.map(String.init) ?? "invalid arguments"
            fail(.usage, "\(message) (see `jobwatch help`)")
        }
    }

    static func fail(_ status: ExitStatus, _ message: String) -> Never {
        try? StandardOutput.write("jobwatch: \(message)\n", to: STDERR_FILENO)
        Foundation.exit(status.rawValue)
    }
}
