import JSONRPC
import SwitchboardCore

extension Methods {
    static func auth(_ app: Application) -> [MethodSpec] {
        [
            MethodSpec("auth.login", .public) { params, call in
                try params.expectOnly(["token", "account"])
                let principal = try await app.auth.login(
                    token: try params.string("token", maxLength: 256), account: try params.optionalString("account", maxLength: 64))
                call.session.login(principal)
                return .principal(principal)
            },
            MethodSpec("auth.whoami", .anyRole, inline: .always) { params, call in
                try params.expectOnly([])
                return .principal(call.principal)
            },
        ]
    }
}
