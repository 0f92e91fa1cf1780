import Foundation
import JSONRPC

/// Users, keys, accounts, the phonebook, `call`, `status`, `help`, `quit`.
extension Shell {
    func listUsers(_ invocation: Invocation) async throws {
        let items = try await allItems("users.list")
        emitList(items) { Render.users(items, style: style) }
    }

    func addUser(_ invocation: Invocation) async throws {
        var params: JSONObject = ["name": .string(invocation.arguments[0]), "email": .string(invocation.arguments[1])]
        var numbers: [JSONValue] = []
        for word in invocation.arguments.dropFirst(2) {
            if let (key, value) = Self.option(word) {
                guard ["extension", "region"].contains(key) else { throw UsageError("user add: unknown field \(key)= (known: extension, region)") }
                params.append(key, .string(value))
            } else {
                numbers.append(.string(word))
            }
        }
        if !numbers.isEmpty { params.append("numbers", .array(numbers)) }
        let user = try await call("users.create", params)
        emit(user) { "added user \(cellText(user["id"]))\n" + Render.users([user], style: style) }
    }

    func listKeys(_ invocation: Invocation) async throws {
        let items = try await allItems("apiKeys.list", invocation.arguments.isEmpty ? [:] : ["operatorKeys": true])
        emitList(items) { Render.keys(items, style: style) }
    }

    func createKey(_ invocation: Invocation) async throws {
        let role = invocation.arguments[0]
        var params: JSONObject = ["role": .string(role)]
        var label: [String] = []
        for word in invocation.arguments.dropFirst() {
            if let (key, value) = Self.option(word), key == "user" {
                params.append("userId", .string(value))
            } else {
                label.append(word)
            }
        }
        params.append("label", .string(label.isEmpty ? "\(role) key" : label.joined(separator: " ")))
        let key = try await call("apiKeys.create", params)
        emit(key) {
            renderFields([("id", cellText(key["id"])), ("role", cellText(key["role"])), ("label", cellText(key["label"])),
                          ("user", cellText(key["userId"])), ("token", style.paint(cellText(key["token"]), .bold))])
                + "\nThe token is shown only this once: keep it somewhere safe."
        }
    }

    func revokeKey(_ invocation: Invocation) async throws {
        let key = try await call("apiKeys.revoke", ["id": .string(invocation.arguments[0])])
        emit(key) { "revoked \(cellText(key["id"])) (\(cellText(key["role"])), \(cellText(key["label"])))" }
    }

    func listAccounts(_ invocation: Invocation) async throws {
        let items = try await allItems("accounts.list")
        let current = connection?.principal["accountId"]?.stringValue
        emitList(items) { Render.accounts(items, current: current, style: style) }
    }

    /// `use ACCOUNT`: an id (`acc_…`) or an account's exact name.
    func useAccount(_ invocation: Invocation) async throws {
        var target = invocation.arguments[0]
        if !target.hasPrefix("acc_") {
            let accounts = try await allItems("accounts.list")
            let named = accounts.filter { $0["name"]?.stringValue?.lowercased() == target.lowercased() }
            guard named.count == 1, let id = named[0]["id"]?.stringValue else {
                throw ShellFailure(named.isEmpty ? "no account is named \(Tokenizer.quoted(target)) (accounts lists them)"
                                                 : "\(named.count) accounts are named \(Tokenizer.quoted(target)): use the id")
            }
            target = id
        }
        let principal = try await switchAccount(to: target)
        emit(principal) { "now in account \(connection?.accountName ?? target) (\(cellText(principal["accountId"])))" }
    }

    func searchPhonebook(_ invocation: Invocation) async throws {
        let result = try await call("phonebook.search", ["q": .string(invocation.arguments.joined(separator: " "))])
        let items = result["items"]?.arrayValue ?? []
        emit(result) { Render.entries(items, style: style) + emptyNote(items) }
    }

    func lookup(_ invocation: Invocation) async throws {
        let result = try await call("phonebook.lookup", ["number": .string(invocation.arguments.joined(separator: " "))])
        emit(result) { Render.lookup(result, style: style) }
    }

