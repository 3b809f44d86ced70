import Foundation
import JobwatchCore

/// Why no endpoint could be chosen for a service; the message says what to configure.
package struct CloudEndpointError: Error, Sendable, Hashable, CustomStringConvertible {
    package var message: String
    package var description: String { message }
    package init(message: String) { self.message = message }
}

/// A configured endpoint (`accounts.NAME.endpoints.SERVICE`): a fixed URL, or a template holding `{region}`
/// (`https://ims.{region}.example.com`) that serves every region.
package struct EndpointOverride: Sendable, Hashable, CustomStringConvertible {
    /// As configured (a fixed URL without its trailing `/`).
    package let text: String

    package static let placeholder = "{region}"

    /// A fixed URL, validated by the rules of `CloudEndpoints.validated`.
    package init(_ url: URL) {
        text = url.absoluteString
    }

    /// Parses and validates configured text; `source` names the key in the error.
    package init(parsing text: String, source: String) throws {
        // A template must be valid for any region: check it with one.
        _ = try CloudEndpoints.validated(
            text.replacingOccurrences(of: Self.placeholder, with: "cn-north-4"), source: source)
        self.text = text
    }

    package var isTemplate: Bool { text.contains(Self.placeholder) }

    package var description: String { text }

    /// The URL for `region`; a fixed URL is the same for every region.
    func url(region: String, source: String) throws -> URL {
        try CloudEndpoints.validated(text.replacingOccurrences(of: Self.placeholder, with: region), source: source)
    }
}

/// Where each service lives. The ONE place for endpoint and URL rules: configuration validation, `config
/// check`, the daemon's start-up check, `register --region` and the client all call these.
package enum CloudEndpoints {
    /// Regions whose Workspace image-server jobs are served by `appstream.{region}` rather than `workspace.{region}`.
    package static let appStreamRegions: Set<String> = [
        "cn-north-4", "cn-north-9", "cn-east-3", "cn-south-1", "cn-southwest-2",
    ]

    package static let iamEndpointVariable = "HUAWEICLOUD_SDK_IAM_ENDPOINT"

    /// Why `region` cannot be a region name (it becomes part of a host name), or nil.
    package static func regionProblem(_ region: String) -> String? {
        let valid =
            !region.isEmpty && region.count <= 64 && region.first != "-" && region.last != "-"
            && region.allSatisfy { $0.isASCII && ($0.isLowercase || $0.isNumber || $0 == "-") }
        return valid ? nil : "'\(region)' is not a region name (lowercase letters, digits and '-', e.g. cn-north-4)"
    }

    /// The base URL (scheme, host, optional port and path prefix, no trailing `/`) for a service of `account`,
    /// for a job in `region` (nil: the account's region).
    ///
    /// An override serves the account's own region; one written with `{region}` serves every region. Without an
    /// override the regional default is derived from the region, as for the account. IAM: the password
    /// credentials' endpoint, then the account's override, then `$HUAWEICLOUD_SDK_IAM_ENDPOINT` from
    /// `environment`, then `https://iam.{region}.myhuaweicloud.com`.
    package static func baseURL(
        for service: CloudService, account: CloudAccount, region jobRegion: String? = nil,
        environment: [String: String]
    ) throws -> URL {
        if service == .iam, case .iamPassword(let credentials) = account.auth, let endpoint = credentials.endpoint {
            return try validated(endpoint.absoluteString, source: "the IAM endpoint of account '\(account.name)'")
        }
        return try baseURL(
            for: service, accountName: account.name, accountRegion: account.region,
            overrides: account.endpointOverrides, region: jobRegion, environment: environment)
    }

    /// `baseURL(for:account:…)` from an account's parts, for callers without its credentials (the CLI).
    package static func baseURL(
        for service: CloudService, accountName: String, accountRegion: String?,
        overrides: [CloudService: EndpointOverride], region jobRegion: String? = nil, environment: [String: String]
    ) throws -> URL {
        let region = jobRegion ?? accountRegion
        let foreign = jobRegion != nil && jobRegion != accountRegion
        if let region, let problem = regionProblem(region) {
            throw CloudEndpointError(message: "account '\(accountName)': region \(problem)")
        }
        if let override = overrides[service] {
            let source = "endpoints.\(service.rawValue) of account '\(accountName)'"
            if override.isTemplate {
                guard let region else {
                    throw CloudEndpointError(
                        message: "\(source) holds {region} but the account has no region: set its region")
                }
                return try override.url(region: region, source: source)
            }
            guard !foreign else {
                throw CloudEndpointError(
                    message:
                        "\(source) is the fixed URL \(override.text) for region \(accountRegion ?? "(none)"), so "
                        + "it cannot serve region \(region ?? ""): write {region} in it "
                        + "(https://ims.{region}.example.com) or configure an account for that region"
                )
            }
            return try override.url(region: region ?? "", source: source)
        }
        if service == .iam, let text = environment[iamEndpointVariable], !text.isEmpty {
            return try validated(text, source: iamEndpointVariable)
        }
        guard let region else {
            throw CloudEndpointError(
                message: "account '\(accountName)' has no region and no \(service.rawValue) endpoint: "
                    + "set its region or endpoints.\(service.rawValue)")
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

    /// Why an account cannot poll a job in a region other than its own, or nil: an IAM token is scoped to the
    /// account's project, which belongs to the account's region; an AK/SK signature is valid in every region.
    package static func foreignRegionProblem(accountName: String, tokenAuth: Bool, region: String) -> String? {
        guard tokenAuth else { return nil }
        return
            "account '\(accountName)' authenticates with an IAM token, which is scoped to its own "
            + "region's project, so it cannot poll a job in region \(region): configure an account for that region"
    }

    package static func foreignRegionProblem(account: CloudAccount, region: String) -> String? {
        if case .accessKey = account.auth {
            return nil
        }
        return foreignRegionProblem(accountName: account.name, tokenAuth: true, region: region)
    }

    /// The URL rules: absolute, `https://` anywhere, `http://` only on loopback, no query, fragment or user
    /// info; the trailing `/` dropped.
    package static func validated(_ text: String, source: String) throws -> URL {
        guard let url = URL(string: text), var components = URLComponents(url: url, resolvingAgainstBaseURL: false),
            let scheme = components.scheme?.lowercased(), let host = components.host, !host.isEmpty
        else {
            throw CloudEndpointError(message: "\(source): '\(text)' is not an absolute http(s) URL")
        }
        switch scheme {
        case "https": break
        case "http" where LoopbackAddress.isLoopback(host): break
        case "http":
            throw CloudEndpointError(
                message:
                    "\(source) uses plain http to \(host); use https (plain http is allowed only for loopback "
                    + "addresses)"
            )
        default: throw CloudEndpointError(message: "\(source): '\(text)' is not an absolute http(s) URL")
        }
        guard components.query == nil, components.fragment == nil, components.user == nil,
            components.password == nil
        else {
            throw CloudEndpointError(message: "\(source) must not carry a query, a fragment or user info")
        }
        while components.percentEncodedPath.hasSuffix("/") { components.percentEncodedPath.removeLast() }
        guard let cleaned = components.url else {
            throw CloudEndpointError(message: "\(source): '\(text)' is not an absolute http(s) URL")
        }
        return cleaned
    }
}
