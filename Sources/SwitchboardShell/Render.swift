import Foundation
import JSONRPC

/// Text for results, errors and events: pure functions of the JSON the server sent.
public enum Render {
    /// `error CODE: message`, then the error's data members (e.g. the remote system's own message), one per line.
    public static func error(_ error: RPCError, style: Style) -> String {
        var lines = [style.paint("error \(error.code.rawValue)", .red) + ": " + error.message]
        switch error.data {
        case .object(let object)?:
            lines.append(renderFields(object.members.map { ($0.key, dataText($0.value)) }, indent: "  "))
        case let data? where !data.isNull:
            lines.append("  data: " + dataText(data))
        default:
            break
        }
        return lines.joined(separator: "\n")
    }

    private static func dataText(_ value: JSONValue) -> String {
        if case .string(let s) = value { return s }
        return JSONWriter.string(value)
    }

    /// A server event as one line above the prompt; nil for events not worth interrupting for (a run's progress).
    public static func event(_ method: String, _ params: JSONValue, style: Style) -> String? {
        switch method {
        case "sync.progress":
            let state = cellText(params["state"])
            let run = "sync \(cellText(params["runId"])) of \(cellText(params["interfaceId"])) (\(cellText(params["trigger"])))"
            switch state {
            case "succeeded": return "\(run) \(style.state(state)): \(counts(params["counts"]))"
            case "failed": return "\(run) \(style.state(state)): \(cellText(params["failure"]))"
            default: return nil
            }
        case "users.changed":
            let action = cellText(params["action"])
            let user = params["user"]
            if action == "deleted" { return "user deleted: \(cellText(user?["id"]))" }
            return "user \(action): \(cellText(user?["name"])) <\(cellText(user?["email"]))> (\(cellText(user?["id"])))"
        default:
            return "event \(method): \(JSONWriter.string(params))"
        }
    }

    /// `seen 3, created 3, updated 0, unchanged 0, deleted 0, rejected 2`.
    public static func counts(_ counts: JSONValue?) -> String {
        ["seen", "created", "updated", "unchanged", "deleted", "rejected"].map { "\($0) \(counts?[$0]?.intValue ?? 0)" }
            .joined(separator: ", ")
    }

    // MARK: interfaces

    public static func interfaces(_ items: [JSONValue], style: Style) -> String {
        TextTable(headers: ["ID", "NAME", "SYSTEM", "STATE", "HEALTH", "LAST SYNC", "EVERY"], rows: items.map { item in
            [TextTable.Cell(cellText(item["id"])), TextTable.Cell(cellText(item["name"])), TextTable.Cell(cellText(item["system"])),
             .state(cellText(item["state"])), .state(cellText(item["health"])), TextTable.Cell(cellText(item["lastSyncAt"])),
             TextTable.Cell(minutes(item["syncIntervalMinutes"]))]
        }).render(style)
    }

    public static func interface(_ item: JSONValue, style: Style, history: Int = 10) -> String {
        var text = renderFields(interfaceFields(item, style: style))
        if let events = item["history"]?.arrayValue, !events.isEmpty, history > 0 {
            text += "\n\nhistory (newest first):\n" + TextTable(headers: ["AT", "BY", "ACTION", "DETAIL"], rows: events.prefix(history).map {
                [TextTable.Cell(cellText($0["at"])), TextTable.Cell(cellText($0["actor"])), TextTable.Cell(cellText($0["action"])), TextTable.Cell(cellText($0["detail"]))]
            }).render(style)
        }
        return text
    }

    /// The labelled lines of `interface show` (without the history).
    static func interfaceFields(_ item: JSONValue, style: Style) -> [(String, String)] {
        var fields: [(String, String)] = [
            ("id", cellText(item["id"])), ("name", cellText(item["name"])), ("description", cellText(item["description"])),
            ("system", cellText(item["system"])), ("state", style.state(cellText(item["state"]))),
            ("health", style.state(cellText(item["health"])) + (item["healthReason"]?.stringValue.map { " — " + $0 } ?? "")),
            ("sync every", minutes(item["syncIntervalMinutes"])), ("last sync", cellText(item["lastSyncAt"])),
        ]
        let settings = item["settings"]?.objectValue?.members ?? []
        fields.append(("settings", settings.isEmpty ? "-" : settings.map { "\($0.key)=\(cellText($0.value))" }.joined(separator: " ")))
        let flows = item["dataFlow"]?.objectValue?.members.filter { $0.value == true }.map(\.key) ?? []
        fields.append(("data flow", flows.isEmpty ? "-" : flows.joined(separator: ", ")))
        let credentials = item["credentials"]?.objectValue?.members ?? []
        fields.append(("credentials", credentials.isEmpty ? "-" : credentials.map { "\($0.key) (set \(cellText($0.value)))" }.joined(separator: ", ")))
        for (key, label) in [("orderedAt", "ordered"), ("provisionAt", "provision at"), ("activatedAt", "activated"),
                             ("cancelledAt", "cancelled"), ("dataUntil", "data until"), ("dataRemovedAt", "data removed")]
        where item[key] != nil && item[key] != .null {
            fields.append((label, cellText(item[key])))
        }
        return fields
    }

