import Foundation
import JSONRPC
import SwitchboardClient
import SwitchboardTestSupport
import Testing

/// A real `switchboard serve` killed with SIGKILL in the middle of a sync (issue 4).
@Suite struct SyncCrashTests {
    func rows(_ prefix: String, _ count: Int) -> String {
        var csv = "id,name,phone\n"
        for i in 0..<count { csv += "\(prefix)\(i),\(prefix.uppercased()) Person \(i),+4940\(prefix == "a" ? "1" : "2")\(String(format: "%06d", i))\n" }
        return csv
    }

    func connect(_ server: ServerProcess) async throws -> SwitchboardClient {
        let client = try await SwitchboardClient.connect(host: "127.0.0.1", port: server.port)
        let token = try String(contentsOfFile: server.dataDirectory + "/operator.token", encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines)
        _ = try await client.login(token: token)
        return client
    }

    func run(_ client: SwitchboardClient, _ id: String) async throws -> JSONValue {
        try await client.call("syncs.get", ["runId": .string(id)])
    }

    func finished(_ client: SwitchboardClient, _ id: String) async throws -> JSONValue {
        for _ in 0..<2_400 {
            let current = try await run(client, id)
            if current["state"] != "running" { return current }
            try await Task.sleep(for: .milliseconds(50))
        }
        throw TestSupportError("run \(id) did not finish")
    }

    @Test func killedMidSyncKeepsThePreviousDataAndTheNextRunSucceeds() async throws {
        let csvDirectory = TestServer.makeTemporaryDirectory()
        let dataDirectory = TestServer.makeTemporaryDirectory()
        defer {
            try? FileManager.default.removeItem(atPath: csvDirectory)
            try? FileManager.default.removeItem(atPath: dataDirectory)
        }
        try rows("a", 100).write(toFile: csvDirectory + "/book.csv", atomically: true, encoding: .utf8)
        let arguments = ["--csv-directory", csvDirectory, "--scheduler-interval-seconds", "3600"]

        let first = try ServerProcess(dataDirectory: dataDirectory, extraArguments: arguments)
        var client = try await connect(first)
        let interface = try await client.call("interfaces.order", ["system": "csv"])
        let id = try requireString(interface["id"])
        _ = try await client.call("interfaces.configure", ["id": .string(id), "settings": ["path": "book.csv"]])
        // A credential planted here must never reach a log line (the servers log at debug level).
        let planted = "Pl4nted-\(UUID().uuidString)"
        _ = try await client.call("interfaces.setCredentials", ["id": .string(id), "username": "u", "password": .string(planted)])
        let good = try await finished(client, try requireString(try await client.call("interfaces.sync", ["id": .string(id)])["runId"]))
        #expect(good["counts"]?["created"] == 100)

        // A much larger file; the server dies while importing it, after its first batch is written.
        try rows("b", 40_000).write(toFile: csvDirectory + "/book.csv", atomically: true, encoding: .utf8)
        let runId = try requireString(try await client.call("interfaces.sync", ["id": .string(id)])["runId"])
        for _ in 0..<2_000 {
            if try await client.call("phonebook.search", ["q": "b person"])["items"]?[0] != nil { break }
            try await Task.sleep(for: .milliseconds(5))
        }
        kill(first.process.processIdentifier, SIGKILL)
        first.process.waitUntilExit()
        client.close()

        let second = try ServerProcess(dataDirectory: dataDirectory, extraArguments: arguments)
        defer { _ = second.terminate() }
        client = try await connect(second)
        let interrupted = try await run(client, runId)
        #expect(interrupted["state"] == "failed")
        #expect(interrupted["failure"]?.stringValue?.contains("interrupted") == true)
        // Every entry of the last complete run is still there.
        for i in [0, 42, 99] {
            let found = try await client.call("phonebook.lookup", ["number": .string("+49401\(String(format: "%06d", i))")])
            #expect(found["entry"]?["name"] == .string("A Person \(i)"))
        }
        // What the killed run wrote stays, and caller ID finds it: its number keys, staged during
        // the run, are indexed at the next start.
        let written = try #require(try await client.call("phonebook.search", ["q": "b person", "limit": 20])["items"]?.arrayValue)
        #expect(!written.isEmpty)
        for entry in written {
            let number = try requireString(entry["numbers"]?[0]?["e164"])
            let found = try await client.call("phonebook.lookup", ["number": .string(number)])
            #expect(found["entry"]?["id"] == entry["id"])
        }
        #expect(second.logText.contains("marked an interrupted sync run failed"))
        #expect(!first.logText.contains(planted))
        #expect(!second.logText.contains(planted))
        #expect(first.logText.contains("interfaces.setCredentials") || first.logText.contains("connection opened"))

        let retry = try await finished(client, try requireString(try await client.call("interfaces.sync", ["id": .string(id)])["runId"]))
        #expect(retry["state"] == "succeeded")
        #expect(retry["counts"]?["deleted"] == 100)
        #expect((retry["counts"]?["created"]?.intValue ?? 0) + (retry["counts"]?["unchanged"]?.intValue ?? 0) == 40_000)
        let gone = try await client.call("phonebook.lookup", ["number": "+49401000000"])
        #expect(gone["entry"] == .null)
        // The complete run's new entries are found by caller ID once it has finished.
        let last = try await client.call("phonebook.lookup", ["number": "+49402039999"])
        #expect(last["entry"]?["name"] == "B Person 39999")
        client.close()
    }
}
