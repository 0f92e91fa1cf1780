/// Domain errors. The server maps each kind to one protocol error code in one
/// place; services never know about JSON-RPC.
public struct SwitchboardError: Error, Sendable, Equatable, CustomStringConvertible {
    public enum Kind: Sendable, Equatable {
        case unauthenticated
        case forbidden
        case notFound
        case conflict
        case validation
        /// The store cannot grow (a full disk): nothing of the operation was written. Reads go on.
        case storageFull
    }

    public var kind: Kind
    public var message: String
    /// For validation errors: the field at fault, as the client named it.
    public var field: String?
    public var details: [String: String]

    public init(_ kind: Kind, _ message: String, field: String? = nil, details: [String: String] = [:]) {
        self.kind = kind
        self.message = message
        self.field = field
        self.details = details
    }

    public var description: String { message }

    public static func notFound(_ what: String, id: String) -> SwitchboardError {
        SwitchboardError(.notFound, "\(what) \(id) not found", details: ["id": id])
    }
    public static func invalid(_ field: String, _ reason: String) -> SwitchboardError {
        SwitchboardError(.validation, "\(field): \(reason)", field: field, details: ["reason": reason])
    }
    public static func conflict(_ message: String, field: String? = nil) -> SwitchboardError {
        SwitchboardError(.conflict, message, field: field)
    }
    public static func forbidden(_ message: String) -> SwitchboardError {
        SwitchboardError(.forbidden, message)
    }
    public static let unauthenticated = SwitchboardError(.unauthenticated, "invalid or revoked token")
    public static let storageFull = SwitchboardError(.storageFull, "the server's storage is full")
}
