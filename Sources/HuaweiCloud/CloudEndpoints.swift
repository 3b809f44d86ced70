import Foundation
import JobwatchCore

/// Why no endpoint could be chosen for a service; the message says what to configure.
package struct CloudEndpointError: Error, Sendable, Hashable, CustomStringConvertible {
    package var message: String
    package var description: String { message }
}

/// Where each service of an account lives: an override when configured, else the regional default.
package enum CloudEndpoints {
    /// Regions whose Workspace image-server jobs are served by `appstream.{region}` rather than `workspace.{region}`.
    package static let appStreamRegions: Set<String> = [
        "cn-north-4", "cn-north-9", "cn-east-3", "cn-south-1", "cn-southwest-2",
    ]

    package static let iamEndpointVariable = "HUAWEICLOUD_SDK_IAM_ENDPOINT"

    /// The base URL (scheme, host, optional port and path prefix, no trailing `/`) for a service.
    ///
    /// IAM: the password credentials' endpoint, then the account's override, then `$HUAWEICLOUD_SDK_IAM_ENDPOINT`
    /// from `environment`, then `https://iam.{region}.myhuaweicloud.com`.
    package static func baseURL(
        for service: CloudService, account: CloudAccount, environment: [String: String]
    ) throws -> URL {
        if service == .iam, case .iamPassword(let credentials) = account.auth, let endpoint = credentials.endpoint {
            return try validated(endpoint, source: "the IAM endpoint of account '\(account.name)'")
        }
        if let override = account.endpointOverrides[service] {
            return try validated(override, source: "endpoints.\(service.rawValue) of account '\(account.name)'")
        }
        if service == .iam, let text = environment[iamEndpointVariable], !text.isEmpty {
            guard let url = URL(string: text) else {
                throw CloudEndpointError(message: "\(iamEndpointVariable) is not a URL")
            }
            return try validated(url, source: iamEndpointVariable)
        }
        guard let region = account.region, !region.isEmpty else {
            throw CloudEndpointError(
                message: "account '\(account.name)' has no region and no \(service.rawValue) endpoint: "
                    + "set its region or endpoints.\(service.rawValue)")
        }
        guard region.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "-") }) else {
            throw CloudEndpointError(message: "account '\(account.name)' has an invalid region '\(region)'")
        }
        let host: String
        switch service {
        case .ims: host = "ims.\(region).myhuaweicloud.com"
        case .iam: host = "iam.\(region).myhuaweicloud.com"
        case .workspace:
            let prefix = appStreamRegions.contains(region) ? "appstream" : "workspace"
            host = "\(prefix).\(region).myhuaweicloud.com"
        }
        return URL(string: "https://\(host)")!
    }

    /// `https://` anywhere, `http://` only on loopback; query and fragment refused; trailing `/` dropped.
    static func validated(_ url: URL, source: String) throws -> URL {
        guard var components = URLComponents(url: url, resolvingAgainstBaseURL: false),
            let scheme = components.scheme?.lowercased(), let host = components.host, !host.isEmpty
        else {
            throw CloudEndpointError(message: "\(source) must be an absolute http(s) URL")
        }
        switch scheme {
        case "https": break
        case "http" where LoopbackAddress.isLoopback(host): break
        case "http": throw CloudEndpointError(message: "\(source) must use https (plain http only on loopback)")
        default: throw CloudEndpointError(message: "\(source) must be an absolute http(s) URL")
        }
        guard components.query == nil, components.fragment == nil, components.user == nil else {
            throw CloudEndpointError(message: "\(source) must not carry a query, a fragment or user info")
        }
        while components.percentEncodedPath.hasSuffix("/") { components.percentEncodedPath.removeLast() }
        guard let cleaned = components.url else {
            throw CloudEndpointError(message: "\(source) must be an absolute http(s) URL")
        }
        return cleaned
    }
}
