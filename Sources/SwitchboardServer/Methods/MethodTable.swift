import JSONRPC
import SwitchboardCore

/// Who may call a method. Decided here and checked in one place
/// (`MethodTable.invoke`), never inside handlers.
public enum Access: Sendable, Equatable {
    /// Callable before `auth.login`.
    case `public`
    /// Callable by a logged-in session whose role is in the set.
    case roles(RoleSet)

    public static let anyRole = Access.roles(RoleSet(Role.allCases))
    public static let admins = Access.roles([.operator, .admin])
    public static let operatorOnly = Access.roles([.operator])

    /// The one role rule, for methods and event topics alike.
    func allows(_ role: Role) -> Bool {
        switch self {
        case .public: true
        case .roles(let roles): roles.contains(role)
        }
    }
}

/// A set of roles as one bit each: the access check runs on every request, and
/// hashing a role (by its string raw value) was a measurable part of a lookup.
public struct RoleSet: Sendable, Equatable, Sequence, ExpressibleByArrayLiteral {
    private var bits: UInt8 = 0

    public init<S: Sequence<Role>>(_ roles: S) {
        for role in roles { bits |= Self.bit(role) }
    }

    public init(arrayLiteral roles: Role...) {
        self.init(roles)
    }

    public func contains(_ role: Role) -> Bool { bits & Self.bit(role) != 0 }

    public func makeIterator() -> some IteratorProtocol<Role> {
        Role.allCases.lazy.filter(contains).makeIterator()
    }

    private static func bit(_ role: Role) -> UInt8 {
        switch role {
        case .operator: 1
        case .admin: 2
        case .pbx: 4
        case .user: 8
        }
    }
}

/// What a handler receives besides its params.
public struct Call: Sendable {
    public let session: Session
    /// Non-nil for every method whose access is `.roles`.
    public let principal: Principal!
}

public struct MethodSpec: Sendable {
    public typealias Handler = @Sendable (Params, Call) async throws -> JSONValue
    /// A synchronous handler for the event loop. Returns nil when it cannot
    /// answer without waiting (e.g. a cache that must be refilled); it must
    /// then have had no effect, and the request goes to `handler`. It may
    /// append its result (one JSON value) to the response it is given and
    /// return `.written`; otherwise it leaves the response alone.
    public typealias InlineHandler = @Sendable (Params, Call, _ response: inout [UInt8]) throws -> InlineResult?
    public typealias InlineResult = RPCEngine<Session>.InlineResult
    public let name: String
    public let access: Access
    public let handler: Handler
    /// Set for methods that run to completion on the calling thread without
    /// waiting on other systems (pure computation, or a bounded local SQLite
    /// read): the connection's channel handler answers them on the event loop
    /// without entering the connection's task, and they get no request-time
    /// guard (which would cost more than the work).
    public let inlineHandler: InlineHandler?
    public var inline: Bool { inlineHandler != nil }

    public init(_ name: String, _ access: Access, _ handler: @escaping Handler) {
        self.name = name
        self.access = access
        self.handler = handler
        self.inlineHandler = nil
    }

    public enum Inline: Sendable {
        /// The handler is synchronous and always answers.
        case always
    }

    /// A method that always answers synchronously; the async path calls the same closure.
    public init(_ name: String, _ access: Access, inline: Inline, _ handler: @escaping @Sendable (Params, Call) throws -> JSONValue) {
        let inline = handler
        self.name = name
        self.access = access
        self.inlineHandler = { params, call, _ in .value(try inline(params, call)) }
        self.handler = { params, call in try inline(params, call) }
    }

    /// A method that answers synchronously when it can (`inline`), else through `handler`.
    public init(_ name: String, _ access: Access, inline: @escaping InlineHandler, _ handler: @escaping Handler) {
        self.name = name
        self.access = access
        self.inlineHandler = inline
        self.handler = handler
    }
}

