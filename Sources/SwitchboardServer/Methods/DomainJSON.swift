import Foundation
import JSONRPC
import SwitchboardCore

/// Wire forms of domain values. Secrets never appear here.
extension JSONValue {
    static func time(_ date: Date?) -> JSONValue {
        guard let date else { return .null }
        return .string(RFC3339.string(date))
    }

    static func account(_ a: Account) -> JSONValue {
        ["id": .string(a.id), "name": .string(a.name), "region": .string(a.region), "timeZone": .string(a.timeZone),
         "createdAt": .time(a.createdAt)]
    }

    static func user(_ u: User) -> JSONValue {
        ["id": .string(u.id), "name": .string(u.name), "email": .string(u.email), "extension": JSONValue(u.extensionNumber),
         "numbers": .array(u.numbers.map(JSONValue.string)), "region": JSONValue(u.region),
         "forwardingEntryId": JSONValue(u.forwardingEntryId), "createdAt": .time(u.createdAt), "updatedAt": .time(u.updatedAt)]
    }

    /// An API key without its secret or hash.
    static func apiKey(_ k: APIKey) -> JSONValue {
        ["id": .string(k.id), "role": .string(k.role.rawValue), "accountId": JSONValue(k.accountId), "userId": JSONValue(k.userId),
         "label": .string(k.label), "createdAt": .time(k.createdAt), "lastUsedAt": .time(k.lastUsedAt),
         "revoked": .bool(k.isRevoked), "revokedAt": .time(k.revokedAt)]
    }

    static func principal(_ p: Principal) -> JSONValue {
        ["keyId": .string(p.keyId), "role": .string(p.role.rawValue), "accountId": .string(p.accountId), "userId": JSONValue(p.userId)]
    }
}
