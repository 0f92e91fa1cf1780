import JSONRPC
import SwitchboardCore

/// Who may call a method. Decided here and checked in one place
/// (`MethodTable.invoke`), never inside handlers.
public enum Access: Sendable, Equatable {
    /// Callable before `auth.login`.
    case `public`
    /// Callable by a logged-in session whose role is in the set.
    case roles(Set<Role>)

    public static let anyRole = Access.roles(Set(Role.allCases))
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

/// What a handler receives besides its params.
public struct Call: Sendable {
    public let session: Session
    /// Non-nil for every method whose access is `.roles`.
    public let principal: Principal!
}

public struct MethodSpec: Sendable {
    public typealias Handler = @Sendable (Params, Call) async throws -> JSONValue
    public let name: String
    public let access: Access
    /// Runs to completion on the calling thread without waiting on other
    /// systems (pure computation, or a bounded local SQLite read): no
    /// request-time guard, which would cost more than the work.
    public let inline: Bool
    public let handler: Handler

    public init(_ name: String, _ access: Access, inline: Bool = false, _ handler: @escaping Handler) {
        self.name = name
        self.access = access
        self.inline = inline
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
    }

    public var names: [String] { methods.keys.sorted() }

    /// Looks the method up, enforces its access rule, then runs it.
    func invoke(_ name: String, _ params: Params, _ session: Session) async throws -> JSONValue {
        guard let spec = methods[name] else { throw RPCError.methodNotFound(name) }
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
        let call = Call(session: session, principal: principal)
        if spec.inline { return try await spec.handler(params, call) }
        return try await withRequestTimeout(requestTimeout, method: name) { try await spec.handler(params, call) }
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
