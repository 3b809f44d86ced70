/// Where the database lives (CONTRACT §1): `--db`, then `database:` in the configuration, then
/// `$STATE_DIRECTORY/jobwatch.sqlite` (systemd), then `$XDG_STATE_HOME/jobwatch/jobwatch.sqlite`
/// (default `~/.local/state/jobwatch/jobwatch.sqlite`).
package enum DatabaseLocation {
    package static let fileName = "jobwatch.sqlite"

    package static func resolve(
        explicit: String?, configuration: Configuration, environment: [String: String]
    ) -> String {
        if let explicit, !explicit.isEmpty { return explicit }
        if let configured = configuration.database { return configured }
        // systemd may pass several directories separated by ':'; the first is ours.
        if let state = environment["STATE_DIRECTORY"]?.split(separator: ":").first, !state.isEmpty {
            return "\(state)/\(fileName)"
        }
        if let xdg = environment["XDG_STATE_HOME"], xdg.hasPrefix("/") {
            return "\(xdg)/jobwatch/\(fileName)"
        }
        let home = environment["HOME"].flatMap { $0.isEmpty ? nil : $0 } ?? "/root"
        return "\(home)/.local/state/jobwatch/\(fileName)"
    }
}
