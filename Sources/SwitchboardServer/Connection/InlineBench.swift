import NIOCore
import SwitchboardCore

/// The server's own work for requests answered on the event loop, without
/// sockets: parse, JSON-RPC rules, access check, handler and answer, exactly
/// as `InlineResponder` runs them (`InlineLines`). For `switchboard bench
/// inline`, which times it per request on one thread.
public struct InlineBench {
    let lines: InlineLines
    let session: Session

    /// A session logged in with `token`, on the methods `app` serves.
    public init(app: Application, token: String) async throws {
        let server = RPCServer(app: app)
        lines = InlineLines(engine: server.engine, table: server.table)
        let (_, events) = AsyncStream.makeStream(of: ByteBuffer.self)
        session = Session(id: 0, remoteAddress: "bench", events: events)
        session.login(try await app.auth.login(token: token, account: nil))
    }

    /// Appends the answer to `line` (a request without its newline) and
    /// returns true, or returns false when a connection would have sent the
    /// line to its request loop.
    public func answer(_ line: UnsafeRawBufferPointer, into out: inout [UInt8]) -> Bool {
        lines.answer(line, session: session, into: &out)
    }

    /// Answers `line` through the request loop's path (what a connection does
    /// when `answer` returns false; it also fills the caches inline answers use).
    public func answerAsync(_ line: [UInt8], into out: inout [UInt8]) async {
        await lines.engine.handle(line: line, context: session, into: &out)
    }
}
