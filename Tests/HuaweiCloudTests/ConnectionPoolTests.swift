import Foundation
import HuaweiCloud
import JobwatchSimulator
import JobwatchTestKit
import NIOCore
import NIOHTTP1
import NIOPosix
import NIOSSL
import PostgresTestCluster
import Synchronization
import Testing

/// The cloud client's connections, as a server sees them: how many, reused or not, over TLS or not.
@Suite struct ConnectionPoolTests {
    /// AsyncHTTPClient, used before, opened 8 connections per host unless told otherwise: `max_in_flight: 64`
    /// against one endpoint then ran 8 requests at a time.
    @Test func maxInFlightRequestsToOneEndpointAreInFlightTogether() async throws {
        let gauge = InFlightGauge(expected: 64)
        try await withLoopbackCloud(
            requestTimeoutMillis: 30_000, maxConnectionsPerHost: 64,
            handler: { _ in
                await gauge.hold()
                return .json(200, "{}")
            }
        ) { server, client in
            await withTaskGroup(of: Void.self) { group in
                for index in 0..<64 {
                    group.addTask { _ = try? await client.get(server.baseURL + "/v1/jobs/\(index)") }
                }
            }
        }
        #expect(await gauge.peak == 64)
    }

    @Test func sequentialRequestsShareOneKeptAliveConnection() async throws {
        let server = try await CountingServer.start()
        let client = CloudHTTPClient(requestTimeoutMillis: 10_000, maxConnectionsPerHost: 8)
        for index in 0..<20 {
            let response = try await client.get(server.baseURL + "/v1/jobs/\(index)")
            #expect(response.status == 200)
            #expect(String(decoding: response.body, as: UTF8.self) == "/v1/jobs/\(index)")
        }
        #expect(server.connections == 1)
        await client.shutdown()
        await server.shutdown()
    }

    /// More requests than connections: the rest wait for a free connection, in order, and none fails.
    @Test func requestsBeyondTheConnectionLimitWaitForAFreeConnection() async throws {
        let server = try await CountingServer.start(delay: .milliseconds(50))
        let client = CloudHTTPClient(requestTimeoutMillis: 10_000, maxConnectionsPerHost: 2)
        let statuses = await withTaskGroup(of: Int.self) { group in
            for index in 0..<10 {
                group.addTask { (try? await client.get(server.baseURL + "/\(index)"))?.status ?? 0 }
            }
            return await group.reduce(into: []) { $0.append($1) }
        }
        #expect(statuses == Array(repeating: 200, count: 10))
        #expect(server.connections == 2)
        #expect(server.peakConcurrency == 2)
        await client.shutdown()
        await server.shutdown()
    }

    /// A server that closes every connection after its answer (without saying so, as an idle timeout at a
    /// gateway does): the next request gets a new connection instead of failing on the closed one.
    @Test func aServerClosingConnectionsAfterEachAnswerFailsNoRequest() async throws {
        let server = try await CountingServer.start(closeAfterAnswer: true)
        let client = CloudHTTPClient(requestTimeoutMillis: 10_000, maxConnectionsPerHost: 4)
        for index in 0..<10 {
            let response = try await client.get(server.baseURL + "/\(index)")
            #expect(response.status == 200)
            if index.isMultiple(of: 2) { try await Task.sleep(for: .milliseconds(20)) }
        }
        #expect(server.connections == 10)
        await client.shutdown()
        await server.shutdown()
    }

    @Test func tlsToACertificateOfATrustedAuthority() async throws {
        // `openssl` runs off the cooperative pool: a test blocking its threads would stall the others.
        let (authority, issued) = try await PostgresTestCluster.offPool {
            let authority = try TestCertificateAuthority(name: "jobwatch cloud test CA")
            return (
                authority, try authority.issueServerCertificate(prefix: "ip", dnsNames: [], ipAddresses: ["127.0.0.1"])
            )
        }
        defer { authority.remove() }
        let server = try await CountingServer.start(tls: issued)
        let client = CloudHTTPClient(
            requestTimeoutMillis: 10_000, maxConnectionsPerHost: 4, trustRoots: .file(authority.certificateFile))
        for index in 0..<3 {
            let response = try await client.get(server.baseURL + "/tls/\(index)")
            #expect(response.status == 200)
            #expect(String(decoding: response.body, as: UTF8.self) == "/tls/\(index)")
        }
        #expect(server.connections == 1)
        await client.shutdown()
        await server.shutdown()
    }

