import JSONRPC
import LineFraming
import NIOCore

/// Answers a connection's requests on its event loop when it can, without
/// entering the connection's task.
///
/// Sits between the line framer and `NIOAsyncChannel`. For each batch of
/// lines it asks `RPCEngine.handleInline`, which applies the same JSON-RPC
/// rules and, through `MethodTable.invokeInline`, the same access check as the
/// async path, and answers methods registered as inline (`phonebook.lookup`,
/// `system.ping`, ...) synchronously. The answers of the batch leave in one
/// write. From the first line it cannot answer that way (a login, a write, a
/// batch array, an oversized line, an inline handler that has to wait), the
/// rest of the batch goes on to the connection's request loop.
///
/// Ordering: once a batch (or the rest of one) has gone to the request loop,
/// every later batch follows it there until the loop has written the answers
/// of all it was given (`forwarded` counts them; the loop reports each one on
/// this event loop after its write, see `asyncBatchAnswered`). So answers
/// leave in request order.
///
/// Back-pressure: while the channel is not writable (the client is not
/// reading), batches go to the request loop, whose writes wait for
/// writability; its inbound buffer then fills and reading stops, as before,
/// and `SlowReaderGuard` closes the connection if that lasts.
///
/// Shutdown: once the server drains, batches go to the request loop, which
/// starts no new ones. A batch answered here is answered whole.
final class InlineResponder: ChannelInboundHandler {
    typealias InboundIn = [Frame]
    typealias InboundOut = [Frame]
    typealias OutboundOut = ByteBuffer

    private let lines: InlineLines
    private let isDraining: @Sendable () -> Bool
    /// Set by `activate` once the connection is accepted; until then every batch goes to the request loop.
    private var session: Session?
    /// Batches handed to the request loop whose answers it has not written yet.
    private var forwarded = 0
    /// Requests answered here (the request loop counts the others).
    private(set) var requests = 0
    /// Written since the last flush.
    private var unflushed = false
    private var out: [UInt8] = []

    /// Above this many answer bytes a batch is written before it is complete,
    /// and writability is checked again.
    static let writeChunk = 64 * 1_024

    init(engine: RPCEngine<Session>, table: MethodTable, isDraining: @escaping @Sendable () -> Bool) {
        self.lines = InlineLines(engine: engine, table: table)
        self.isDraining = isDraining
        out.reserveCapacity(4_096)
    }

    /// Starts answering for `session` (on the event loop).
    func activate(_ session: Session) {
        self.session = session
    }

    /// The request loop has written the answers of one batch it was given (on the event loop).
    func asyncBatchAnswered() {
        forwarded -= 1
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let frames = unwrapInboundIn(data)
        guard let session, forwarded == 0, context.channel.isWritable, !isDraining() else {
            forward(frames, context: context)
            return
        }
        var next = frames.startIndex
        while next < frames.endIndex {
            guard case .line(let line) = frames[next] else { break }  // oversized: the request loop reports it
            guard line.withUnsafeReadableBytes({ lines.answer($0, session: session, into: &out) }) else { break }
            next += 1
            requests += 1
            if out.count >= Self.writeChunk {
                write(context: context)
                if !context.channel.isWritable { break }
            }
        }
        if !out.isEmpty { write(context: context) }
        if next < frames.endIndex {
            flushIfNeeded(context: context)  // before the request loop's answers, which it flushes itself
            forward(Array(frames[next...]), context: context)
        }
    }

    func channelReadComplete(context: ChannelHandlerContext) {
        // One flush for every batch of this read cycle.
        flushIfNeeded(context: context)
        context.fireChannelReadComplete()
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        // The framer hands over a last line without newline when the input closes,
        // outside a read cycle: its answer must not wait for a flush that never comes.
        flushIfNeeded(context: context)
        context.fireUserInboundEventTriggered(event)
    }

    private func forward(_ frames: [Frame], context: ChannelHandlerContext) {
        forwarded += 1
        context.fireChannelRead(wrapInboundOut(frames))
    }

    private func write(context: ChannelHandlerContext) {
        var buffer = context.channel.allocator.buffer(capacity: out.count)
        buffer.writeBytes(out)
        out.removeAll(keepingCapacity: true)
        context.write(wrapOutboundOut(buffer), promise: nil)
        unflushed = true
    }

    private func flushIfNeeded(context: ChannelHandlerContext) {
        guard unflushed else { return }
        unflushed = false
        context.flush()
    }
}

/// One line's work on the event loop: parse, the JSON-RPC rules, the access
/// check and the inline handler (`RPCEngine.handleInline` through
/// `MethodTable.invokeInline`). Used by `InlineResponder` and by
/// `InlineBench`, so the benchmark times exactly what connections run.
struct InlineLines {
    let engine: RPCEngine<Session>
    let invokeInline: RPCEngine<Session>.InvokeInline
    /// The names of the methods answered here, reused by `Request.canonical`.
    let inlineMethods: [String]

    init(engine: RPCEngine<Session>, table: MethodTable) {
        self.engine = engine
        self.invokeInline = { method, params, session, response in table.invokeInline(method, params, session, &response) }
        inlineMethods = table.inlineSpecs.map(\.name)
    }

    /// Appends the answer to `line` (if any) and returns true, or returns
    /// false having appended nothing: the line must go to the request loop.
    func answer(_ line: UnsafeRawBufferPointer, session: Session, into out: inout [UInt8]) -> Bool {
        // The shape clients write (a caller-ID lookup from a PBX, a ping) is read without a JSON tree.
        if let request = Request.canonical(line, methods: inlineMethods), let params = request.params {
            return engine.handleInline(request: request, params: params, context: session, invokeInline: invokeInline, into: &out)
        }
        switch engine.parse(line) {
        case .blank: return true
        case .message(let message):
            return engine.handleInline(message: message, context: session, invokeInline: invokeInline, into: &out)
        case .error(let error):
            engine.answer(error, context: session, into: &out)
            return true
        }
    }
}
