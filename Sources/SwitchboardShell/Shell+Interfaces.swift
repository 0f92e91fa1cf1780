import Foundation
import JSONRPC

/// `interface …`, `interfaces`, `syncs`, `sync show`.
extension Shell {
    func listInterfaces(_ invocation: Invocation) async throws {
        let items = try await allItems("interfaces.list")
        emitList(items) { Render.interfaces(items, style: style) }
    }

    func showInterface(_ invocation: Invocation) async throws {
        let interface = try await call("interfaces.get", ["id": .string(invocation.arguments[0])])
        emit(interface) { Render.interface(interface, style: style) }
    }

    func showCatalog(_ invocation: Invocation) async throws {
        let catalog = try await call("interfaces.catalog")
        emit(catalog) { Render.catalog(catalog, style: style) }
    }

    func orderInterface(_ invocation: Invocation) async throws {
        var params: JSONObject = ["system": .string(invocation.arguments[0])]
        let name = invocation.arguments.dropFirst().joined(separator: " ")
        if !name.isEmpty { params.append("name", .string(name)) }
        let interface = try await call("interfaces.order", params)
        emit(interface) { "ordered \(cellText(interface["id"]))\n" + Render.interface(interface, style: style, history: 0) }
    }

    func setInterfaceField(_ invocation: Invocation) async throws {
        let id = invocation.arguments[0], field = invocation.arguments[1]
        let value = invocation.arguments.dropFirst(2).joined(separator: " ")
        var params: JSONObject = ["id": .string(id)]
        var shown = "settings"  // the line of `interface show` that the change is on
        if let flow = dataFlowNames.first(where: { $0.lowercased() == field.lowercased() }) {
            guard let on = Self.switchValue(value) else { throw UsageError("\(flow) is switched on or off, not \(Tokenizer.quoted(value))") }
            params.append("dataFlow", .object([flow: .bool(on)]))
            shown = "data flow"
        } else {
            switch field {
            case "name", "description":
                params.append(field, value.isEmpty && field == "description" ? .null : .string(value))
                shown = field
            case "interval", "syncIntervalMinutes":
                guard let minutes = Int64(value) else { throw UsageError("interval is a number of minutes (1 to 10080), not \(Tokenizer.quoted(value))") }
                params.append("syncIntervalMinutes", .int(minutes))
                shown = "sync every"
            default:
                // Checked here, before anything is sent: a secret on a command line would land in the history.
                let (system, fields) = try await systemFields(of: id)
                if fields.contains(where: { $0["name"]?.stringValue == field && $0["kind"] == "credential" }) {
                    throw ShellFailure("\(field) is a credential of \(system): set it with `interface credentials \(id)` (asked without echo, never kept in the history)")
                }
                params.append("settings", .object([field: value.isEmpty ? .null : .string(value)]))
            }
        }
        let interface = try await call("interfaces.configure", params)
        emit(interface) {
            "updated \(id)\n" + renderFields(Render.interfaceFields(interface, style: style).filter { $0.0 == shown })
        }
    }

    static func switchValue(_ text: String) -> Bool? {
        switch text.lowercased() {
        case "on", "true", "yes", "1": true
        case "off", "false", "no", "0": false
        default: nil
        }
    }

    /// The interface's system and that system's fields in the catalogue.
    func systemFields(of id: String) async throws -> (String, [JSONValue]) {
        let interface = try await call("interfaces.get", ["id": .string(id)])
        let system = cellText(interface["system"])
        let catalog = try await call("interfaces.catalog")
        let entry = catalog["systems"]?.arrayValue?.first { $0["system"]?.stringValue == system }
        return (system, entry?["fields"]?.arrayValue ?? [])
    }

