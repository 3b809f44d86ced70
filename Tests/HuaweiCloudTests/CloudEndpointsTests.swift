import Foundation
import HuaweiCloud
import JobwatchCore
import Testing

struct CloudEndpointsTests {
    private func account(
        region: String? = "cn-north-4", overrides: [CloudService: String] = [:], auth: CloudAuth = .token("t")
    ) -> CloudAccount {
        // Unvalidated on purpose: the rules under test apply when the URL is used.
        CloudAccount(
            name: "main", region: region, projectID: nil, auth: auth,
            endpointOverrides: overrides.mapValues { EndpointOverride(URL(string: $0)!) })
    }

    private func url(
        _ service: CloudService, _ account: CloudAccount, region: String? = nil, env: [String: String] = [:]
    ) throws -> String {
        try CloudEndpoints.baseURL(for: service, account: account, region: region, environment: env).absoluteString
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
            .ims: "https://ims.eu-west-101.myhuaweicloud.eu/",
            .workspace: "http://127.0.0.1:8080/gateway/workspace/",
        ])
        #expect(try url(.ims, overridden) == "https://ims.eu-west-101.myhuaweicloud.eu")
        #expect(try url(.workspace, overridden) == "http://127.0.0.1:8080/gateway/workspace")
        #expect(
            try url(.ims, account(region: nil, overrides: [.ims: "https://ims.example.com"]))
                == "https://ims.example.com")
    }

    @Test func plainHTTPOnlyOnLoopback() throws {
        let local = account(overrides: [.ims: "http://localhost:9000"])
        #expect(try url(.ims, local) == "http://localhost:9000")
        #expect(throws: CloudEndpointError.self) {
            try url(.ims, account(overrides: [.ims: "http://ims.example.com"]))
        }
        #expect(throws: CloudEndpointError.self) {
            try url(.ims, account(overrides: [.ims: "ftp://127.0.0.1"]))
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

    @Test func aJobInAnotherRegionIsPolledAtThatRegionsEndpoint() throws {
        let plain = account(region: "cn-north-4")
        #expect(try url(.ims, plain, region: "cn-south-1") == "https://ims.cn-south-1.myhuaweicloud.com")
        #expect(
            try url(.workspace, plain, region: "ap-southeast-1") == "https://workspace.ap-southeast-1.myhuaweicloud.com"
        )
        #expect(try url(.workspace, plain, region: "cn-east-3") == "https://appstream.cn-east-3.myhuaweicloud.com")
        // The account's own region, given or not, is the account's endpoint.
        #expect(try url(.ims, plain, region: "cn-north-4") == "https://ims.cn-north-4.myhuaweicloud.com")

        let template = try EndpointOverride(parsing: "https://ims.{region}.example.com/", source: "endpoints.ims")
        let templated = CloudAccount(
            name: "otc", region: "eu-de", projectID: nil, auth: .token("t"), endpointOverrides: [.ims: template])
        #expect(try url(.ims, templated) == "https://ims.eu-de.example.com")
        #expect(try url(.ims, templated, region: "eu-nl") == "https://ims.eu-nl.example.com")

        // A fixed override serves its account's region only, and says what to do.
        let fixed = account(overrides: [.ims: "https://ims.private.example.com"])
        #expect(try url(.ims, fixed) == "https://ims.private.example.com")
        do {
            _ = try url(.ims, fixed, region: "cn-south-1")
            Issue.record("a fixed endpoint served another region")
        } catch let error as CloudEndpointError {
            #expect(error.message.contains("cannot serve region cn-south-1") && error.message.contains("{region}"))
        }
        #expect(throws: CloudEndpointError.self) { try url(.ims, plain, region: "CN South") }
        #expect(throws: CloudEndpointError.self) {
            try EndpointOverride(parsing: "http://ims.{region}.example.com", source: "endpoints.ims")
        }
    }
}
