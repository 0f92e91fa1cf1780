import JSONRPC
import SwitchboardClient
import SwitchboardTestSupport

/// An account with one key per role, made through the protocol as an operator would.
struct AccountFixture {
    var accountId: String
    var userId: String
    var tokens: [String: String]  // role → token

    static func make(on server: TestServer, name: String = "Acme", operatorClient: SwitchboardClient? = nil) async throws -> AccountFixture {
        let op: SwitchboardClient
        if let operatorClient { op = operatorClient } else { op = try await server.client() }
        let account = try await op.call("accounts.create", ["name": .string(name), "region": "FI"])
        let accountId = try requireString(account["id"])
        let opInAccount = try await server.client(account: accountId)
        let user = try await opInAccount.call("users.create", ["name": "Ann", "email": .string("ann@\(name.lowercased()).example")])
        let userId = try requireString(user["id"])
        var tokens: [String: String] = [:]
        for (role, extra) in [("admin", JSONObject()), ("pbx", JSONObject()), ("user", ["userId": .string(userId)] as JSONObject)] {
            var params: JSONObject = ["role": .string(role), "label": .string("\(role) key")]
            for (k, v) in extra { params.append(k, v) }
            let key = try await opInAccount.call("apiKeys.create", params)
            tokens[role] = try requireString(key["token"])
        }
        tokens["operator"] = try server.operatorToken
        opInAccount.close()
        return AccountFixture(accountId: accountId, userId: userId, tokens: tokens)
    }

    func client(_ role: String, on server: TestServer) async throws -> SwitchboardClient {
        try await server.client(token: tokens[role]!, account: role == "operator" ? accountId : nil)
    }
}

func requireString(_ value: JSONValue?) throws -> String {
    guard case .string(let s)? = value else { throw TestSupportError("expected a string, got \(String(describing: value))") }
    return s
}


/// The error code a call fails with, or nil when it succeeds.
func errorCode(_ body: () async throws -> JSONValue) async -> Int? {
    do {
        _ = try await body()
        return nil
    } catch let error as RPCError {
        return error.code.rawValue
    } catch {
        return -1
    }
}

// MARK: interfaces and syncs

/// Polls `syncs.get` until the run has ended.
func finished(_ client: SwitchboardClient, _ runId: JSONValue?) async throws -> JSONValue {
    let id = try requireString(runId)
    for _ in 0..<600 {
        let run = try await client.call("syncs.get", ["runId": .string(id)])
        if run["state"] == "succeeded" || run["state"] == "failed" { return run }
        try await Task.sleep(for: .milliseconds(25))
    }
    throw TestSupportError("run \(id) did not finish")
}

func sync(_ client: SwitchboardClient, _ interfaceId: JSONValue?, mode: String = "incremental") async throws -> JSONValue {
    let started = try await client.call("interfaces.sync", ["id": interfaceId!, "mode": .string(mode)])
    return try await finished(client, started["runId"])
}

func csvInterface(_ client: SwitchboardClient, settings: JSONObject) async throws -> JSONValue {
    let interface = try await client.call("interfaces.order", ["system": "csv", "name": "Intranet phonebook"])
    return try await client.call("interfaces.configure", ["id": interface["id"]!, "settings": .object(settings)])
}