    public static func catalog(_ catalog: JSONValue, style: Style) -> String {
        (catalog["systems"]?.arrayValue ?? []).map { system in
            var text = "\(style.paint(cellText(system["system"]), .bold))  \(cellText(system["label"])) — \(cellText(system["summary"]))\n"
            text += renderFields([
                ("capabilities", (system["capabilities"]?.arrayValue ?? []).map(cellText).joined(separator: ", ")),
                ("rule", cellText(system["settingsRule"])),
            ], indent: "  ") + "\n"
            let rows: [[TextTable.Cell]] = (system["fields"]?.arrayValue ?? []).map { field in
                let choices = field["choices"]?.arrayValue?.map(cellText).joined(separator: " ")
                return [TextTable.Cell(cellText(field["name"])), TextTable.Cell(cellText(field["kind"])),
                        TextTable.Cell(field["required"] == true ? "yes" : "no"), TextTable.Cell(choices ?? cellText(field["example"])),
                        TextTable.Cell(cellText(field["help"]))]
            }
            let table = TextTable(headers: ["FIELD", "KIND", "REQUIRED", "CHOICES/EXAMPLE", "HELP"], rows: rows).render(style)
            return text + table.split(separator: "\n", omittingEmptySubsequences: false).map { "  " + $0 }.joined(separator: "\n")
        }.joined(separator: "\n\n")
    }

    public static func testReport(_ report: JSONValue, style: Style) -> String {
        if report["ok"] == true { return style.paint("ok", .green) + ": " + cellText(report["message"]) }
        return style.paint("problem \(cellText(report["problem"]))", .red) + ": " + cellText(report["message"])
    }

    // MARK: runs

    public static func runs(_ items: [JSONValue], style: Style) -> String {
        TextTable(headers: ["RUN", "MODE", "TRIGGER", "STATE", "STARTED", "TOOK", "SEEN", "CREATED", "UPDATED", "UNCHANGED", "DELETED", "REJECTED"], rows: items.map { run in
            var row: [TextTable.Cell] = [TextTable.Cell(cellText(run["runId"])), TextTable.Cell(cellText(run["mode"])), TextTable.Cell(cellText(run["trigger"])),
                                         .state(cellText(run["state"])), TextTable.Cell(cellText(run["startedAt"])), TextTable.Cell(took(run))]
            for key in ["seen", "created", "updated", "unchanged", "deleted", "rejected"] { row.append(TextTable.Cell(cellText(run["counts"]?[key]))) }
            return row
        }).render(style)
    }

    public static func run(_ run: JSONValue, style: Style) -> String {
        var fields: [(String, String)] = [
            ("run", cellText(run["runId"])), ("interface", cellText(run["interfaceId"])),
            ("mode", "\(cellText(run["mode"])) (\(cellText(run["trigger"])))"), ("state", style.state(cellText(run["state"]))),
            ("started", cellText(run["startedAt"])), ("finished", cellText(run["finishedAt"])), ("took", took(run)),
            ("counts", counts(run["counts"])),
        ]
        if run["sourceUnchanged"] == true { fields.append(("source", "unchanged since the last complete run: nothing read")) }
        if let failure = run["failure"]?.stringValue { fields.append(("failure", style.paint(failure, .red))) }
        return ([renderFields(fields)] + rowProblems(run, limit: 100)).joined(separator: "\n")
    }

    /// `line 5: no phone number` for the run's rejected rows (at most `limit`), then its warnings.
    public static func rowProblems(_ run: JSONValue, limit: Int) -> [String] {
        let errors = run["errors"]?.arrayValue ?? []
        var lines = errors.prefix(limit).map { "  line \(cellText($0["line"])): \(cellText($0["reason"]))" }
        if !errors.isEmpty { lines.insert("rejected rows:", at: 0) }
        let rejected = Int(run["counts"]?["rejected"]?.intValue ?? 0)
        if rejected > min(limit, errors.count) {
            lines.append("  … \(rejected - min(limit, errors.count)) more (sync show \(cellText(run["runId"])) lists the first 100)")
        }
        lines += (run["warnings"]?.arrayValue ?? []).map { "warning: \(cellText($0))" }
        return lines
    }

    static func took(_ run: JSONValue) -> String {
        guard let start = date(run["startedAt"]), let end = date(run["finishedAt"]) else { return "-" }
        return duration(end.timeIntervalSince(start))
    }

    static func date(_ value: JSONValue?) -> Date? {
        value?.stringValue.flatMap { ISO8601DateFormatter().date(from: $0) }
    }

    /// `4s`, `2m 03s`, `1h 05m`.
    public static func duration(_ seconds: Double) -> String {
        let s = Int(seconds.rounded())
        if s < 60 { return "\(s)s" }
        if s < 3600 { return "\(s / 60)m \(String(format: "%02d", s % 60))s" }
        return "\(s / 3600)h \(String(format: "%02d", s % 3600 / 60))m"
    }

    static func minutes(_ value: JSONValue?) -> String {
        guard let m = value?.intValue else { return "-" }
        if m % 1440 == 0 { return "\(m / 1440)d" }
        if m % 60 == 0 { return "\(m / 60)h" }
        return "\(m)min"
    }
}
