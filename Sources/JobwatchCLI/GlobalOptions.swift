import ArgumentParser

/// `--config FILE` and `--db FILE`, accepted before or after the subcommand.
struct GlobalOptions: ParsableArguments {
    @Option(name: .customLong("config"), help: ArgumentHelp("The configuration file.", valueName: "FILE"))
    var configPath: String?

    @Option(name: .customLong("db"), help: ArgumentHelp("The database file.", valueName: "FILE"))
    var databasePath: String?

    static let names = ["--config", "--db"]

    /// Moves global options found anywhere (before `--`) to the end, where every subcommand's
    /// `@OptionGroup` parses them: `jobwatch --db x list` then means `jobwatch list --db x`.
    static func hoist(_ arguments: [String]) -> [String] {
        var rest: [String] = []
        var globals: [String] = []
        var index = 0
        while index < arguments.count {
            let argument = arguments[index]
            if argument == "--" {
                rest += arguments[index...]
                break
            }
            if names.contains(argument), index + 1 < arguments.count {
                globals += [argument, arguments[index + 1]]
                index += 2
                continue
            }
            if names.contains(where: { argument.hasPrefix($0 + "=") }) {
                globals.append(argument)
            } else {
                rest.append(argument)
            }
            index += 1
        }
        guard let separator = rest.firstIndex(of: "--") else { return rest + globals }
        return Array(rest[..<separator]) + globals + Array(rest[separator...])
    }
}
