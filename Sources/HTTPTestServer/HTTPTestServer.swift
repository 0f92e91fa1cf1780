import NIOCore
import NIOHTTP1
import NIOPosix
import Synchronization

/// A real HTTP/1.1 server on 127.0.0.1, on a port the OS chooses, for connector tests.
///
/// Routes are matched by method and path (the query is ignored); a path may have parameter
/// segments ("/contacts/{id}"), tried after the exact paths. A HEAD request with no HEAD route
/// of its own is answered by the GET route without the body; what no route matches goes to the
/// fallback handler, or answers 404. Every request is recorded.
/// Connections are kept alive unless the client (or the response) says `Connection: close`.
/// It runs on NIO's shared event loop group; `shutdown()` closes the listener and all connections.
public final class HTTPTestServer: Sendable {
    public typealias Handler = @Sendable (HTTPTestRequest) async -> HTTPTestResponse

    public let port: Int
    private let core: ServerCore
    private let listener: any Channel

    public var baseURL: String { "http://127.0.0.1:\(port)" }

    public static func start() async throws -> HTTPTestServer {
        let core = ServerCore()
        let listener = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .serverChannelOption(.backlog, value: 256)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelOption(.tcpOption(.tcp_nodelay), value: 1)
            .childChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try core.register(channel)
                    try channel.pipeline.syncOperations.configureHTTPServerPipeline()
                    try channel.pipeline.syncOperations.addHandler(RequestHandler(core: core))
                }
            }
            .bind(host: "127.0.0.1", port: 0)
            .get()
        guard let port = listener.localAddress?.port else {
            try? await listener.close()
            throw HTTPTestServerError.noPort
        }
        return HTTPTestServer(port: port, core: core, listener: listener)
    }

    private init(port: Int, core: ServerCore, listener: any Channel) {
        self.port = port
        self.core = core
        self.listener = listener
    }

    deinit {
        // A test that forgot shutdown() must not leave the port and connections open.
        listener.close(promise: nil)
        for connection in core.stopAccepting() { connection.close(promise: nil) }
    }

    /// Routes: the handler is called for each request to (method, path); unknown routes answer
    /// 404 with body "not found: PATH". Routing the same (method, path) again replaces the handler.
    /// A path segment in braces is a parameter: `route("GET", "/contacts/{id}")` matches
    /// "/contacts/a%20b" with `request.pathParameters["id"] == "a b"`. Exact paths are tried
    /// first, then the patterns in the order they were first routed.
    public func route(_ method: String = "GET", _ path: String, _ handler: @escaping Handler) {
        if let pattern = RoutePattern(method: method, path: path, handler: handler) {
            core.state.withLock { $0.add(pattern) }
        } else {
            core.state.withLock { $0.routes[RouteKey(method, path)] = handler }
        }
    }

    /// Answers every request that no route (and no GET route, for HEAD) matches, instead of the
    /// 404 "not found: PATH" — for a simulated API whose unknown paths have their own error body.
    /// Setting it again replaces it.
    public func fallback(_ handler: @escaping Handler) {
        core.state.withLock { $0.fallback = handler }
    }

    /// A GET route: `server.route("/path") { request in ... }`. (Swift cannot skip the defaulted
    /// `method` of the other overload when only the path is given, so this one makes that call work.)
    public func route(_ path: String, _ handler: @escaping Handler) {
        route("GET", path, handler)
    }

    /// A static file with the usual conditional GET support: an ETag and Last-Modified header are
    /// sent; If-None-Match naming the ETag (or, without If-None-Match, If-Modified-Since equal to
    /// the Last-Modified value) answers 304 with no body. Optional HTTP Basic auth: a missing or
    /// wrong Authorization header answers 401 with `WWW-Authenticate: Basic realm="test"` and body
    /// "unauthorized". Setting the same path again replaces it: the ETag changes when the content
    /// does, and then Last-Modified moves forward by at least one second.
    public func file(
        _ path: String, _ body: [UInt8], contentType: String = "text/csv; charset=utf-8",
        basicAuth: (user: String, password: String)? = nil, chunkSize: Int? = nil
    ) {
        let etag = HTTPTestSupport.etag(body)
        let now = HTTPTestSupport.now()
        let credentials = basicAuth.map { Credentials(user: $0.user, password: $0.password) }
        core.state.withLock { state in
            let lastModified: Int
            switch state.files[path] {
            case let previous? where previous.etag == etag: lastModified = previous.lastModified
            case let previous?: lastModified = max(now, previous.lastModified + 1)
            case nil: lastModified = now
            }
            state.files[path] = FileVersion(etag: etag, lastModified: lastModified)
            let file = StaticFile(
                body: body, contentType: contentType, etag: etag,
                lastModified: HTTPTestSupport.httpDate(lastModified), credentials: credentials, chunkSize: chunkSize
            )
            state.routes[RouteKey("GET", path)] = { request in file.respond(to: request) }
        }
    }

    /// Every request received so far, in order (for asserting headers such as Authorization or If-None-Match).
    public var requests: [HTTPTestRequest] {
        core.state.withLock { $0.requests }
    }

    /// Closes the listener and every connection; handlers still running are cancelled and awaited.
    public func shutdown() async throws {
        let connections = core.stopAccepting()
        do {
            try await listener.close()
        } catch ChannelError.alreadyClosed {
            // A second shutdown.
        }
        for connection in connections {
            try? await connection.close()
        }
        let tasks = core.state.withLock { Array($0.tasks.values) }
        for task in tasks { task.cancel() }
        for task in tasks { await task.value }
    }
}

