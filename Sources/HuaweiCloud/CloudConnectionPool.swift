import NIOCore
import NIOHTTP1
import Synchronization

/// One request on its way: it waits for a connection, runs on one, and ends exactly once (answer, failure,
/// deadline or cancellation), whichever comes first.
final class Exchange: Sendable {
    typealias Continuation = CheckedContinuation<Result<CloudResponse, CloudHTTPFailure>, Never>

    let request: PreparedRequest
    let deadline: NIODeadline

    private struct State {
        var continuation: Continuation?
        /// Ended before the caller's continuation was attached (cancelled at once).
        var early: Result<CloudResponse, CloudHTTPFailure>?
        var done = false
        var connection: PooledConnection?
        var timer: Scheduled<Void>?
        var timerArmed = false
        var retried = false
    }

    private let state = Mutex(State())

    init(request: PreparedRequest, deadline: NIODeadline) {
        self.request = request
        self.deadline = deadline
    }

    var isDone: Bool { state.withLock { $0.done } }

    /// False when the exchange already ended; the continuation has then been resumed.
    func attach(_ continuation: Continuation) -> Bool {
        let early: Result<CloudResponse, CloudHTTPFailure>? = state.withLock { state in
            if let early = state.early { return early }
            state.continuation = continuation
            return nil
        }
        guard let early else { return true }
        continuation.resume(returning: early)
        return false
    }

    /// Schedules the deadline on `loop` unless it is already scheduled.
    func armDeadline(on loop: any EventLoop) {
        let first = state.withLock { state in
            guard !state.timerArmed, !state.done else { return false }
            state.timerArmed = true
            return true
        }
        guard first else { return }
        let timer = loop.scheduleTask(deadline: deadline) { () -> Void in self.finish(.failure(.timedOut)) }
        let cancel = state.withLock { state in
            if state.done { return true }
            state.timer = timer
            return false
        }
        if cancel { timer.cancel() }
    }

    /// Runs the exchange on `connection`; false when it already ended (the connection is then free).
    func bind(_ connection: PooledConnection) -> Bool {
        state.withLock { state in
            guard !state.done else { return false }
            state.connection = connection
            return true
        }
    }

    /// The answer is complete: the connection is no longer the exchange's (a deadline that passes now does
    /// not close it). False when the exchange already ended.
    func detach() -> Bool {
        state.withLock { state in
            guard !state.done else { return false }
            state.connection = nil
            return true
        }
    }

    /// A reused connection closed before any answer: the request may go once more on a new connection
    /// (only a GET, which is safe to repeat).
    func takeRetry() -> Bool {
        state.withLock { state in
            guard !state.done, !state.retried, request.head.method == .GET else { return false }
            state.retried = true
            state.connection = nil
            return true
        }
    }

    /// Ends the exchange; true when this call ended it. A failure closes the connection it ran on (what
    /// that connection would still deliver belongs to nobody).
    @discardableResult
    func finish(_ result: Result<CloudResponse, CloudHTTPFailure>) -> Bool {
        typealias Ended = (Continuation?, PooledConnection?, Scheduled<Void>?)
        let ended = state.withLock { state -> Ended? in
            guard !state.done else { return nil }
            state.done = true
            guard let continuation = state.continuation else {
                state.early = result
                return (nil, nil, nil)
            }
            defer {
                state.continuation = nil
                state.connection = nil
                state.timer = nil
            }
            return (continuation, state.connection, state.timer)
        }
        guard let (continuation, connection, timer) = ended else { return false }
        timer?.cancel()
        if case .failure = result, let connection { connection.channel.close(promise: nil) }
        continuation?.resume(returning: result)
        return true
    }
}

/// One keep-alive connection to an endpoint.
final class PooledConnection: Sendable {
    let channel: any Channel
    let key: PoolKey
    private let collector: NIOLoopBound<ResponseCollector>

    /// On the channel's event loop, once its pipeline is set up.
    init(channel: any Channel, key: PoolKey) throws {
        self.channel = channel
        self.key = key
        collector = NIOLoopBound(
            try channel.pipeline.syncOperations.handler(type: ResponseCollector.self), eventLoop: channel.eventLoop)
    }

    /// On the event loop: sends the exchange's request and collects its answer.
    func run(_ exchange: Exchange, client: CloudHTTPClient, reused: Bool) {
        guard exchange.bind(self) else {
            client.release(self)
            return
        }
        guard channel.isActive else {
            // Closed by the server while idle, the close not yet seen by the pool: a new connection.
            if reused, exchange.takeRetry() {
                client.start(exchange, fresh: true)
            } else {
                exchange.finish(.failure(.closed))
            }
            return
        }
        exchange.armDeadline(on: channel.eventLoop)
        collector.value.begin(exchange, connection: self, client: client, reused: reused)
        let request = exchange.request
        channel.write(HTTPClientRequestPart.head(request.head), promise: nil)
        if !request.body.isEmpty {
            channel.write(HTTPClientRequestPart.body(.byteBuffer(ByteBuffer(bytes: request.body))), promise: nil)
        }
        channel.writeAndFlush(HTTPClientRequestPart.end(nil), promise: nil)
    }
}