/// The registry: method name → spec. Immutable once built.
public struct MethodTable: Sendable {
    public let methods: [String: MethodSpec]
    let requestTimeout: Duration

    init(_ specs: [MethodSpec], requestTimeout: Duration) {
        var methods: [String: MethodSpec] = [:]
        for spec in specs {
            precondition(methods[spec.name] == nil, "method \(spec.name) registered twice")
            methods[spec.name] = spec
        }
        self.methods = methods
        self.requestTimeout = requestTimeout
        // The caller-ID lookup first: it is nearly every request of a PBX.
        inlineSpecs = methods.values.filter(\.inline).sorted { a, b in a.name == "phonebook.lookup" && b.name != a.name }
    }

    /// The methods answered on the event loop, the caller-ID lookup first. `Request.canonical`
    /// reads their names as these very strings, so finding one here is a pointer compare,
    /// cheaper than hashing the name.
    let inlineSpecs: [MethodSpec]

    public var names: [String] { methods.keys.sorted() }

    /// The one access check, for the async and the inline path alike: the
    /// method exists and the session may call it. Returns what the handler gets.
    func authorize(_ name: String, _ session: Session) throws(RPCError) -> (MethodSpec, Call) {
        guard let spec = methods[name] else { throw RPCError.methodNotFound(name) }
        return try authorize(spec, session)
    }

    /// `spec`'s access rule for the session (the one place roles are decided).
    func authorize(_ spec: MethodSpec, _ session: Session) throws(RPCError) -> (MethodSpec, Call) {
        let name = spec.name
        var principal: Principal? = nil
        if case .roles = spec.access {
            guard let current = session.principal else {
                let reason = session.loggedOutReason.map { "\($0); log in again" } ?? "call auth.login first"
                throw RPCError(.unauthenticated, "Unauthenticated: \(reason)", data: ["method": .string(name)])
            }
            guard spec.access.allows(current.role) else {
                throw RPCError(
                    .forbidden, "Forbidden: \(name) is not allowed for role \(current.role.rawValue)",
                    data: ["method": .string(name), "role": .string(current.role.rawValue)])
            }
            principal = current
        }
        return (spec, Call(session: session, principal: principal))
    }

    /// Looks the method up, enforces its access rule, then runs it.
    func invoke(_ name: String, _ params: Params, _ session: Session) async throws -> JSONValue {
        let (spec, call) = try authorize(name, session)
        if spec.inline { return try await spec.handler(params, call) }
        return try await withRequestTimeout(requestTimeout, method: name) { try await spec.handler(params, call) }
    }

    /// The same without suspending: nil when the request needs the async
    /// path (the method is not inline, or its inline handler cannot answer
    /// now). Access is checked exactly as by `invoke`; its refusals are answers.
    func invokeInline(_ name: String, _ params: Params, _ session: Session, _ response: inout [UInt8]) -> Result<MethodSpec.InlineResult, any Error>? {
        guard let found = inlineSpecs.first(where: { $0.name == name }) ?? methods[name] else { return .failure(RPCError.methodNotFound(name)) }
        guard found.inline else { return nil }
        let spec: MethodSpec, call: Call
        do {
            (spec, call) = try authorize(found, session)
        } catch {
            return .failure(error)
        }
        do {
            guard let result = try spec.inlineHandler!(params, call, &response) else { return nil }
            return .success(result)
        } catch {
            return .failure(error)
        }
    }
}

/// Runs `body`, answering `-32002` if it takes longer than `limit`.
func withRequestTimeout(_ limit: Duration, method: String, _ body: @escaping @Sendable () async throws -> JSONValue) async throws -> JSONValue {
    try await withThrowingTaskGroup(of: JSONValue.self) { group in
        group.addTask { try await body() }
        group.addTask {
            try await Task.sleep(for: limit)
            throw RPCError(.timedOut, "Request timed out after \(limit.components.seconds) s", data: ["method": .string(method)])
        }
        defer { group.cancelAll() }
        return try await group.next()!
    }
}
