import JSONRPC
import SwitchboardConnectors
import SwitchboardCore
import SwitchboardServices

extension Methods {
    static func interfaces(_ app: Application) -> [MethodSpec] {
        let service = app.interfaces
        return [
            MethodSpec("interfaces.catalog", .anyRole, inline: .always) { params, _ in
                try params.expectOnly([])
                return ["systems": .array(service.catalog.map(JSONValue.system))]
            },
            MethodSpec("interfaces.order", .admins) { params, call in
                try params.expectOnly(["system", "name"])
                return .interface(try await service.order(
                    accountId: call.principal.accountId, system: try params.nonEmptyString("system", maxLength: 64),
                    name: try params.optionalString("name", maxLength: 200), actor: call.principal.keyId))
            },
            MethodSpec("interfaces.provision", .operatorOnly) { params, call in
                try params.expectOnly(["id"])
                return .interface(try await service.provision(
                    accountId: call.principal.accountId, id: try params.string("id", maxLength: 64), actor: call.principal.keyId))
            },
            MethodSpec("interfaces.list", .admins) { params, call in
                try params.expectOnly(Params.pagingFields)
                return try await service.list(accountId: call.principal.accountId, try params.page()).json(JSONValue.interface)
            },
            MethodSpec("interfaces.get", .admins) { params, call in
                try params.expectOnly(["id"])
                let accountId = call.principal.accountId, id = try params.string("id", maxLength: 64)
                var object = JSONValue.interface(try await service.get(accountId: accountId, id: id)).objectValue ?? [:]
                object.append("history", .array(try await service.history(accountId: accountId, id: id).map(JSONValue.interfaceEvent)))
                return .object(object)
            },
            MethodSpec("interfaces.configure", .admins) { params, call in
                try params.expectOnly(["id", "name", "description", "syncIntervalMinutes", "settings", "dataFlow"])
                var changes = InterfaceService.Changes()
                changes.name = try params.optionalString("name", maxLength: 200)
                if params.has("description") { changes.description = .some(try params.optionalString("description", maxLength: 2_000)) }
                changes.syncIntervalMinutes = try params.optionalInt("syncIntervalMinutes").map { Int(clamping: $0) }
                if let settings = try params.optionalObject("settings") {
                    var values: [String: String?] = [:]
                    for key in settings.object.keys { values[key] = .some(try settings.optionalString(key, maxLength: 2_000)) }
                    changes.settings = values
                }
                if let flows = try params.optionalObject("dataFlow") {
                    var values: [String: Bool] = [:]
                    for key in flows.object.keys { values[key] = try flows.bool(key) }
                    changes.dataFlow = values
                }
                return .interface(try await service.configure(
                    accountId: call.principal.accountId, id: try params.string("id", maxLength: 64), changes, actor: call.principal.keyId))
            },
            MethodSpec("interfaces.setCredentials", .admins) { params, call in
                // `{id, <credential>: value|null, …}`. Values are never echoed, not even in errors.
                var values: [String: String?] = [:]
                for key in params.object.keys where key != "id" {
                    guard let value = params.object[key] else { continue }
                    switch value {
                    case .null: values[key] = .some(nil)
                    case .string(let text): values[key] = .some(text)
                    default: throw RPCError.invalidParams(field: key, "expected a string or null")
                    }
                }
                let interface = try await service.setCredentials(
                    accountId: call.principal.accountId, id: try params.string("id", maxLength: 64), values, actor: call.principal.keyId)
                return ["id": .string(interface.id), "credentials": .credentialsSet(interface)]
            },
            MethodSpec("interfaces.test", .admins) { params, call in
                try params.expectOnly(["id"])
                let report = try await service.test(accountId: call.principal.accountId, id: try params.string("id", maxLength: 64))
                return ["ok": .bool(report.ok), "problem": JSONValue(report.problem), "message": .string(report.message)]
            },
            MethodSpec("interfaces.sync", .admins) { params, call in
                try params.expectOnly(["id", "mode"])
                let run = try await app.syncs.start(
                    accountId: call.principal.accountId, interfaceId: try params.string("id", maxLength: 64),
                    mode: try params.optionalEnum("mode", SyncRun.Mode.self) ?? .incremental, trigger: .manual, actor: call.principal.keyId)
                return ["runId": .string(run.id), "state": .string(run.state.rawValue)]
            },
            MethodSpec("interfaces.cancel", .admins) { params, call in
                try params.expectOnly(["id"])
                let interface = try await service.cancel(
                    accountId: call.principal.accountId, id: try params.string("id", maxLength: 64), actor: call.principal.keyId)
                return ["id": .string(interface.id), "state": .string(interface.state.rawValue), "dataUntil": .time(interface.dataUntil)]
            },
            MethodSpec("syncs.list", .admins) { params, call in
                try params.expectOnly(Params.pagingFields.union(["interfaceId"]))
                let accountId = call.principal.accountId, interfaceId = try params.string("interfaceId", maxLength: 64)
                _ = try await service.get(accountId: accountId, id: interfaceId)
                let page = try params.page()
                let runs = try await app.store.syncRuns(accountId: accountId, interfaceId: interfaceId, page)
                return Page(items: runs, request: page).json(JSONValue.syncRun)
            },
            MethodSpec("syncs.get", .admins) { params, call in
                try params.expectOnly(["runId"])
                let id = try params.string("runId", maxLength: 64)
                guard let run = try await app.store.syncRun(accountId: call.principal.accountId, id: id) else {
                    throw SwitchboardError.notFound("sync run", id: id)
                }
                return .syncRun(run)
            },
        ]
    }
}

