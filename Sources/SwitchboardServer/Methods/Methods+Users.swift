import JSONRPC
import SwitchboardCore
import SwitchboardServices

extension Methods {
    static func users(_ app: Application) -> [MethodSpec] {
        let userFields: Set<String> = ["name", "email", "extension", "numbers", "region"]
        return [
            MethodSpec("users.create", .admins) { params, call in
                try params.expectOnly(userFields)
                _ = try params.string("name")
                _ = try params.string("email")
                let user = try await app.users.create(accountId: call.principal.accountId, try params.userChanges())
                app.events.publish(topic: "users.changed", accountId: user.accountId, params: ["action": "created", "user": .user(user)])
                return .user(user)
            },
            MethodSpec("users.list", .anyRole) { params, call in
                try params.expectOnly(Params.pagingFields)
                return try await app.users.list(accountId: call.principal.accountId, try params.page()).json(JSONValue.user)
            },
            MethodSpec("users.get", .anyRole) { params, call in
                try params.expectOnly(["id"])
                return .user(try await app.users.get(accountId: call.principal.accountId, id: try params.string("id")))
            },
            MethodSpec("users.update", .admins) { params, call in
                try params.expectOnly(userFields.union(["id"]))
                let user = try await app.users.update(
                    accountId: call.principal.accountId, id: try params.string("id"), try params.userChanges())
                app.events.publish(topic: "users.changed", accountId: user.accountId, params: ["action": "updated", "user": .user(user)])
                return .user(user)
            },
            MethodSpec("users.delete", .admins) { params, call in
                try params.expectOnly(["id"])
                let id = try params.string("id")
                let revoked = try await app.users.delete(accountId: call.principal.accountId, id: id)
                app.events.revoke(keyIds: revoked)
                app.events.publish(topic: "users.changed", accountId: call.principal.accountId, params: ["action": "deleted", "user": ["id": .string(id)]])
                return ["id": .string(id), "deleted": true, "revokedKeys": .array(revoked.map(JSONValue.string))]
            },
        ]
    }
}

extension Params {
    /// The user fields present in the request; `null` clears the optional ones.
    fileprivate func userChanges() throws(RPCError) -> UserService.Changes {
        var changes = UserService.Changes(
            name: try optionalString("name", maxLength: 200), email: try optionalString("email", maxLength: 254),
            numbers: try optionalStringArray("numbers", maxCount: 20))
        if has("extension") { changes.extensionNumber = .some(try optionalString("extension", maxLength: 16)) }
        if has("region") { changes.region = .some(try optionalString("region", maxLength: 8)) }
        return changes
    }
}
