/// Turns one received line into (at most) one line of output, applying every
/// JSON-RPC 2.0 rule: parse errors, invalid requests, notifications, batches.
///
/// Transport-free: the server feeds it lines and writes what it appends to
/// `out`. Method lookup, access control and handlers are behind `invoke`.
public struct RPCEngine<Context: Sendable>: Sendable {
    /// Calls a method. Throws `RPCError` (passed through as is) or any other
    /// error, which `mapError` turns into an `RPCError`.
    public typealias Invoke = @Sendable (_ method: String, _ params: Params, _ context: Context) async throws -> JSONValue
    public typealias MapError = @Sendable (_ error: any Error, _ method: String) -> RPCError
    /// Told of every error answered (method is nil when the line could not be read as a request).
    public typealias OnError = @Sendable (_ error: RPCError, _ method: String?, _ context: Context) -> Void

    public struct Limits: Sendable {
        public var maxDepth: Int
        public var maxBatch: Int
        public init(maxDepth: Int = JSONParser.defaultMaxDepth, maxBatch: Int = 1_000) {
            self.maxDepth = maxDepth
            self.maxBatch = maxBatch
        }
    }

    public let limits: Limits
    let invoke: Invoke
    let mapError: MapError
    let onError: OnError?

    public init(limits: Limits = Limits(), invoke: @escaping Invoke, mapError: @escaping MapError, onError: OnError? = nil) {
        self.limits = limits
        self.invoke = invoke
        self.mapError = mapError
        self.onError = onError
    }

    /// Handles one line (without its terminator). Appends the answer and a
    /// newline to `out`, or nothing for notifications and blank lines.
    public func handle(line: some Collection<UInt8>, context: Context, into out: inout [UInt8]) async {
        let parsed = line.withContiguousStorageIfAvailable { parse(UnsafeRawBufferPointer($0)) }
            ?? Array(line).withUnsafeBytes { parse($0) }
        switch parsed {
        case .blank: return
        case .message(let message): await handle(message: message, context: context, into: &out)
        case .error(let error): answer(error, context: context, into: &out)
        }
    }

    /// Answers an error that belongs to no request (`id: null`), e.g. a parse error.
    public func answer(_ error: RPCError, context: Context, into out: inout [UInt8]) {
        onError?(error, nil, context)
        Self.appendError(error, id: .null, into: &out)
        out.append(0x0A)
    }

    public enum Parsed: Sendable {
        case blank
        case message(JSONValue)
        case error(RPCError)
    }

    /// The synchronous first step: a line's bytes to a message, or the error to answer.
    public func parse(_ line: UnsafeRawBufferPointer) -> Parsed {
        if line.allSatisfy({ $0 == 0x20 || $0 == 0x09 || $0 == 0x0D }) { return .blank }
        do {
            return .message(try JSONParser.parse(line, maxDepth: limits.maxDepth))
        } catch {
            let rpcError: RPCError = switch error.kind {
            case .tooDeep: .invalidRequest("nesting deeper than \(limits.maxDepth) levels", data: ["maxDepth": .int(Int64(limits.maxDepth))])
            case .invalidUTF8: .parseError("invalid UTF-8 at byte \(error.offset)")
            case .syntax: .parseError(error.description)
            }
            return .error(rpcError)
        }
    }

    /// Handles an already parsed message (object or batch).
    public func handle(message: JSONValue, context: Context, into out: inout [UInt8]) async {
        switch message {
        case .array(let members):
            if members.isEmpty {
                onError?(.invalidRequest("empty batch"), nil, context)
                Self.appendError(.invalidRequest("empty batch"), id: .null, into: &out)
                out.append(0x0A)
                return
            }
            if members.count > limits.maxBatch {
                onError?(.invalidRequest("batch too large"), nil, context)
                Self.appendError(
                    .invalidRequest("batch too large (\(members.count) > \(limits.maxBatch))", data: ["maxBatch": .int(Int64(limits.maxBatch))]),
                    id: .null, into: &out)
                out.append(0x0A)
                return
            }
            let start = out.count
            out.append(UInt8(ascii: "["))
            var wroteAny = false
            for member in members {
                let before = out.count
                if wroteAny { out.append(UInt8(ascii: ",")) }
                if await handleOne(member, context: context, into: &out) {
                    wroteAny = true
                } else {
                    out.removeSubrange(before..<out.count)
                }
            }
            if wroteAny {
                out.append(UInt8(ascii: "]"))
                out.append(0x0A)
            } else {
                out.removeSubrange(start..<out.count)  // all notifications: no output at all
            }
        default:
            if await handleOne(message, context: context, into: &out) { out.append(0x0A) }
        }
    }

    /// Returns whether a response was written.
    private func handleOne(_ message: JSONValue, context: Context, into out: inout [UInt8]) async -> Bool {
        switch check(message) {
        case .valid(let request, let params):
            let result: Result<JSONValue, any Error>
            do {
                result = .success(try await invoke(request.method, params, context))
            } catch {
                result = .failure(error)
            }
            return finish(request, result, context: context, into: &out)
        case let refusal:
            return answer(refusal, context: context, into: &out)
        }
    }

    /// What a method called without suspending gives back: its result as a value, or
    /// `written` when it appended its result (one JSON value) to the response itself.
    public enum InlineResult: Sendable {
        case value(JSONValue)
        /// The result is already in `out`, right after the envelope's `"result":`.
        case written
    }

