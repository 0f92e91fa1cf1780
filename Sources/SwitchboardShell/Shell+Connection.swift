import Foundation
import JSONRPC
import SwitchboardClient

extension Shell {
    struct Connection {
        var client: SwitchboardClient
        var principal: JSONValue
        var accountName: String?
        var topics: [String]
        var pump: Task<Void, Never>
    }

    var lostMessage: String {
        "the connection to the server at \(server.address) was lost" + (interactive ? "; the next command reconnects" : "")
    }

    /// The logged-in client: connects (again) when needed. A script does not reconnect after a drop.
    func client() async throws -> SwitchboardClient {
        if let connection {
            if !connection.client.isClosed { return connection.client }
            dropConnection()
            if !interactive { throw ShellFailure(lostMessage) }
        } else if everConnected && !interactive {
            throw ShellFailure(lostMessage)
        }
        return try await connect()
    }

    private func connect() async throws -> SwitchboardClient {
        let client: SwitchboardClient
        do {
            client = try await server.connect()
        } catch {
            throw ShellFailure("cannot reach the server at \(server.address): \(describeConnectionError(error))")
        }
        let principal: JSONValue
        do {
            principal = try await client.login(token: server.token, account: account)
        } catch {
            client.close()
            if error is RPCError { throw error }
            throw ShellFailure("cannot reach the server at \(server.address): \(describeConnectionError(error))")
        }
        let reconnected = everConnected
        everConnected = true
        let pump = Task {  // runs on this actor: events are handled between a command's awaits
            for await event in client.notifications { self.handle(event) }
            self.pumpEnded(client)
        }
        connection = Connection(client: client, principal: principal, accountName: nil, topics: [], pump: pump)
        await afterLogin(client)
        if reconnected { writeError("reconnected to \(server.address)") }
        return client
    }

    /// After a login (first, again, or into another account): the account's name for the prompt, events.
    func afterLogin(_ client: SwitchboardClient) async {
        connection?.accountName = (try? await client.call("accounts.get"))?["name"]?.stringValue
        guard interactive else { return }
        await fetch(.catalog)  // its credential names keep secrets out of the history from the first line on
        // pbx and user sessions may not follow sync.progress (-32003): then users.changed alone.
        for topics in [["sync.progress", "users.changed"], ["users.changed"]] {
            if let answer = try? await client.call("events.subscribe", ["topics": .array(topics.map(JSONValue.string))]) {
                connection?.topics = answer["topics"]?.arrayValue?.compactMap(\.stringValue) ?? topics
                return
            }
        }
    }

    /// Makes sure this connection receives `topic`'s events.
    func ensureSubscribed(_ topic: String) async throws {
        _ = try await client()
        if connection?.topics.contains(topic) == true { return }
        let answer = try await call("events.subscribe", ["topics": [.string(topic)]])
        connection?.topics = answer["topics"]?.arrayValue?.compactMap(\.stringValue) ?? [topic]
    }

    /// Calls a method; a connection that breaks on the way becomes a `ShellFailure` saying so.
    func call(_ method: String, _ params: JSONObject = JSONObject()) async throws -> JSONValue {
        let client = try await client()
        do {
            return try await client.call(method, params)
        } catch let error as RPCError {
            throw error
        } catch {
            if connection?.client === client { dropConnection() }
            throw ShellFailure(lostMessage)
        }
    }

    func dropConnection() {
        connection?.pump.cancel()
        connection?.client.close()
        connection = nil
    }

    private func pumpEnded(_ client: SwitchboardClient) {
        guard !quitting, connection?.client === client else { return }
        dropConnection()
        // Between commands, say so at once; during one, the command reports it.
        if interactive && !busy { input.printAbove(style.paint(lostMessage, .yellow)) }
    }

    /// Logs the connection in again, into `account` (operators: `use ACCOUNT`).
    func switchAccount(to newAccount: String) async throws -> JSONValue {
        let client = try await client()
        let principal: JSONValue
        do {
            principal = try await client.login(token: server.token, account: newAccount)
        } catch let error as RPCError {
            throw error
        } catch {
            dropConnection()
            throw ShellFailure(lostMessage)
        }
        account = newAccount
        connection?.principal = principal
        connection?.topics = []  // a login into another account drops the subscriptions
        await afterLogin(client)
        completionCache.clear()
        return principal
    }

    // MARK: events

