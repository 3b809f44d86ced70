import Foundation
import HuaweiCloud
import JobwatchConfig
import JobwatchCore

/// The daemon's start-up rule: what a configuration must give before `jobwatch daemon` starts (or a
/// SIGHUP reload is accepted). Other commands run without it; `config check` reports it.
package enum DaemonReadiness {
    /// Why the daemon could not run with this configuration, if it could not. The endpoints are checked by
    /// the rules the client applies (`CloudEndpoints`), so what passes here the client accepts.
    package static func problem(
        _ config: Configuration, environment: [String: String] = ProcessInfo.processInfo.environment
    ) -> String? {
        for account in config.accounts {
            if case .missing = account.credentials {
                return "account '\(account.name)' has no credentials: set HUAWEICLOUD_SDK_AK and "
                    + "HUAWEICLOUD_SDK_SK, or configure accounts: in \(config.source ?? "/etc/jobwatch/config.yaml")"
            }
            // Without a region only the services given an endpoint can be used.
            var services: [CloudService] =
                account.region == nil
                ? account.endpoints.keys.filter { $0 != .iam }.sorted { $0.rawValue < $1.rawValue }
                : [.ims, .workspace]
            if services.isEmpty {
                return "account '\(account.name)' has no region: set region (or HUAWEICLOUD_SDK_REGION), "
                    + "or endpoints for every service it uses"
            }
            if case .iamPassword(let endpoint, _, _, _) = account.credentials, endpoint == nil { services.append(.iam) }
            for service in services {
                do {
                    _ = try CloudEndpoints.baseURL(
                        for: service, accountName: account.name, accountRegion: account.region,
                        overrides: account.endpoints, environment: environment)
                } catch {
                    return "\(error)"
                }
            }
        }
        return nil
    }
}