public enum HTTPTestServerError: Error, Sendable {
    case noPort
    case shutDown
}

// MARK: - Shared state

struct RouteKey: Hashable, Sendable {
    let method: String
    let path: String

    init(_ method: String, _ path: String) {
        self.method = method.uppercased()
        self.path = path
    }
}

struct FileVersion: Sendable {
    let etag: String
    let lastModified: Int
}

struct Credentials: Sendable {
    let user: String
    let password: String
}

struct ServerState: Sendable {
    var routes: [RouteKey: HTTPTestServer.Handler] = [:]
    var patterns: [RoutePattern] = []
    var fallback: HTTPTestServer.Handler?
    var files: [String: FileVersion] = [:]
    var requests: [HTTPTestRequest] = []
    var connections: [ObjectIdentifier: any Channel] = [:]
    var tasks: [Int: Task<Void, Never>] = [:]
    var nextTaskID = 0
    var isShutDown = false
}

/// The state that the listener's connections share with the server object.
final class ServerCore: Sendable {
    let state = Mutex(ServerState())

    /// Called for each accepted connection; refuses it after shutdown.
    func register(_ channel: any Channel) throws {
        let id = ObjectIdentifier(channel)
        try state.withLock { state in
            guard !state.isShutDown else { throw HTTPTestServerError.shutDown }
            state.connections[id] = channel
        }
        channel.closeFuture.whenComplete { _ in
            self.state.withLock { _ = $0.connections.removeValue(forKey: id) }
        }
    }

    /// Marks the server shut down and returns the open connections.
    func stopAccepting() -> [any Channel] {
        state.withLock { state in
            state.isShutDown = true
            return Array(state.connections.values)
        }
    }

    /// Records the request and answers it on `promise` from a task (the handler is async and may
    /// be delayed). The promise is always completed, also when the task is cancelled by shutdown.
    func respond(to request: HTTPTestRequest, promise: EventLoopPromise<HTTPTestResponse>) {
        let (handler, request) = state.withLock { state -> (HTTPTestServer.Handler?, HTTPTestRequest) in
            let found = state.handler(method: request.method, path: request.path)
                ?? (request.method == "HEAD" ? state.handler(method: "GET", path: request.path) : nil)
            var routed = request
            routed.pathParameters = found?.1 ?? [:]
            state.requests.append(routed)
            return (found?.0 ?? state.fallback, routed)
        }
        let answer: HTTPTestServer.Handler = handler ?? { request in .text("not found: \(request.path)", status: 404) }
        // The task is stored under the lock before it can run its own removal.
        state.withLock { state in
            state.nextTaskID += 1
            let id = state.nextTaskID
            state.tasks[id] = Task {
                let response = await answer(request)
                if let delay = response.delay, delay > .zero {
                    try? await Task.sleep(for: delay)
                }
                promise.succeed(response)
                self.state.withLock { _ = $0.tasks.removeValue(forKey: id) }
            }
        }
    }
}

/// A file registered with `file(_:_:...)`; immutable, so its route closure can share it.
struct StaticFile: Sendable {
    let body: [UInt8]
    let contentType: String
    let etag: String
    let lastModified: String
    let credentials: Credentials?
    let chunkSize: Int?

    func respond(to request: HTTPTestRequest) -> HTTPTestResponse {
        if let credentials,
            !HTTPTestSupport.basicAuthorization(
                request.header("Authorization"), user: credentials.user, password: credentials.password)
        {
            var response = HTTPTestResponse.text("unauthorized", status: 401)
            response.headers.append(("WWW-Authenticate", "Basic realm=\"test\""))
            return response
        }
        let validators = [("ETag", etag), ("Last-Modified", lastModified)]
        let notModified: Bool
        if let noneMatch = request.header("If-None-Match") {
            notModified = HTTPTestSupport.noneMatch(noneMatch, matches: etag)
        } else if let modifiedSince = request.header("If-Modified-Since") {
            notModified = modifiedSince.trimmingSpaces() == lastModified
        } else {
            notModified = false
        }
        if notModified {
            return HTTPTestResponse(status: 304, headers: validators)
        }
        var response = HTTPTestResponse(status: 200, headers: [("Content-Type", contentType)] + validators, body: body)
        response.chunkSize = chunkSize
        return response
    }
}