    /// Certificates are verified in full: an unknown authority, or a certificate for another name than the
    /// address connected to, is a one-line transient failure, and nothing is answered.
    @Test func tlsRefusesAnUnknownAuthorityAndAMisnamedCertificate() async throws {
        let (authority, good, misnamed) = try await PostgresTestCluster.offPool {
            let authority = try TestCertificateAuthority(name: "jobwatch cloud test CA")
            let good = try authority.issueServerCertificate(prefix: "ip", dnsNames: [], ipAddresses: ["127.0.0.1"])
            let misnamed = try authority.issueServerCertificate(
                prefix: "dns", dnsNames: ["ims.example.com"], ipAddresses: [])
            return (authority, good, misnamed)
        }
        defer { authority.remove() }

        let trusted = CloudHTTPClient(
            requestTimeoutMillis: 10_000, maxConnectionsPerHost: 4, trustRoots: .file(authority.certificateFile))
        let systemRoots = CloudHTTPClient(requestTimeoutMillis: 10_000, maxConnectionsPerHost: 4)
        let goodServer = try await CountingServer.start(tls: good)
        let misnamedServer = try await CountingServer.start(tls: misnamed)

        for (client, server) in [(systemRoots, goodServer), (trusted, misnamedServer)] {
            let result = await client.getResult(server.baseURL + "/secret-path")
            guard case .failure(let error) = result else {
                Issue.record("an unverifiable certificate was accepted: \(result)")
                continue
            }
            #expect(error.summary.contains("TLS failed"), "\(error.summary)")
            #expect(!error.summary.contains("\n"))
            #expect(server.requests == 0)
        }
        await trusted.shutdown()
        await systemRoots.shutdown()
        await goodServer.shutdown()
        await misnamedServer.shutdown()
    }

    /// The daemon's poll tasks prefer the cloud client's event loop: they run on it before and after their
    /// request (the answer resumes them where it was read, without waking another thread).
    @Test func tasksPreferringTheCloudExecutorRunOnTheLoopThatReadsTheirAnswers() async throws {
        let server = try await CountingServer.start()
        let client = CloudHTTPClient(requestTimeoutMillis: 10_000, maxConnectionsPerHost: 2)
        let loops = try await Task(executorPreference: CloudHTTPClient.eventLoopExecutor) {
            let before = MultiThreadedEventLoopGroup.currentEventLoop.map { ObjectIdentifier($0) }
            let response = try await client.get(server.baseURL + "/on-the-loop")
            let after = MultiThreadedEventLoopGroup.currentEventLoop.map { ObjectIdentifier($0) }
            return (before, after, response.status)
        }.value
        #expect(loops.0 != nil)
        #expect(loops.0 == loops.1)
        #expect(loops.2 == 200)
        await client.shutdown()
        await server.shutdown()
    }

    /// Shutting the client down fails what still runs or waits, at once, as cancelled; later requests too.
    @Test func shutdownEndsRunningAndWaitingRequests() async throws {
        let server = try await CountingServer.start(delay: .seconds(30))
        let client = CloudHTTPClient(requestTimeoutMillis: 60_000, maxConnectionsPerHost: 1)
        let started = ContinuousClock.now
        async let running = client.getResult(server.baseURL + "/1")
        async let waiting = client.getResult(server.baseURL + "/2")
        try await Task.sleep(for: .milliseconds(300))
        await client.shutdown()
        for result in await [running, waiting] {
            guard case .failure(let error) = result else {
                Issue.record("a request outlived the client: \(result)")
                continue
            }
            #expect(error.summary.contains("cancelled"), "\(error.summary)")
        }
        #expect(ContinuousClock.now - started < .seconds(10))
        guard case .failure = await client.getResult(server.baseURL + "/3") else {
            Issue.record("a request after shutdown was sent")
            return
        }
        await server.shutdown()
    }
}

extension CloudHTTPClient {
    fileprivate func get(_ url: String) async throws -> CloudResponse {
        try await getResult(url).get()
    }