    /// `entry add [NAME] [NUMBER…] [FIELD=VALUE…]` → `phonebook.create`.
    func addEntry(_ invocation: Invocation) async throws {
        var params = JSONObject()
        var numbers: [JSONValue] = []
        for (index, word) in invocation.arguments.enumerated() {
            if let (key, value) = Self.option(word) {
                guard let field = (entryTextFields + numberTypes).first(where: { $0.lowercased() == key.lowercased() }) else {
                    throw UsageError("entry add: unknown field \(key)= (known: \((entryTextFields + numberTypes).joined(separator: ", ")))")
                }
                if numberTypes.contains(field) {
                    numbers.append(.object(["type": .string(field), "number": .string(value)]))
                } else {
                    params.append(field, .string(value))
                }
            } else if index == 0 && !Self.looksLikeNumber(word) {
                params.append("name", .string(word))
            } else {
                numbers.append(.object(["number": .string(word)]))
            }
        }
        if !numbers.isEmpty { params.append("numbers", .array(numbers)) }
        let entry = try await call("phonebook.create", params)
        emit(entry) { "added \(cellText(entry["id"]))\n" + Render.entry(entry, style: style) }
    }

    func copyEntry(_ invocation: Invocation) async throws {
        let entry = try await call("phonebook.copy", ["id": .string(invocation.arguments[0])])
        emit(entry) { "copied to \(cellText(entry["id"])) (manual, editable)\n" + Render.entry(entry, style: style) }
    }

    /// `key=value` (the key a plain word), else nil.
    static func option(_ word: String) -> (String, String)? {
        guard let equals = word.firstIndex(of: "="), equals != word.startIndex,
              word[..<equals].allSatisfy({ $0.isLetter && $0.isASCII })
        else { return nil }
        return (String(word[..<equals]), String(word[word.index(after: equals)...]))
    }

    static func looksLikeNumber(_ word: String) -> Bool {
        word.filter(\.isNumber).count >= 2 && word.allSatisfy { $0.isNumber || " +-()./".contains($0) }
    }

    // MARK: call, status, help, quit

    func callMethod(_ invocation: Invocation) async throws {
        var params = JSONObject()
        if let raw = invocation.rawTail, !raw.isEmpty {
            let parsed: JSONValue
            do { parsed = try JSONParser.parse(raw) } catch { throw UsageError("call: the params are not valid JSON: \(error)") }
            guard let object = parsed.objectValue else { throw UsageError("call: the params must be a JSON object, not \(parsed.typeName)") }
            params = object
        }
        let result = try await call(invocation.arguments[0], params)
        emit(result) { JSONWriter.pretty(result) }
    }

    func status(_ invocation: Invocation) async throws {
        let version = try await call("system.version")
        let session = try await call("auth.whoami")
        let account = try await call("accounts.get")
        var status: JSONObject = ["address": .string(server.address), "version": version, "session": session, "account": account]
        if ["operator", "admin"].contains(session["role"]?.stringValue ?? "") {
            var interfaces: [JSONValue] = []
            for var interface in try await allItems("interfaces.list") {
                let runs = try await call("syncs.list", ["interfaceId": interface["id"] ?? .null, "limit": 1])
                if case .object(var object) = interface {
                    object["lastRun"] = runs["items"]?[0] ?? .null
                    interface = .object(object)
                }
                interfaces.append(interface)
            }
            status["interfaces"] = .array(interfaces)
        }
        emit(.object(status)) { Render.status(.object(status), style: style) }
    }

    func help(_ invocation: Invocation) async throws {
        let words = invocation.arguments
        if words.isEmpty {
            say(Self.helpOverview(table, style: style))
        } else if let command = table.lookup(words), command.words.count == words.count {
            say(command.help)
        } else {
            let matching = table.commands(startingWith: words)
            guard !matching.isEmpty else { throw UsageError("help: no command \(words.joined(separator: " ")) (help lists them)") }
            say(matching.map { "\($0.usage)\n    \($0.summary)" }.joined(separator: "\n"))
        }
    }

    /// Every command, by group: usage and summary.
    static func helpOverview(_ table: CommandTable, style: Style) -> String {
        var lines: [String] = []
        var group = ""
        for command in table.commands {
            if command.group != group {
                group = command.group
                lines.append((lines.isEmpty ? "" : "\n") + style.paint(group, .bold))
            }
            let usage = "  " + command.usage
            lines.append(usage.count <= 42 ? usage.padding(toLength: 44, withPad: " ", startingAt: 0) + command.summary
                                           : usage + "\n" + String(repeating: " ", count: 44) + command.summary)
        }
        lines.append("\nhelp COMMAND shows its usage and examples. Tab completes commands, ids and method names.")
        return lines.joined(separator: "\n")
    }

    func quit(_ invocation: Invocation) { quitting = true }
}