// MARK: - Connection handler

/// Collects each request (head and whole body), hands it to the core, and writes the answer.
/// HTTPServerPipelineHandler (from configureHTTPServerPipeline) holds back a pipelined next
/// request until this one's response has ended, so there is at most one request in flight here.
final class RequestHandler: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPServerRequestPart
    typealias OutboundOut = HTTPServerResponsePart

    private let core: ServerCore
    private var head: HTTPRequestHead?
    private var body: [UInt8] = []
    private var isActive = true

    init(core: ServerCore) {
        self.core = core
    }

    func channelInactive(context: ChannelHandlerContext) {
        isActive = false
        context.fireChannelInactive()
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        isActive = false
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        context.close(promise: nil)
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head(let head):
            self.head = head
            body = []
            // A client that waits for "100 Continue" before the body (curl does for large bodies).
            if head.headers[canonicalForm: "expect"].contains(where: { $0.lowercased() == "100-continue" }) {
                let interim = HTTPResponseHead(version: head.version, status: .continue)
                context.writeAndFlush(wrapOutboundOut(.head(interim)), promise: nil)
            }
        case .body(let buffer):
            body.append(contentsOf: buffer.readableBytesView)
        case .end:
            guard let head else { return }
            self.head = nil
            let request = Self.request(head: head, body: body)
            body = []
            let promise = context.eventLoop.makePromise(of: HTTPTestResponse.self)
            promise.futureResult.assumeIsolated().whenSuccess { response in
                self.write(response, to: head, context: context)
            }
            core.respond(to: request, promise: promise)
        }
    }

    private static func request(head: HTTPRequestHead, body: [UInt8]) -> HTTPTestRequest {
        var target = Substring(head.uri)
        // Absolute form ("http://host:port/path?q"), as a proxy-minded client may send.
        if let scheme = target.firstRange(of: "://"), target[..<scheme.lowerBound].allSatisfy({ $0.isLetter }) {
            let afterAuthority = target[scheme.upperBound...]
            target = afterAuthority.firstIndex(where: { $0 == "/" || $0 == "?" }).map { afterAuthority[$0...] } ?? ""
        }
        var path = target
        var query: String?
        if let mark = target.firstIndex(of: "?") {
            path = target[..<mark]
            query = String(target[target.index(after: mark)...])
        }
        return HTTPTestRequest(
            method: head.method.rawValue,
            path: path.isEmpty ? "/" : String(path),
            query: query,
            headers: head.headers.map { ($0.name, $0.value) },
            body: body
        )
    }

    private func write(_ response: HTTPTestResponse, to request: HTTPRequestHead, context: ChannelHandlerContext) {
        guard isActive else { return }
        let status = HTTPResponseStatus(statusCode: response.status)
        let sendsBody = status.mayHaveResponseBody && request.method != .HEAD
        let isHTTP11 = request.version.major == 1 && request.version.minor >= 1
        var headers = HTTPHeaders(response.headers)
        var keepAlive = request.isKeepAlive
        if headers[canonicalForm: "connection"].contains(where: { $0.lowercased() == "close" }) {
            keepAlive = false
        }
        let chunkSize = response.chunkSize ?? 0
        let chunked = chunkSize > 0 && status.mayHaveResponseBody && isHTTP11
        if chunked {
            headers.remove(name: "content-length")
            headers.replaceOrAdd(name: "transfer-encoding", value: "chunked")
        } else if status.mayHaveResponseBody,
            !headers.contains(name: "content-length"), !headers.contains(name: "transfer-encoding")
        {
            headers.add(name: "Content-Length", value: String(response.body.count))
        }
        if !keepAlive {
            headers.replaceOrAdd(name: "Connection", value: "close")
        } else if !isHTTP11 {
            headers.replaceOrAdd(name: "Connection", value: "keep-alive")
        }

        context.write(wrapOutboundOut(.head(HTTPResponseHead(version: request.version, status: status, headers: headers))), promise: nil)
        if sendsBody, !response.body.isEmpty {
            if chunked {
                var start = 0
                while start < response.body.count {
                    let end = min(start + chunkSize, response.body.count)
                    let piece = context.channel.allocator.buffer(bytes: response.body[start..<end])
                    context.writeAndFlush(wrapOutboundOut(.body(.byteBuffer(piece))), promise: nil)
                    start = end
                }
            } else {
                let buffer = context.channel.allocator.buffer(bytes: response.body)
                context.write(wrapOutboundOut(.body(.byteBuffer(buffer))), promise: nil)
            }
        }
        let ended = context.writeAndFlush(wrapOutboundOut(.end(nil)))
        if !keepAlive {
            ended.assumeIsolated().whenComplete { _ in context.close(promise: nil) }
        }
    }
}
