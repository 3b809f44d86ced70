import Foundation
import JobwatchCore

/// How an account proves who it is.
package enum CloudAuth: Sendable {
    /// AK/SK request signing (what the official SDKs do by default); the token is for temporary credentials.
    case accessKey(ak: String, sk: String, securityToken: String?)
    /// A static IAM token sent as `X-Auth-Token`.
    case token(String)
    /// An IAM user's password, exchanged for a token (`X-Subject-Token`) that is cached and renewed.
    case iamPassword(IAMPasswordCredentials)
}

/// What `POST /v3/auth/tokens` needs for a password identity with a project scope.
package struct IAMPasswordCredentials: Sendable {
    /// Default: `https://iam.{region}.myhuaweicloud.com`, or `$HUAWEICLOUD_SDK_IAM_ENDPOINT`.
    package var endpoint: URL?
    package var domainName: String
    package var userName: String
    package var password: String

    package init(endpoint: URL?, domainName: String, userName: String, password: String) {
        self.endpoint = endpoint
        self.domainName = domainName
        self.userName = userName
        self.password = password
    }
}

/// One Huawei Cloud account as the client uses it.
package struct CloudAccount: Sendable {
    package var name: String
    package var region: String?
    package var projectID: String?
    package var auth: CloudAuth
    /// Per-service endpoint overrides (`https://…`, or `http://` on a loopback address; `{region}` templates).
    package var endpointOverrides: [CloudService: EndpointOverride]

    package init(
        name: String, region: String?, projectID: String?, auth: CloudAuth,
        endpointOverrides: [CloudService: EndpointOverride] = [:]
    ) {
        self.name = name
        self.region = region
        self.projectID = projectID
        self.auth = auth
        self.endpointOverrides = endpointOverrides
    }
}
