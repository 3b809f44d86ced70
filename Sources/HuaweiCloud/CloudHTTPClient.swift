import Foundation
import NIOCore
import NIOHTTP1
import NIOPosix
import NIOSSL
import Synchronization

/// The one long-lived HTTP/1.1 client all accounts share: keep-alive connections per endpoint, TLS with full
/// certificate verification, no redirects, no decompression. The caller owns it and shuts it down on exit.
///
/// It does one thing, the cloud's request/response round trip (`execute`), and does it with little work per
/// request: the request head is encoded by NIO's `HTTPRequestEncoder`, the response parsed by NIO's
/// `HTTPResponseDecoder` (llhttp), and the rest is a list of idle connections per endpoint behind one lock.
/// (AsyncHTTPClient, used before, spent more CPU in its request and connection state machines than jobwatch
/// spent signing, decoding and recording a poll; see BENCHMARKS.md.) Webhooks keep AsyncHTTPClient.
package final class CloudHTTPClient: Sendable {
    /// Upper bound of a response body; a larger one is a transient failure, never a crash.
    package static let maxBodyBytes = 4 * 1024 * 1024
    /// An idle connection unused for this long is closed instead of reused (servers drop idle connections;
    /// reusing one they are closing would fail a request).
    static let idleLimitNanoseconds: UInt64 = 50_000_000_000

    /// One event loop thread for all cloud connections, for the life of the process (like NIO's singleton
    /// group): with one loop, a poll task that prefers `eventLoopExecutor` gets its answer on its own thread.
    private static let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
    /// That group's one loop: every connection, deadline and preferring task runs on it.
    static let loop = group.next()
    /// Runs tasks on the cloud connections' event loop (the daemon's poll tasks prefer it).
    package static let eventLoopExecutor: any TaskExecutor = EventLoopTaskExecutor(loop: loop)
    let connectTimeout: TimeAmount
    let maxConnectionsPerHost: Int
    private let tlsContext: Mutex<NIOSSLContext?> = Mutex(nil)
    private let trustRoots: NIOSSLTrustRoots
    let pools = Mutex(Pools())

    /// `connectTimeoutMillis` bounds connecting (each exchange is bounded as a whole by its own deadline);
    /// up to `maxConnectionsPerHost` connections to one endpoint (`polling.max_in_flight`). `trustRoots`
    /// replaces the system's certificate authorities (tests use their own).
    package init(
        requestTimeoutMillis: Int64, maxConnectionsPerHost: Int, trustRoots: NIOSSLTrustRoots = .default
    ) {
        connectTimeout = .milliseconds(max(1, requestTimeoutMillis))
        self.maxConnectionsPerHost = max(1, maxConnectionsPerHost)
        self.trustRoots = trustRoots
    }

    /// The TLS context, made at the first HTTPS request (loading the trust store costs milliseconds).
    func sslContext() throws -> NIOSSLContext {
        try tlsContext.withLock { context in
            if let context { return context }
            var configuration = TLSConfiguration.makeClientConfiguration()
            configuration.certificateVerification = .fullVerification
            configuration.trustRoots = trustRoots
            let made = try NIOSSLContext(configuration: configuration)
            context = made
            return made
        }
    }

    /// Loads the trust store now, on a Dispatch thread, so that the first HTTPS request does not load it on
    /// the event loop (the daemon calls this at start; a failure shows at that request, as a TLS failure).
    package func prepareTLS() {
        DispatchQueue.global().async { _ = try? self.sslContext() }
    }

    /// Closes every connection and fails the requests that wait for one; later requests fail at once.
    package func shutdown() async {
        let (connections, waiting) = pools.withLock { pools in pools.shutDown() }
        for exchange in waiting { exchange.finish(.failure(.shutDown)) }
        for connection in connections { connection.channel.close(mode: .all, promise: nil) }
        for connection in connections { try? await connection.channel.closeFuture.get() }
    }

    /// After `shutdown`: what then fails on a connection fails as `shutDown`, not as a broken answer.
    var isShutDown: Bool { pools.withLock { $0.isShutDown } }

    /// One round trip. `headers` must include `Host`; a `Content-Length` is added for a body.
    package func execute(
        method: HTTPMethod, url: URL, headers: HTTPHeaders, body: [UInt8], timeoutMillis: Int64
    ) async throws(CloudHTTPFailure) -> CloudResponse {
        let request = try PreparedRequest(method: method, url: url, headers: headers, body: body)
        let deadline = NIODeadline.now() + .milliseconds(max(1, timeoutMillis))
        let exchange = Exchange(request: request, deadline: deadline)
        let result: Result<CloudResponse, CloudHTTPFailure> = await withTaskCancellationHandler {
            await withCheckedContinuation { continuation in
                if exchange.attach(continuation) { start(exchange, fresh: false) }
            }
        } onCancel: {
            exchange.finish(.failure(.cancelled))
        }
        return try result.get()
    }

    /// Finds the exchange a connection: an idle one, a new one, or a place in the queue.
    func start(_ exchange: Exchange, fresh: Bool) {
        let now = DispatchTime.now().uptimeNanoseconds
        let decision = pools.withLock { pools in
            pools.acquire(for: exchange, fresh: fresh, limit: maxConnectionsPerHost, nowNanoseconds: now)
        }
        for stale in decision.stale { stale.channel.close(promise: nil) }
        switch decision.action {
        case .shutDown:
            exchange.finish(.failure(.shutDown))
        case .reuse(let connection):
            connection.channel.eventLoop.execute { connection.run(exchange, client: self, reused: true) }
        case .connect:
            exchange.armDeadline(on: Self.loop)
            connect(for: exchange)
        case .queued:
            exchange.armDeadline(on: Self.loop)
        }
    }

    /// Opens a connection for `exchange` (its slot is already counted in the pool).
    func connect(for exchange: Exchange) {
        let key = exchange.request.key
        let context: NIOSSLContext?
        do {
            context = key.tls ? try sslContext() : nil
        } catch {
            connectFailed(key: key, exchange: exchange, error: .transport(error))
            return
        }
        let serverName = key.host.isIPAddress ? nil : key.host
        let bootstrap = ClientBootstrap(group: Self.loop)
            .connectTimeout(connectTimeout)
            .channelOption(.tcpOption(.tcp_nodelay), value: 1)
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    let sync = channel.pipeline.syncOperations
                    if let context {
                        try sync.addHandler(NIOSSLClientHandler(context: context, serverHostname: serverName))
                    }
                    try sync.addHTTPClientHandlers()
                    try sync.addHandler(ResponseCollector())
                }
            }
        bootstrap.connect(host: key.host, port: key.port).whenComplete { result in
            switch result {
            case .success(let channel):
                guard let connection = try? PooledConnection(channel: channel, key: key) else {
                    channel.close(promise: nil)
                    self.connectFailed(key: key, exchange: exchange, error: .closed)
                    return
                }
                channel.closeFuture.whenComplete { _ in self.closed(connection) }
                if self.pools.withLock({ $0.opened(connection) }) {
                    connection.run(exchange, client: self, reused: false)
                } else {
                    channel.close(promise: nil)
                    exchange.finish(.failure(.shutDown))
                }
            case .failure(let error):
                self.connectFailed(key: key, exchange: exchange, error: .transport(error))
            }
        }
    }

    private func connectFailed(key: PoolKey, exchange: Exchange, error: CloudHTTPFailure) {
        exchange.finish(.failure(error))
        // The slot is free again: the next waiter, if any, tries a connection of its own.
        if let next = pools.withLock({ $0.slotFreed(key: key) }) { connect(for: next) }
    }

    /// Called on the connection's event loop when its exchange ended and the connection may serve another.
    func release(_ connection: PooledConnection) {
        let now = DispatchTime.now().uptimeNanoseconds
        guard let next = pools.withLock({ $0.release(connection, nowNanoseconds: now) }) else { return }
        connection.run(next, client: self, reused: true)
    }

    private func closed(_ connection: PooledConnection) {
        if let next = pools.withLock({ $0.closed(connection) }) { connect(for: next) }
    }
}

