/// The authenticated caller of a session, fixed at `auth.login`.
public struct Principal: Sendable, Hashable {
    public var keyId: String
    public var role: Role
    /// The account the session works in. Operators pick it at login
    /// (`auth.login {account}`); everyone else is bound to their key's account.
    public var accountId: String
    public var userId: String?

    public init(keyId: String, role: Role, accountId: String, userId: String?) {
        self.keyId = keyId
        self.role = role
        self.accountId = accountId
        self.userId = userId
    }

    public var isOperator: Bool { role == .operator }
}