    /// Calls a method without suspending; nil when the request needs the async path
    /// (it must then have had no effect). The method may append its result to `out`
    /// (and say `.written`); otherwise it must leave `out` as it found it.
    public typealias InvokeInline = (_ method: String, _ params: Params, _ context: Context, _ out: inout [UInt8]) -> Result<InlineResult, any Error>?

    /// Answers a parsed message synchronously, under exactly the rules of
    /// `handle(message:context:into:)`, when `invokeInline` can answer it.
    /// Returns false, having changed nothing, when it cannot (batches
    /// always go to the async path).
    public func handleInline(message: JSONValue, context: Context, invokeInline: InvokeInline, into out: inout [UInt8]) -> Bool {
        guard case .object = message else { return false }
        switch check(message) {
        case .valid(let request, let params):
            return handleInline(request: request, params: params, context: context, invokeInline: invokeInline, into: &out)
        case let refusal:
            if answer(refusal, context: context, into: &out) { out.append(0x0A) }
            return true
        }
    }

    /// `handleInline(message:)` for a request whose envelope is known to be valid
    /// (`Request.canonical`, or `check`).
    public func handleInline(request: Request, params: Params, context: Context, invokeInline: InvokeInline, into out: inout [UInt8]) -> Bool {
        // The envelope goes first, so that a method can write its result straight after it.
        let start = out.count
        if let id = request.id { Self.appendResultHead(id: id, into: &out) }
        let resultStart = out.count
        guard let outcome = invokeInline(request.method, params, context, &out) else {
            out.removeSubrange(start..<out.count)
            return false
        }
        if case .success(.written) = outcome, request.id != nil, out.count > resultStart {
            out.append(UInt8(ascii: "}"))
            out.append(0x0A)
            return true
        }
        out.removeSubrange(start..<out.count)
        let result: Result<JSONValue, any Error>
        switch outcome {
        case .success(.value(let value)): result = .success(value)
        case .success(.written) where request.id == nil: result = .success(.null)  // a notification: nothing is sent
        case .success(.written): result = .failure(RPCError.internalError)  // said written, wrote nothing: a bug, not a crash
        case .failure(let error): result = .failure(error)
        }
        if finish(request, result, context: context, into: &out) { out.append(0x0A) }
        return true
    }

    private enum Checked {
        case valid(Request, Params)
        case invalid(RPCError, id: JSONValue)
        /// Params by position: refused with this error (answered only if the request has an id).
        case refused(Request, RPCError)
    }

    /// The envelope rules, without effects.
    private func check(_ message: JSONValue) -> Checked {
        switch Request.validate(message) {
        case .failure(let failure): return .invalid(failure.error, id: failure.id)
        case .success(let request):
            guard let params = request.params else {
                return .refused(request, .invalidParams("params must be an object (by name), not an array"))
            }
            return .valid(request, params)
        }
    }

    /// Answers a message that calls no method; returns whether a response was written.
    private func answer(_ checked: Checked, context: Context, into out: inout [UInt8]) -> Bool {
        switch checked {
        case .valid: preconditionFailure("a valid request calls its method")
        case .invalid(let error, let id):
            onError?(error, nil, context)
            Self.appendError(error, id: id, into: &out)
            return true
        case .refused(let request, let error):
            return finish(request, .failure(error), context: context, into: &out)
        }
    }

    /// Reports a failure and writes the response (none for a notification). Returns whether one was written.
    private func finish(_ request: Request, _ outcome: Result<JSONValue, any Error>, context: Context, into out: inout [UInt8]) -> Bool {
        let result: Result<JSONValue, RPCError> = outcome.mapError { error in
            (error as? RPCError) ?? mapError(error, request.method)
        }
        if case .failure(let error) = result { onError?(error, request.method, context) }
        guard let id = request.id else { return false }  // notification: no answer, even on error
        switch result {
        case .success(let value): Self.appendResult(value, id: id, into: &out)
        case .failure(let error): Self.appendError(error, id: id, into: &out)
        }
        return true
    }

    // MARK: response encoding

    /// The envelope around a response's id and its result or error.
    private static var envelopeStart: StaticString { #"{"jsonrpc":"2.0","id":"# }
    private static var resultKey: StaticString { #","result":"# }
    private static var errorKey: StaticString { #","error":"# }

    public static func appendResult(_ result: JSONValue, id: JSONValue, into out: inout [UInt8]) {
        JSONWriter.write(result, between: envelopeStart, id, resultKey, "}", into: &out)
    }

    /// `{"jsonrpc":"2.0","id":<id>,"result":`, the start of `appendResult`'s line: a
    /// result and `}` complete it.
    static func appendResultHead(id: JSONValue, into out: inout [UInt8]) {
        JSONWriter.appendLiteral(envelopeStart, into: &out)
        JSONWriter.write(id, into: &out)
        JSONWriter.appendLiteral(resultKey, into: &out)
    }

    public static func appendError(_ error: RPCError, id: JSONValue, into out: inout [UInt8]) {
        JSONWriter.write(error.jsonValue, between: envelopeStart, id, errorKey, "}", into: &out)
    }

    /// One complete error line (with newline), for errors found before parsing (oversized lines).
    public static func errorLine(_ error: RPCError, id: JSONValue = .null) -> [UInt8] {
        var out: [UInt8] = []
        appendError(error, id: id, into: &out)
        out.append(0x0A)
        return out
    }
}
