import JobwatchConfig

/// The daemon's start-up rule: what a configuration must give before `jobwatch daemon` starts (or a
/// SIGHUP reload is accepted). Other commands run without it; `config check` reports it.
package enum DaemonReadiness {
    /// Why the daemon could not run with this configuration, if it could not.
    package static func problem(_ config: Configuration) -> String? {
        for account in config.accounts {
            if case .missing = account.credentials {
                return "account '\(account.name)' has no credentials: set HUAWEICLOUD_SDK_AK and "
                    + "HUAWEICLOUD_SDK_SK, or configure accounts: in \(config.source ?? "/etc/jobwatch/config.yaml")"
            }
            if account.region == nil && account.endpoints.isEmpty {
                return "account '\(account.name)' has no region: set region (or HUAWEICLOUD_SDK_REGION), "
                    + "or endpoints for every service it uses"
            }
        }
        return nil
    }
}