/// The last handler of a connection: gathers the response of the exchange under way.
final class ResponseCollector: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPClientResponsePart

    private var exchange: Exchange?
    private var connection: PooledConnection?
    private var client: CloudHTTPClient?
    private var reused = false
    private var head: HTTPResponseHead?
    private var body: ByteBuffer?

    func begin(_ exchange: Exchange, connection: PooledConnection, client: CloudHTTPClient, reused: Bool) {
        self.exchange = exchange
        self.connection = connection
        self.client = client
        self.reused = reused
        head = nil
        body = nil
    }

    private func end() -> (Exchange, PooledConnection, CloudHTTPClient)? {
        defer {
            exchange = nil
            connection = nil
            client = nil
            head = nil
            body = nil
        }
        guard let exchange, let connection, let client else { return nil }
        return (exchange, connection, client)
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        guard exchange != nil else {
            // Nothing was asked: a server talking out of turn is not to be trusted with the next request.
            context.close(promise: nil)
            return
        }
        switch unwrapInboundIn(data) {
        case .head(let head):
            self.head = head
        case .body(var part):
            let total = (body?.readableBytes ?? 0) + part.readableBytes
            guard total <= CloudHTTPClient.maxBodyBytes else {
                end()?.0.finish(.failure(.tooLarge))
                context.close(promise: nil)
                return
            }
            if body == nil { body = part } else { body!.writeBuffer(&part) }
        case .end:
            let bytes = body.map { Array($0.readableBytesView) } ?? []
            guard let head, case (let exchange, let connection, let client)? = end() else {
                context.close(promise: nil)
                return
            }
            let response = CloudResponse(status: Int(head.status.code), headers: head.headers, body: bytes)
            // The connection goes back before the caller resumes, so that a caller's next request finds it.
            if head.isKeepAlive, exchange.detach() {
                client.release(connection)
                exchange.finish(.success(response))
            } else {
                exchange.finish(.success(response))
                context.close(promise: nil)
            }
        }
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        if case (let exchange, _, let client)? = end() {
            exchange.finish(.failure(client.isShutDown ? .shutDown : .transport(error)))
        }
        context.close(promise: nil)
    }

    func channelInactive(context: ChannelHandlerContext) {
        let answered = head != nil
        if case (let exchange, _, let client)? = end() {
            if client.isShutDown {
                exchange.finish(.failure(.shutDown))
            } else if !answered, reused, exchange.takeRetry() {
                // The server closed an idle connection as the request went out: once more, on a new one.
                client.start(exchange, fresh: true)
            } else {
                exchange.finish(.failure(.closed))
            }
        }
        context.fireChannelInactive()
    }
}

/// The connections of every endpoint; only touched under `CloudHTTPClient.pools`' lock.
struct Pools {
    enum Action {
        case reuse(PooledConnection)
        case connect
        case queued
        case shutDown
    }

    private struct HostPool {
        var idle: [(connection: PooledConnection, sinceNanoseconds: UInt64)] = []
        /// Connections open or being opened.
        var open = 0
        var waiting: [Exchange] = []
        var all: [ObjectIdentifier: PooledConnection] = [:]

        mutating func nextWaiter() -> Exchange? {
            while !waiting.isEmpty {
                let next = waiting.removeFirst()
                if !next.isDone { return next }
            }
            return nil
        }
    }

    private var hosts: [PoolKey: HostPool] = [:]
    private(set) var isShutDown = false

    mutating func acquire(
        for exchange: Exchange, fresh: Bool, limit: Int, nowNanoseconds: UInt64
    ) -> (action: Action, stale: [PooledConnection]) {
        guard !isShutDown else { return (.shutDown, []) }
        let key = exchange.request.key
        var stale: [PooledConnection] = []
        var pool = hosts.removeValue(forKey: key) ?? HostPool()
        defer { hosts[key] = pool }
        if !fresh {
            // The most recently used first: the others age out, and servers close them when they want.
            while let (connection, since) = pool.idle.popLast() {
                if nowNanoseconds &- since > CloudHTTPClient.idleLimitNanoseconds {
                    stale.append(connection)
                    continue
                }
                return (.reuse(connection), stale)
            }
        }
        if pool.open < limit {
            pool.open += 1
            return (.connect, stale)
        }
        pool.waiting.append(exchange)
        return (.queued, stale)
    }

    /// A connection is up; false after shutdown (the caller closes it).
    mutating func opened(_ connection: PooledConnection) -> Bool {
        guard !isShutDown else { return false }
        hosts[connection.key, default: HostPool()].all[ObjectIdentifier(connection)] = connection
        return true
    }

    /// The connection is free: the oldest waiter takes it, or it goes idle (nil).
    mutating func release(_ connection: PooledConnection, nowNanoseconds: UInt64) -> Exchange? {
        guard !isShutDown else { return nil }
        if let next = hosts[connection.key]?.nextWaiter() { return next }
        hosts[connection.key, default: HostPool()].idle.append((connection, nowNanoseconds))
        return nil
    }

    /// A connection closed; its slot goes to the oldest waiter, who then connects (returned).
    mutating func closed(_ connection: PooledConnection) -> Exchange? {
        guard hosts[connection.key]?.all.removeValue(forKey: ObjectIdentifier(connection)) != nil else { return nil }
        hosts[connection.key]?.idle.removeAll { $0.connection === connection }
        return slotFreed(key: connection.key)
    }

    /// A slot is free (a connection closed, or could not be opened): it goes to the oldest waiter, who then
    /// connects (returned).
    mutating func slotFreed(key: PoolKey) -> Exchange? {
        guard var pool = hosts.removeValue(forKey: key) else { return nil }
        defer { hosts[key] = pool }
        pool.open -= 1
        guard !isShutDown, let next = pool.nextWaiter() else { return nil }
        pool.open += 1
        return next
    }

    /// Every connection, to close, and every waiter, to fail.
    mutating func shutDown() -> ([PooledConnection], [Exchange]) {
        isShutDown = true
        var connections: [PooledConnection] = []
        var waiting: [Exchange] = []
        for pool in hosts.values {
            connections.append(contentsOf: pool.all.values)
            waiting.append(contentsOf: pool.waiting)
        }
        return (connections, waiting)
    }
}
