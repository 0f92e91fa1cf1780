import JSONRPC

/// Users, keys, accounts, the phonebook and `status`.
extension Render {
    public static func users(_ items: [JSONValue], style: Style) -> String {
        TextTable(headers: ["ID", "NAME", "EMAIL", "EXT", "NUMBERS", "REGION"], rows: items.map { user in
            [cellText(user["id"]), cellText(user["name"]), cellText(user["email"]), cellText(user["extension"]),
             list(user["numbers"]), cellText(user["region"])].map { TextTable.Cell($0) }
        }).render(style)
    }

    public static func keys(_ items: [JSONValue], style: Style) -> String {
        TextTable(headers: ["ID", "ROLE", "LABEL", "USER", "CREATED", "LAST USED", "STATE"], rows: items.map { key in
            let state = key["revoked"] == true ? "revoked" : "active"
            return [TextTable.Cell(cellText(key["id"])), TextTable.Cell(cellText(key["role"])), TextTable.Cell(cellText(key["label"])),
                    TextTable.Cell(cellText(key["userId"])), TextTable.Cell(cellText(key["createdAt"])),
                    TextTable.Cell(cellText(key["lastUsedAt"])), .state(state)]
        }).render(style)
    }

    /// The accounts, the session's marked with `*`.
    public static func accounts(_ items: [JSONValue], current: String?, style: Style) -> String {
        TextTable(headers: ["", "ID", "NAME", "REGION", "TIME ZONE", "CREATED"], rows: items.map { account in
            let mark = account["id"]?.stringValue == current ? "*" : ""
            return [TextTable.Cell(mark, .green), TextTable.Cell(cellText(account["id"])), TextTable.Cell(cellText(account["name"])),
                    TextTable.Cell(cellText(account["region"])), TextTable.Cell(cellText(account["timeZone"])),
                    TextTable.Cell(cellText(account["createdAt"]))]
        }).render(style)
    }

    /// Phonebook entries: name, company, numbers, source (M manual, S synced), id.
    public static func entries(_ items: [JSONValue], style: Style) -> String {
        TextTable(headers: ["NAME", "COMPANY", "NUMBERS", "EMAIL", "SOURCE", "ID"], rows: items.map { entry in
            [cellText(entry["name"]), cellText(entry["company"]), numbers(entry["numbers"]), cellText(entry["email"]),
             cellText(entry["source"]), cellText(entry["id"])].map { TextTable.Cell($0) }
        }).render(style)
    }

    public static func entry(_ entry: JSONValue, style: Style) -> String {
        var fields: [(String, String)] = [("id", cellText(entry["id"])), ("name", cellText(entry["name"]))]
        for key in ["firstName", "lastName", "company", "department", "title", "email", "note"] {
            if let value = entry[key]?.stringValue { fields.append((key, value)) }
        }
        fields.append(("numbers", numbers(entry["numbers"])))
        let source = entry["source"] == "S" ? "synced from \(cellText(entry["interfaceId"])) (read-only)" : "manual"
        fields.append(("source", source))
        if let copied = entry["copiedFrom"]?.stringValue { fields.append(("copied from", copied)) }
        return renderFields(fields)
    }

    /// The caller-ID answer: who it is, how sure, and how the number was read.
    public static func lookup(_ result: JSONValue, style: Style) -> String {
        let normalized = result["normalized"]
        let read = [normalized?["e164"]?.stringValue, normalized?["region"]?.stringValue.map { "region " + $0 }]
            .compactMap { $0 }.joined(separator: ", ")
        guard let match = result["match"]?.stringValue else {
            return "no match for \(cellText(normalized?["input"]))" + (read.isEmpty ? "" : " (read as \(read))")
        }
        var lines: [String] = []
        if match == "extension", let user = result["user"], user != .null {
            lines.append("extension of \(cellText(user["name"])) <\(cellText(user["email"]))> (\(cellText(user["id"])))")
            return lines.joined(separator: "\n")
        }
        let count = result["candidateCount"]?.intValue ?? 0
        let sureness = result["ambiguous"] == true ? style.paint("ambiguous: \(count) entries", .yellow) : "1 entry"
        lines.append("match \(match) (\(sureness))" + (read.isEmpty ? "" : ", read as \(read)"))
        if let entry = result["entry"], entry != .null { lines.append(Render.entry(entry, style: style)) }
        if result["ambiguous"] == true, let candidates = result["candidates"]?.arrayValue {
            lines.append("candidates:")
            lines.append(TextTable(headers: ["NAME", "COMPANY", "SOURCE", "UPDATED", "ID"], rows: candidates.map { c in
                [cellText(c["name"]), cellText(c["company"]), cellText(c["source"]), cellText(c["updatedAt"]), cellText(c["id"])].map { TextTable.Cell($0) }
            }).render(style))
        }
        return lines.joined(separator: "\n")
    }

    /// `030 1234567, mobile 0171 2345678`: the display forms, with the type unless it is `phone`.
    static func numbers(_ value: JSONValue?) -> String {
        let items = value?.arrayValue ?? []
        if items.isEmpty { return "-" }
        return items.map { number in
            let display = cellText(number["display"] ?? number["number"])
            let type = number["type"]?.stringValue ?? "phone"
            return type == "phone" ? display : "\(type) \(display)"
        }.joined(separator: ", ")
    }

    static func list(_ value: JSONValue?) -> String {
        let items = value?.arrayValue ?? []
        return items.isEmpty ? "-" : items.map(cellText).joined(separator: ", ")
    }

    /// `status`: the server, the session, and each interface with its last run.
    public static func status(_ status: JSONValue, style: Style) -> String {
        let session = status["session"]
        var text = renderFields([
            ("server", "switchboard \(cellText(status["version"]?["version"])) (protocol \(cellText(status["version"]?["protocol"]))) at \(cellText(status["address"]))"),
            ("session", "\(cellText(session?["role"])) key \(cellText(session?["keyId"]))"),
            ("account", "\(cellText(status["account"]?["name"])) (\(cellText(session?["accountId"])))"),
        ])
        guard let interfaces = status["interfaces"]?.arrayValue else { return text }
        text += "\n\ninterfaces:\n"
        if interfaces.isEmpty { return text + "  none (interface order SYSTEM)" }
        text += TextTable(headers: ["ID", "NAME", "STATE", "HEALTH", "LAST RUN", "RESULT"], rows: interfaces.map { item in
            let run = item["lastRun"]
            let result: TextTable.Cell = if let run, run != .null {
                .state(cellText(run["state"]))
            } else {
                "never ran"
            }
            return [TextTable.Cell(cellText(item["id"])), TextTable.Cell(cellText(item["name"])), .state(cellText(item["state"])),
                    .state(cellText(item["health"])), TextTable.Cell(cellText(run?["startedAt"])), result]
        }).render(style)
        let reasons = interfaces.compactMap { item in item["healthReason"]?.stringValue.map { "  \(cellText(item["id"])): \($0)" } }
        if !reasons.isEmpty { text += "\n\n" + reasons.joined(separator: "\n") }
        return text
    }
}
