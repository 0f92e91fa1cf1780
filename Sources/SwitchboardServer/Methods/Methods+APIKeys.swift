import JSONRPC
import SwitchboardCore

extension Methods {
    static func apiKeys(_ app: Application) -> [MethodSpec] {
        [
            MethodSpec("apiKeys.create", .admins) { params, call in
                try params.expectOnly(["role", "userId", "label"])
                let created = try await app.apiKeys.create(
                    role: try params.requiredEnum("role", Role.self), userId: try params.optionalString("userId", maxLength: 64),
                    label: try params.string("label", maxLength: 200), by: call.principal)
                guard case .object(var object) = JSONValue.apiKey(created.key) else { return .null }
                object.append("token", .string(created.token))  // shown once, never again
                return .object(object)
            },
            MethodSpec("apiKeys.list", .admins) { params, call in
                try params.expectOnly(Params.pagingFields.union(["operatorKeys"]))
                let page = try await app.apiKeys.list(
                    operatorKeys: try params.optionalBool("operatorKeys") ?? false, try params.page(), by: call.principal)
                return page.json(JSONValue.apiKey)
            },
            MethodSpec("apiKeys.revoke", .admins) { params, call in
                try params.expectOnly(["id"])
                let key = try await app.apiKeys.revoke(id: try params.string("id", maxLength: 64), by: call.principal)
                app.events.revoke(keyIds: [key.id])
                return .apiKey(key)
            },
        ]
    }
}
