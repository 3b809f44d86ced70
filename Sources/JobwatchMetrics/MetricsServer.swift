import NIOCore
import NIOHTTP1
import NIOPosix
import Synchronization

/// The daemon's tiny HTTP/1.1 server for `metrics.listen`: `GET /metrics` (Prometheus text format) and
/// `GET /healthz` (200 `ok` while the schedulers make progress, 503 otherwise). Anything else is 404 (405 for
/// another method on a known path). Built to be left open to a network: request bodies are discarded, a
/// connection idle for 30 s is closed, and at most 32 connections are served at once (more are closed).
package final class MetricsServer: Sendable {
    package typealias Render = @Sendable () async -> [UInt8]
    package typealias Health = @Sendable () async -> Bool

    package static let maxConnections = 32
    package static let idleTimeout: TimeAmount = .seconds(30)

    private let channel: any Channel
    package let port: Int

    private init(channel: any Channel, port: Int) {
        self.channel = channel
        self.port = port
    }

    /// Binds `host:port` and serves until `shutdown()`. Throws when the address cannot be bound.
    package static func start(
        host: String, port: Int, render: @escaping Render, health: @escaping Health,
        group: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton
    ) async throws -> MetricsServer {
        let connections = Atomic<Int>(0)
        let routes = Routes(render: render, health: health)
        let bootstrap = ServerBootstrap(group: group)
            .serverChannelOption(ChannelOptions.backlog, value: 64)
            .serverChannelOption(ChannelOptions.socketOption(.so_reuseaddr), value: 1)
            .childChannelInitializer { channel in
                let open = connections.wrappingAdd(1, ordering: .relaxed).newValue
                channel.closeFuture.whenComplete { _ in connections.wrappingSubtract(1, ordering: .relaxed) }
                guard open <= maxConnections else { return channel.close() }
                return channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(
                        IdleStateHandler(readTimeout: idleTimeout, writeTimeout: idleTimeout))
                    try channel.pipeline.syncOperations.configureHTTPServerPipeline(withErrorHandling: true)
                    try channel.pipeline.syncOperations.addHandler(MetricsRequestHandler(routes: routes))
                }
            }
        let channel = try await bootstrap.bind(host: host, port: port).get()
        return MetricsServer(channel: channel, port: channel.localAddress?.port ?? port)
    }

    package func shutdown() async {
        try? await channel.close().get()
    }
}

/// What each path answers.
struct Routes: Sendable {
    let render: MetricsServer.Render
    let health: MetricsServer.Health

    func answer(method: HTTPMethod, path: String) async -> (HTTPResponseStatus, String, [UInt8]) {
        let text = "text/plain; charset=utf-8"
        switch path {
        case "/metrics":
            guard method == .GET || method == .HEAD else { return (.methodNotAllowed, text, Array("GET only\n".utf8)) }
            return (.ok, "text/plain; version=0.0.4; charset=utf-8", await render())
        case "/healthz":
            guard method == .GET || method == .HEAD else { return (.methodNotAllowed, text, Array("GET only\n".utf8)) }
            return await health()
                ? (.ok, text, Array("ok\n".utf8))
                : (.serviceUnavailable, text, Array("the schedulers are not making progress\n".utf8))
        default:
            return (.notFound, text, Array("not found: try /metrics or /healthz\n".utf8))
        }
    }
}

private final class MetricsRequestHandler: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPServerRequestPart
    typealias OutboundOut = HTTPServerResponsePart

    private let routes: Routes
    private var head: HTTPRequestHead?

    init(routes: Routes) {
        self.routes = routes
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head(let head):
            self.head = head
        case .body:
            break  // discarded: nothing here takes a body
        case .end:
            guard let head else { return }
            self.head = nil
            let routes = self.routes
            let path = String(head.uri.split(separator: "?", maxSplits: 1).first ?? "")
            let promise = context.eventLoop.makePromise(of: (HTTPResponseStatus, String, [UInt8]).self)
            promise.completeWithTask { await routes.answer(method: head.method, path: path) }
            let bound = NIOLoopBound((self, context), eventLoop: context.eventLoop)
            promise.futureResult.whenSuccess { status, contentType, body in
                let (this, context) = bound.value
                this.write(
                    status: status, contentType: contentType, body: head.method == .HEAD ? [] : body,
                    length: body.count, head: head, context: context)
            }
        }
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if event is IdleStateHandler.IdleStateEvent {
            context.close(promise: nil)
        } else {
            context.fireUserInboundEventTriggered(event)
        }
    }

    private func write(
        status: HTTPResponseStatus, contentType: String, body: [UInt8], length: Int, head: HTTPRequestHead,
        context: ChannelHandlerContext
    ) {
        var headers = HTTPHeaders()
        headers.add(name: "Content-Type", value: contentType)
        headers.add(name: "Content-Length", value: String(length))
        headers.add(name: "Cache-Control", value: "no-store")
        if !head.isKeepAlive { headers.add(name: "Connection", value: "close") }
        context.write(
            wrapOutboundOut(.head(HTTPResponseHead(version: head.version, status: status, headers: headers))),
            promise: nil)
        if !body.isEmpty {
            context.write(
                wrapOutboundOut(.body(.byteBuffer(context.channel.allocator.buffer(bytes: body)))), promise: nil)
        }
        let done = context.writeAndFlush(wrapOutboundOut(.end(nil)))
        if !head.isKeepAlive {
            let channel = context.channel
            done.whenComplete { _ in channel.close(promise: nil) }
        }
    }
}