    /// As the job client calls it (through `CloudExchange`, which gives the failure texts).
    fileprivate func getResult(_ url: String) async -> Result<CloudResponse, CloudError> {
        let url = URL(string: url)!
        let host = "\(url.host ?? ""):\(url.port ?? 0)"
        return await CloudExchange.perform(
            method: .GET, url: url, headers: HTTPHeaders([("Host", host)]), host: host, client: self,
            timeoutMillis: 10_000)
    }
}

/// A loopback HTTP/1.1 server that answers every request with its own path, counting connections and
/// requests; optionally over TLS, after a delay, or closing each connection after its answer.
final class CountingServer: Sendable {
    private let channel: any Channel
    let baseURL: String
    private let stats: Mutex<(connections: Int, requests: Int, concurrent: Int, peak: Int)> = Mutex((0, 0, 0, 0))

    var connections: Int { stats.withLock { $0.connections } }
    var requests: Int { stats.withLock { $0.requests } }
    var peakConcurrency: Int { stats.withLock { $0.peak } }

    private init(channel: any Channel, baseURL: String) {
        self.channel = channel
        self.baseURL = baseURL
    }

    static func start(
        tls: (certificate: String, key: String)? = nil, delay: TimeAmount = .zero, closeAfterAnswer: Bool = false
    ) async throws -> CountingServer {
        let context = try tls.map { tls in
            try NIOSSLContext(
                configuration: .makeServerConfiguration(
                    certificateChain: try NIOSSLCertificate.fromPEMFile(tls.certificate).map { .certificate($0) },
                    privateKey: .privateKey(try NIOSSLPrivateKey(file: tls.key, format: .pem))))
        }
        let box = Mutex<CountingServer?>(nil)
        let bootstrap = ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    let server = box.withLock { $0 }!
                    server.stats.withLock { $0.connections += 1 }
                    if let context {
                        try channel.pipeline.syncOperations.addHandler(NIOSSLServerHandler(context: context))
                    }
                    try channel.pipeline.syncOperations.configureHTTPServerPipeline()
                    try channel.pipeline.syncOperations.addHandler(
                        EchoPathHandler(server: server, delay: delay, closeAfterAnswer: closeAfterAnswer))
                }
            }
        let channel = try await bootstrap.bind(host: "127.0.0.1", port: 0).get()
        let scheme = tls == nil ? "http" : "https"
        let server = CountingServer(channel: channel, baseURL: "\(scheme)://127.0.0.1:\(channel.localAddress!.port!)")
        box.withLock { $0 = server }
        return server
    }

    func shutdown() async {
        try? await channel.close().get()
    }

    fileprivate func began() {
        stats.withLock { stats in
            stats.requests += 1
            stats.concurrent += 1
            stats.peak = max(stats.peak, stats.concurrent)
        }
    }

    fileprivate func ended() {
        stats.withLock { $0.concurrent -= 1 }
    }
}

private final class EchoPathHandler: ChannelInboundHandler {
    typealias InboundIn = HTTPServerRequestPart
    typealias OutboundOut = HTTPServerResponsePart

    let server: CountingServer
    let delay: TimeAmount
    let closeAfterAnswer: Bool
    private var path = ""

    init(server: CountingServer, delay: TimeAmount, closeAfterAnswer: Bool) {
        self.server = server
        self.delay = delay
        self.closeAfterAnswer = closeAfterAnswer
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head(let head):
            path = head.uri
            server.began()
        case .body:
            break
        case .end:
            let body = ByteBuffer(string: path)
            let loopBound = NIOLoopBound((self, context), eventLoop: context.eventLoop)
            context.eventLoop.scheduleTask(in: delay) {
                let (handler, context) = loopBound.value
                handler.server.ended()
                var headers = HTTPHeaders([("Content-Length", "\(body.readableBytes)")])
                headers.add(name: "Content-Type", value: "text/plain")
                let head = HTTPResponseHead(version: .http1_1, status: .ok, headers: headers)
                context.write(handler.wrapOutboundOut(.head(head)), promise: nil)
                context.write(handler.wrapOutboundOut(.body(.byteBuffer(body))), promise: nil)
                let close = handler.closeAfterAnswer
                context.writeAndFlush(handler.wrapOutboundOut(.end(nil))).whenComplete { _ in
                    if close { context.close(promise: nil) }
                }
            }
        }
    }
}
