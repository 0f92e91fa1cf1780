import JSONRPC
import SwitchboardCore

extension Methods {
    static func system(_ app: Application) -> [MethodSpec] {
        [
            MethodSpec("system.ping", .public, inline: .always) { params, _ in
                try params.expectOnly([])
                return "pong"
            },
            MethodSpec("system.version", .public, inline: .always) { params, _ in
                try params.expectOnly([])
                return ["version": .string(SwitchboardVersion.current), "protocol": .string(SwitchboardVersion.protocolVersion)]
            },
            MethodSpec("rpc.discover", .public, inline: .always) { params, _ in
                try params.expectOnly([])
                return OpenRPCDocument.value
            },
        ]
    }
}