    private func handle(_ event: SwitchboardClient.Notification) {
        if event.method == "sync.progress", let interfaceId = event.params["interfaceId"]?.stringValue,
           let watcher = syncWatchers[interfaceId]
        {
            watcher.yield(.progress(event.params))
            return
        }
        if event.method == "sync.progress", let runId = event.params["runId"]?.stringValue, followedRuns.contains(runId) { return }
        // A user change during a command is most likely the command's own: its output shows it.
        if event.method == "users.changed", busy { return }
        guard interactive, let text = Render.event(event.method, event.params, style: style) else { return }
        input.printAbove(text)
        if event.method == "sync.progress", event.params["state"] == "failed", let id = event.params["interfaceId"]?.stringValue {
            Task { await self.warnIfNeedsReauth(id) }
        }
    }

    /// After a failed run: tell the admin when the interface now needs new credentials.
    private func warnIfNeedsReauth(_ interfaceId: String) async {
        guard let interface = try? await call("interfaces.get", ["id": .string(interfaceId)]),
              interface["health"] == "needs_reauth"
        else { return }
        input.printAbove(style.paint("interface \(cellText(interface["name"])) (\(interfaceId)) needs new credentials: interface credentials \(interfaceId)", .yellow))
    }

    // MARK: completion data

    nonisolated func makeCompleter() -> @Sendable (String, Int) -> [String] {
        let table = table, cache = completionCache
        return { [weak self] line, cursor in
            if let part = Completer.neededPart(line: line, cursor: cursor, table: table), let shell = self {
                cache.refreshIfStale(part) { await shell.fetch(part) }
            }
            return Completer.candidates(line: line, cursor: cursor, table: table, data: cache.data)
        }
    }

    /// Fetches one part of the completion data from the server (only on a live connection).
    func fetch(_ part: CompletionData.Part) async {
        guard let client = connection?.client, !client.isClosed else { return }
        func ids(_ method: String, _ key: String = "id", _ params: JSONObject = ["limit": 1000]) async -> [String] {
            let answer = try? await client.call(method, params)
            return (answer?["items"]?.arrayValue ?? []).compactMap { $0[key]?.stringValue }
        }
        switch part {
        case .methods:
            let methods = (try? await client.call("rpc.discover"))?["methods"]?.arrayValue ?? []
            completionCache.store(part) { $0.methods = methods.compactMap { $0["name"]?.stringValue } }
        case .interfaces:
            let list = await ids("interfaces.list")
            completionCache.store(part) { $0.interfaceIds = list }
        case .runs:
            var runs: [String] = []
            for id in await ids("interfaces.list").prefix(50) {
                runs += await ids("syncs.list", "runId", ["interfaceId": .string(id), "limit": 20])
            }
            completionCache.store(part) { $0.runIds = runs }
        case .users:
            let list = await ids("users.list")
            completionCache.store(part) { $0.userIds = list }
        case .keys:
            let list = await ids("apiKeys.list")
            completionCache.store(part) { $0.keyIds = list }
        case .accounts:
            let list = await ids("accounts.list")
            completionCache.store(part) { $0.accountIds = list }
        case .catalog:
            let systems = (try? await client.call("interfaces.catalog"))?["systems"]?.arrayValue ?? []
            completionCache.store(part) { data in
                data.systems = systems.compactMap { $0["system"]?.stringValue }
                let fields = systems.flatMap { $0["fields"]?.arrayValue ?? [] }
                data.settingFields = unique(fields.filter { $0["kind"] == "setting" }.compactMap { $0["name"]?.stringValue })
                data.credentialFields = unique(fields.filter { $0["kind"] == "credential" }.compactMap { $0["name"]?.stringValue })
                for field in fields {
                    if let name = field["name"]?.stringValue, let choices = field["choices"]?.arrayValue {
                        data.settingChoices[name] = choices.compactMap(\.stringValue)
                    }
                }
            }
        }
    }
}

/// A connection error in a few words: "Connection refused" rather than NIO's whole structure.
func describeConnectionError(_ error: any Error) -> String {
    if error is SwitchboardClient.ConnectionClosed { return "the server closed the connection" }
    let text = String(describing: error)
    if let range = text.range(of: #"errno: \d+"#, options: .regularExpression), let code = Int32(text[range].dropFirst("errno: ".count)) {
        return String(cString: strerror(code))
    }
    return text
}
