import Foundation
import HuaweiCloud
import JobwatchCore
import Testing

struct CloudEndpointsTests {
    private func account(
        region: String? = "cn-north-4", overrides: [CloudService: URL] = [:], auth: CloudAuth = .token("t")
    ) -> CloudAccount {
        CloudAccount(name: "main", region: region, projectID: nil, auth: auth, endpointOverrides: overrides)
    }

    private func url(_ service: CloudService, _ account: CloudAccount, env: [String: String] = [:]) throws -> String {
        try CloudEndpoints.baseURL(for: service, account: account, environment: env).absoluteString
    }

    @Test func regionalDefaults() throws {
        #expect(try url(.ims, account(region: "ap-southeast-1")) == "https://ims.ap-southeast-1.myhuaweicloud.com")
        #expect(try url(.iam, account(region: "eu-west-0")) == "https://iam.eu-west-0.myhuaweicloud.com")
        for region in ["cn-north-4", "cn-north-9", "cn-east-3", "cn-south-1", "cn-southwest-2"] {
            #expect(try url(.workspace, account(region: region)) == "https://appstream.\(region).myhuaweicloud.com")
        }
        for region in ["ap-southeast-1", "la-south-2", "cn-east-5", "af-south-1"] {
            #expect(try url(.workspace, account(region: region)) == "https://workspace.\(region).myhuaweicloud.com")
        }
    }

    @Test func overridesKeepTheirPathPrefixAndWinOverTheRegion() throws {
        let overridden = account(overrides: [
            .ims: URL(string: "https://ims.eu-west-101.myhuaweicloud.eu/")!,
            .workspace: URL(string: "http://127.0.0.1:8080/gateway/workspace/")!,
        ])
        #expect(try url(.ims, overridden) == "https://ims.eu-west-101.myhuaweicloud.eu")
        #expect(try url(.workspace, overridden) == "http://127.0.0.1:8080/gateway/workspace")
        #expect(
            try url(.ims, account(region: nil, overrides: [.ims: URL(string: "https://ims.example.com")!]))
                == "https://ims.example.com")
    }

    @Test func plainHTTPOnlyOnLoopback() throws {
        let local = account(overrides: [.ims: URL(string: "http://localhost:9000")!])
        #expect(try url(.ims, local) == "http://localhost:9000")
        #expect(throws: CloudEndpointError.self) {
            try url(.ims, account(overrides: [.ims: URL(string: "http://ims.example.com")!]))
        }
        #expect(throws: CloudEndpointError.self) {
            try url(.ims, account(overrides: [.ims: URL(string: "ftp://127.0.0.1")!]))
        }
    }

    @Test func missingRegionWithoutOverrideIsAClearError() throws {
        do {
            _ = try url(.workspace, account(region: nil))
            Issue.record("expected an error")
        } catch let error as CloudEndpointError {
            #expect(error.message.contains("no region"))
            #expect(error.message.contains("endpoints.workspace"))
        }
    }

    @Test func iamEndpointComesFromCredentialsThenEnvironmentThenRegion() throws {
        let env = ["HUAWEICLOUD_SDK_IAM_ENDPOINT": "https://iam.myhuaweicloud.com"]
        let explicit = IAMPasswordCredentials(
            endpoint: URL(string: "https://iam.example.com/"), domainName: "d", userName: "u", password: "p")
        #expect(try url(.iam, account(auth: .iamPassword(explicit)), env: env) == "https://iam.example.com")
        var implicit = explicit
        implicit.endpoint = nil
        #expect(try url(.iam, account(auth: .iamPassword(implicit)), env: env) == "https://iam.myhuaweicloud.com")
        #expect(try url(.iam, account(auth: .iamPassword(implicit))) == "https://iam.cn-north-4.myhuaweicloud.com")
    }
}
