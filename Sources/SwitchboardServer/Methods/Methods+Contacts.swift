import JSONRPC
import SwitchboardCore

extension Methods {
    /// Contacts of connected systems: read from the local mirror, written through to the system.
    static func contacts(_ app: Application) -> [MethodSpec] {
        let contacts = app.contacts
        let book = app.phonebook
        return [
            MethodSpec("contacts.list", .anyRole) { params, call in
                try params.expectOnly(Params.pagingFields.union(["interfaceId", "scope"]))
                let scope: ContactScope? = switch try params.optionalEnum("scope", ScopeFilter.self) ?? .all {
                case .all: nil
                case .own: .own
                case .shared: .shared
                case .internal: .internal
                }
                let page = try await contacts.list(
                    accountId: call.principal.accountId, interfaceId: try params.optionalString("interfaceId", maxLength: 64), scope: scope,
                    cursor: try params.optionalString("cursor", maxLength: 2_000), limit: Int(try params.optionalInt("limit", in: 1...1_000) ?? 100))
                return page.json(JSONValue.entry)
            },
            MethodSpec("contacts.get", .anyRole) { params, call in
                try params.expectOnly(["id"])
                return .entry(try await contacts.get(accountId: call.principal.accountId, id: try params.string("id", maxLength: 64)))
            },
            MethodSpec("contacts.search", .anyRole) { params, call in
                try params.expectOnly(["q", "interfaceId", "limit"])
                let items = try await contacts.search(
                    accountId: call.principal.accountId, query: try params.nonEmptyString("q", maxLength: 200),
                    interfaceId: try params.optionalString("interfaceId", maxLength: 64), limit: Int(try params.optionalInt("limit", in: 1...200) ?? 20))
                return ["items": .array(items.map(JSONValue.entry))]
            },
            MethodSpec("contacts.create", .admins) { params, call in
                try params.expectOnly(Params.entryFields.union(["interfaceId"]))
                let region = try await book.region(accountId: call.principal.accountId, userId: call.principal.userId)
                return .entry(try await contacts.create(
                    accountId: call.principal.accountId, interfaceId: try params.string("interfaceId", maxLength: 64), try params.phonebookFields(),
                    region: region))
            },
            MethodSpec("contacts.update", .admins) { params, call in
                try params.expectOnly(Params.entryFields.union(["id"]))
                let region = try await book.region(accountId: call.principal.accountId, userId: call.principal.userId)
                return .entry(try await contacts.update(
                    accountId: call.principal.accountId, id: try params.string("id", maxLength: 64), try params.phonebookFields(), region: region))
            },
            MethodSpec("contacts.delete", .admins) { params, call in
                try params.expectOnly(["id"])
                let id = try params.string("id", maxLength: 64)
                try await contacts.delete(accountId: call.principal.accountId, id: id)
                return ["id": .string(id), "deleted": true]
            },
        ]
    }

    enum ScopeFilter: String, CaseIterable {
        case all, own, shared, `internal`
    }
}
