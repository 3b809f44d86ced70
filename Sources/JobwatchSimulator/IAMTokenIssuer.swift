import Foundation
import JobwatchCore
import Synchronization

/// A minimal IAM: `POST /v3/auth/tokens` with a password identity returns a token in `X-Subject-Token`,
/// which the job APIs then accept as `X-Auth-Token` until it expires.
final class IAMTokenIssuer: Sendable {
    private let users: [String: String]
    private let lifetimeMillis: Int64
    /// Token → expiry (ms).
    private let issued = Mutex<[String: Int64]>([:])

    init(users: [String: String], lifetimeMillis: Int64) {
        self.users = users
        self.lifetimeMillis = lifetimeMillis
    }

    private struct Request: Decodable {
        struct Auth: Decodable { var identity: Identity }
        struct Identity: Decodable { var password: Password? }
        struct Password: Decodable { var user: User }
        struct User: Decodable {
            var name: String
            var password: String
        }
        var auth: Auth
    }

    func issue(_ request: ServerRequest, now: Int64) -> ServerResponse {
        guard let body = try? JSONDecoder().decode(Request.self, from: Data(request.body)),
            let user = body.auth.identity.password?.user
        else {
            return iamError(400, "The request body is not a password identity.", title: "Bad Request")
        }
        guard let expected = users[user.name], expected == user.password else {
            return iamError(401, "The username or password is wrong.", title: "Unauthorized")
        }
        var generator = SystemRandomNumberGenerator()
        let token = "MIIsim" + (0..<4).map { _ in String(generator.next() as UInt64, radix: 16) }.joined()
        let expiresAt = now + lifetimeMillis
        issued.withLock { $0[token] = expiresAt }
        var response = CloudErrorBody.json(
            201,
            .object([
                (
                    "token",
                    .object([
                        ("expires_at", .string(CloudTime.format(millis: expiresAt))),
                        ("issued_at", .string(CloudTime.format(millis: now))),
                        ("methods", .array([.string("password")])),
                        ("user", .object([("name", .string(user.name))])),
                    ])
                )
            ]))
        response.headers.append(("X-Subject-Token", token))
        return response
    }

    enum Verdict { case valid, expired, unknown }

    func verdict(on token: String, now: Int64) -> Verdict {
        guard let expiry = issued.withLock({ $0[token] }) else { return .unknown }
        return now < expiry ? .valid : .expired
    }

    private func iamError(_ status: Int, _ message: String, title: String) -> ServerResponse {
        CloudErrorBody.json(
            status,
            .object([
                (
                    "error",
                    .object([("code", .int(Int64(status))), ("message", .string(message)), ("title", .string(title))])
                )
            ]))
    }
}
