import NIOCore
import NIOHTTP1
import NIOPosix

/// A request as the loopback server saw it.
package struct ServerRequest: Sendable {
    package var method: String
    /// The request target as sent: path and query.
    package var uri: String
    package var headers: [(String, String)]
    package var body: [UInt8]

    package var path: String { String(uri.split(separator: "?", maxSplits: 1).first ?? "") }
    package var query: String? {
        let parts = uri.split(separator: "?", maxSplits: 1)
        return parts.count > 1 ? String(parts[1]) : nil
    }

    /// The first value of a header, by case-insensitive name.
    package func header(_ name: String) -> String? {
        headers.first { $0.0.lowercased() == name.lowercased() }?.1
    }

    package var bodyText: String { String(decoding: body, as: UTF8.self) }
}

/// What the loopback server answers.
package struct ServerResponse: Sendable {
    package var status: Int
    package var headers: [(String, String)]
    package var body: [UInt8]
    /// Close the connection without answering (a dropped connection, as a flaky network does).
    package var dropConnection: Bool

    package init(status: Int, headers: [(String, String)] = [], body: [UInt8] = [], dropConnection: Bool = false) {
        self.status = status
        self.headers = headers
        self.body = body
        self.dropConnection = dropConnection
    }

    package static func json(_ status: Int, _ text: String, headers: [(String, String)] = []) -> ServerResponse {
        ServerResponse(
            status: status, headers: [("Content-Type", "application/json")] + headers, body: Array(text.utf8))
    }

    package static func text(_ status: Int, _ text: String) -> ServerResponse {
        ServerResponse(status: status, headers: [("Content-Type", "text/plain; charset=utf-8")], body: Array(text.utf8))
    }

    package static let dropped = ServerResponse(status: 0, dropConnection: true)
}

/// A small HTTP/1.1 server on SwiftNIO, bound to a loopback address: the simulator's front door and the
/// receiver that tests point webhooks at. Each request is handed to an async handler.
package final class LoopbackHTTPServer: Sendable {
    package typealias Handler = @Sendable (ServerRequest) async -> ServerResponse

    package let host: String
    package let port: Int
    private let channel: Channel

    private init(host: String, port: Int, channel: Channel) {
        self.host = host
        self.port = port
        self.channel = channel
    }

    /// `http://host:port`, without a trailing slash.
    package var baseURL: String { "http://\(host):\(port)" }

    /// Binds and starts serving. Port 0 picks a free port.
    package static func start(
        host: String = "127.0.0.1", port: Int = 0, group: EventLoopGroup = MultiThreadedEventLoopGroup.singleton,
        handler: @escaping Handler
    ) async throws -> LoopbackHTTPServer {
        let bootstrap = ServerBootstrap(group: group)
            .serverChannelOption(ChannelOptions.backlog, value: 1024)
            .serverChannelOption(ChannelOptions.socketOption(.so_reuseaddr), value: 1)
            .childChannelOption(ChannelOptions.socketOption(.tcp_nodelay), value: 1)
            .childChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.configureHTTPServerPipeline(withErrorHandling: true)
                    try channel.pipeline.syncOperations.addHandler(RequestHandler(handler: handler))
                }
            }
        let channel = try await bootstrap.bind(host: host, port: port).get()
        return LoopbackHTTPServer(host: host, port: channel.localAddress?.port ?? port, channel: channel)
    }

    /// Stops accepting connections.
    package func shutdown() async {
        try? await channel.close().get()
    }
}

private final class RequestHandler: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPServerRequestPart
    typealias OutboundOut = HTTPServerResponsePart

    private let handler: LoopbackHTTPServer.Handler
    private var head: HTTPRequestHead?
    private var body: [UInt8] = []

    init(handler: @escaping LoopbackHTTPServer.Handler) {
        self.handler = handler
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head(let head):
            self.head = head
            body = []
        case .body(let buffer):
            body.append(contentsOf: buffer.readableBytesView)
        case .end:
            guard let head else { return }
            let request = ServerRequest(
                method: head.method.rawValue, uri: head.uri, headers: head.headers.map { ($0.name, $0.value) },
                body: body)
            let keepAlive = head.isKeepAlive
            let version = head.version
            let handler = self.handler
            let promise = context.eventLoop.makePromise(of: ServerResponse.self)
            promise.completeWithTask { await handler(request) }
            let bound = NIOLoopBound((self, context), eventLoop: context.eventLoop)
            promise.futureResult.whenSuccess { response in
                let (this, context) = bound.value
                this.write(response, keepAlive: keepAlive, version: version, context: context)
            }
            self.head = nil
        }
    }

    private func write(
        _ response: ServerResponse, keepAlive: Bool, version: HTTPVersion, context: ChannelHandlerContext
    ) {
        if response.dropConnection {
            context.close(promise: nil)
            return
        }
        var headers = HTTPHeaders(response.headers)
        headers.replaceOrAdd(name: "Content-Length", value: String(response.body.count))
        if !keepAlive { headers.replaceOrAdd(name: "Connection", value: "close") }
        let head = HTTPResponseHead(
            version: version, status: HTTPResponseStatus(statusCode: response.status), headers: headers)
        context.write(wrapOutboundOut(.head(head)), promise: nil)
        if !response.body.isEmpty {
            context.write(
                wrapOutboundOut(.body(.byteBuffer(context.channel.allocator.buffer(bytes: response.body)))),
                promise: nil)
        }
        let done = context.writeAndFlush(wrapOutboundOut(.end(nil)))
        if !keepAlive {
            let channel = context.channel
            done.whenComplete { _ in channel.close(promise: nil) }
        }
    }
}