extension JSONValue {
    static func system(_ d: ConnectorDescriptor) -> JSONValue {
        [
            "system": .string(d.system), "label": .string(d.label), "summary": .string(d.summary),
            "fields": .array(d.fields.map { f in
                [
                    "name": .string(f.name), "label": .string(f.label), "kind": .string(f.kind.rawValue), "required": .bool(f.required),
                    "secret": .bool(f.secret), "example": JSONValue(f.example), "choices": f.choices.map { .array($0.map(JSONValue.string)) } ?? .null,
                    "help": JSONValue(f.help),
                ]
            }),
            "capabilities": .array(d.capabilities.map { .string($0.rawValue) }),
            "settingsRule": JSONValue(d.settingsRule),
        ]
    }

    /// An interface. Credentials appear only as the names that are set, and when.
    static func interface(_ i: Interface) -> JSONValue {
        var settings = JSONObject()
        for (key, value) in i.settings.sorted(by: { $0.key < $1.key }) { settings.append(key, .string(value)) }
        var flows = JSONObject()
        for name in DataFlow.names { flows.append(name, .bool(i.dataFlow[name] ?? false)) }
        return [
            "id": .string(i.id), "system": .string(i.system), "name": .string(i.name), "description": JSONValue(i.description),
            "state": .string(i.state.rawValue), "health": .string(i.health.rawValue), "healthReason": JSONValue(i.healthReason),
            "syncIntervalMinutes": .int(Int64(i.syncIntervalMinutes)), "settings": .object(settings), "dataFlow": .object(flows),
            "credentials": .credentialsSet(i), "orderedAt": .time(i.orderedAt), "provisionAt": .time(i.provisionAt),
            "activatedAt": .time(i.activatedAt), "cancelledAt": .time(i.cancelledAt), "dataUntil": .time(i.dataUntil),
            "dataRemovedAt": .time(i.dataRemovedAt), "lastSyncAt": .time(i.lastSyncAt), "updatedAt": .time(i.updatedAt),
        ]
    }

    /// `{name: setAt}` for each credential that is set. Never the values.
    static func credentialsSet(_ i: Interface) -> JSONValue {
        var object = JSONObject()
        for (name, at) in i.credentialsSetAt.sorted(by: { $0.key < $1.key }) { object.append(name, .time(at)) }
        return .object(object)
    }

    static func interfaceEvent(_ e: InterfaceEvent) -> JSONValue {
        ["at": .time(e.at), "actor": .string(e.actor), "action": .string(e.action), "detail": JSONValue(e.detail)]
    }

    static func syncRun(_ r: SyncRun) -> JSONValue {
        let c = r.counts
        return [
            "runId": .string(r.id), "interfaceId": .string(r.interfaceId), "mode": .string(r.mode.rawValue), "trigger": .string(r.trigger.rawValue),
            "state": .string(r.state.rawValue),
            "counts": [
                "seen": .int(Int64(c.seen)), "created": .int(Int64(c.created)), "updated": .int(Int64(c.updated)),
                "unchanged": .int(Int64(c.unchanged)), "deleted": .int(Int64(c.deleted)), "rejected": .int(Int64(c.rejected)),
            ],
            "errors": .array(r.errors.map { ["line": .int(Int64($0.line)), "reason": .string($0.reason)] }),
            "warnings": .array(r.warnings.map(JSONValue.string)), "failure": JSONValue(r.failure),
            "sourceUnchanged": .bool(r.sourceUnchanged), "startedAt": .time(r.startedAt), "finishedAt": .time(r.finishedAt),
        ]
    }
}