/// Why an exchange produced no response. `CloudExchange` turns each into a fixed, secret-free text.
package enum CloudHTTPFailure: Error, Sendable {
    case timedOut
    case tooLarge
    case cancelled
    case shutDown
    /// The request cannot be sent as given (a header with a line break, a URL without a host); never quotes it.
    case invalidRequest(String)
    /// The server closed the connection before the answer was complete.
    case closed
    case transport(any Error)
}

/// A complete response: status, headers and the whole body (at most `CloudHTTPClient.maxBodyBytes`).
package struct CloudResponse: Sendable {
    package var status: Int
    package var headers: HTTPHeaders
    package var body: [UInt8]

    package var isSuccess: Bool { (200...299).contains(status) }
    package var requestID: String? { headers.first(name: "X-Request-Id").flatMap { $0.isEmpty ? nil : $0 } }
}

/// Scheme, host and port: the connections of one endpoint.
struct PoolKey: Hashable, Sendable {
    var tls: Bool
    var host: String
    var port: Int
}

/// The request as it goes on the wire.
struct PreparedRequest: Sendable {
    let key: PoolKey
    let head: HTTPRequestHead
    let body: [UInt8]

    init(method: HTTPMethod, url: URL, headers: HTTPHeaders, body: [UInt8]) throws(CloudHTTPFailure) {
        let scheme = url.scheme?.lowercased()
        guard scheme == "http" || scheme == "https" else { throw .invalidRequest("the URL is not http or https") }
        guard var host = url.host, !host.isEmpty else { throw .invalidRequest("the URL has no host") }
        if host.hasPrefix("["), host.hasSuffix("]") { host = String(host.dropFirst().dropLast()) }
        let tls = scheme == "https"
        key = PoolKey(tls: tls, host: host, port: url.port ?? (tls ? 443 : 80))
        for (name, value) in headers where !Self.isFieldText(name) || !Self.isFieldText(value) {
            // Never the value itself: it may be a token.
            throw .invalidRequest("a header value is not valid HTTP")
        }
        var uri = url.path(percentEncoded: true)
        if uri.isEmpty { uri = "/" }
        if let query = url.query(percentEncoded: true) { uri += "?" + query }
        var headers = headers
        if !body.isEmpty { headers.replaceOrAdd(name: "Content-Length", value: String(body.count)) }
        head = HTTPRequestHead(version: .http1_1, method: method, uri: uri, headers: headers)
        self.body = body
    }

    /// No line breaks or NUL bytes: what would split a header or end the head early.
    private static func isFieldText(_ text: String) -> Bool {
        !text.utf8.contains { $0 == 0x0D || $0 == 0x0A || $0 == 0x00 }
    }
}

extension String {
    /// An IPv4 or IPv6 literal (TLS sends no server name for those).
    fileprivate var isIPAddress: Bool {
        var v4 = in_addr()
        var v6 = in6_addr()
        return inet_pton(AF_INET, self, &v4) == 1 || inet_pton(AF_INET6, self, &v6) == 1
    }
}
