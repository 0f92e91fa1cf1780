import JSONRPC
import SwitchboardCore

extension Methods {
    static func accounts(_ app: Application) -> [MethodSpec] {
        [
            MethodSpec("accounts.create", .operatorOnly) { params, _ in
                try params.expectOnly(["name", "region", "timeZone"])
                let account = try await app.accounts.create(
                    name: try params.string("name"), region: try params.string("region"), timeZone: try params.optionalString("timeZone"))
                try await app.phonebook.rebuildSortKeysIfNeeded(accountIds: [account.id])  // records the collator version
                return .account(account)
            },
            MethodSpec("accounts.list", .operatorOnly) { params, _ in
                try params.expectOnly(Params.pagingFields)
                return try await app.accounts.list(try params.page()).json(JSONValue.account)
            },
            MethodSpec("accounts.get", .anyRole) { params, call in
                try params.expectOnly(["id"])
                return .account(try await app.accounts.get(id: try params.optionalString("id"), as: call.principal))
            },
        ]
    }
}