    func setCredentials(_ invocation: Invocation) async throws {
        let id = invocation.arguments[0]
        let (system, fields) = try await systemFields(of: id)
        var credentials = fields.filter { $0["kind"] == "credential" }
        if credentials.isEmpty { throw ShellFailure("\(system) takes no credentials") }
        let named = invocation.arguments.dropFirst()
        if !named.isEmpty {
            let known = credentials.compactMap { $0["name"]?.stringValue }
            if let unknown = named.first(where: { !known.contains($0) }) {
                throw UsageError("\(unknown) is not a credential of \(system) (credentials: \(known.joined(separator: ", ")))")
            }
            credentials = credentials.filter { named.contains($0["name"]?.stringValue ?? "") }
        }
        var params: JSONObject = ["id": .string(id)]
        for field in credentials {
            let name = cellText(field["name"])
            guard let value = await askSecret("\(cellText(field["label"])) (\(name); Enter keeps it): ") else {
                throw ShellFailure("no credentials changed")
            }
            if !value.isEmpty { params.append(name, .string(value)) }
        }
        if params.count == 1 {
            say("nothing changed")
            return
        }
        let answer = try await call("interfaces.setCredentials", params)
        emit(answer) {
            let set = answer["credentials"]?.objectValue?.members.map { "\($0.key) (set \(cellText($0.value)))" } ?? []
            return "credentials of \(id): " + (set.isEmpty ? "none" : set.joined(separator: ", "))
        }
    }

    func testInterface(_ invocation: Invocation) async throws {
        let report = try await call("interfaces.test", ["id": .string(invocation.arguments[0])])
        emit(report) { Render.testReport(report, style: style) }
        if report["ok"] != true { throw ShellFailure.reported }
    }

    func cancelInterface(_ invocation: Invocation) async throws {
        let id = invocation.arguments[0]
        if invocation.arguments.count < 2 {
            let interface = try await call("interfaces.get", ["id": .string(id)])
            let zone = (try? await call("accounts.get"))?["timeZone"]?.stringValue ?? "the account's time zone"
            let question = "Cancel \(cellText(interface["name"])) (\(id)) for good? It stops syncing and cannot be configured again; "
                + "its synced entries stay in the phonebook until the end of this month (\(zone)). [y/N] "
            guard let answer = await ask(question) else { throw ShellFailure("no answer: not cancelled") }
            guard ["y", "yes"].contains(answer.trimmingCharacters(in: .whitespaces).lowercased()) else {
                say("not cancelled")
                return
            }
        }
        let cancelled = try await call("interfaces.cancel", ["id": .string(id)])
        emit(cancelled) {
            """
            cancelled \(id); its synced entries stay in the phonebook until \(cellText(cancelled["dataUntil"])) (dataUntil), \
            then they are removed (entry copy ID keeps one)
            """
        }
    }

    func provisionInterface(_ invocation: Invocation) async throws {
        let interface = try await call("interfaces.provision", ["id": .string(invocation.arguments[0])])
        emit(interface) { "provisioned \(cellText(interface["id"]))\n" + Render.interface(interface, style: style, history: 0) }
    }

    func listRuns(_ invocation: Invocation) async throws {
        let page = try await call("syncs.list", ["interfaceId": .string(invocation.arguments[0]), "limit": 20])
        let items = page["items"]?.arrayValue ?? []
        emit(page) { Render.runs(items, style: style) + emptyNote(items) }
    }

    func showRun(_ invocation: Invocation) async throws {
        let run = try await call("syncs.get", ["runId": .string(invocation.arguments[0])])
        emit(run) { Render.run(run, style: style) }
    }

    // MARK: helpers

    /// Every item of a paged list (`{items, nextCursor}`), following the cursors.
    func allItems(_ method: String, _ params: JSONObject = JSONObject()) async throws -> [JSONValue] {
        var items: [JSONValue] = []
        var cursor: JSONValue = .null
        repeat {
            var page = params
            page["limit"] = 1000
            if cursor != .null { page["cursor"] = cursor }
            let answer = try await call(method, page)
            items += answer["items"]?.arrayValue ?? []
            cursor = answer["nextCursor"] ?? .null
        } while cursor != .null
        return items
    }

    /// A list: `{"items":[…]}` with `--json`, else the table.
    func emitList(_ items: [JSONValue], _ render: () -> String) {
        emit(.object(["items": .array(items)])) { render() + emptyNote(items) }
    }

    /// Below an empty table on a terminal: `(none)`. Scripts get the header alone.
    func emptyNote(_ items: [JSONValue]) -> String {
        items.isEmpty && interactive ? "\n" + style.paint("(none)", .dim) : ""
    }
}
