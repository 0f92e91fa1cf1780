import Foundation
import JSONRPC
import SwitchboardClient
import SwitchboardShell
import SwitchboardTestSupport
import Synchronization
import Testing

/// The shell as on a terminal (a scripted input that says it is interactive):
/// prompts, history, completion from the server, events, reconnecting.
@Suite struct ShellInteractiveTests {
    @Test func promptsHistoryAndContinuationLines() async throws {
        try await withTestServer { server in
            let input = ScriptedInput([
                .line("call users.create {"), .line("  \"name\": \"Ann\","), .line("  \"email\": \"ann@example.com\"}"),
                .interrupt,  // Ctrl-C at the prompt: nothing runs, the shell goes on
                .line("interface set ifc_x password hunter2"),
                .line("status"), .line("quit"), .line("status"),
            ], interactive: true)
            let run = try ShellRun(server, input)
            #expect(await run.run() == 0)
            let client = try await server.client()
            let users = try await client.call("users.list")["items"]?.arrayValue ?? []
            #expect(users.compactMap { $0["email"]?.stringValue } == ["ann@example.com"])
            let account = try await client.call("accounts.get")
            // The prompt names the account; lines after an open { get the continuation prompt.
            #expect(input.prompts.first == "switchboard \(try requireString(account["name"]))> ")
            #expect(input.prompts.filter { $0 == "...> " }.count == 2)
            // History: the multi-line command as one line, and nothing that holds a secret.
            #expect(input.history == ["call users.create {   \"name\": \"Ann\",   \"email\": \"ann@example.com\"}", "status", "quit"])
            // quit stops reading: the last status never ran.
            #expect(run.output.stdout.components(separatedBy: "session:").count == 2)
            #expect(run.output.stdout.hasPrefix("Connected to 127.0.0.1:\(server.port) as operator"))
        }
    }

    @Test func completionAsksTheServer() async throws {
        try await withTestServer { server in
            let client = try await server.client()
            let interface = try await client.call("interfaces.order", ["system": "csv"])
            let id = try requireString(interface["id"])
            let results = Mutex<[String: [String]]>([:])
            let input = ScriptedInput([
                .check { input in
                    let complete = input.completer!
                    results.withLock { r in
                        r["ids"] = complete("interface show ", 15)
                        r["methods"] = complete("call interfaces.s", 17)
                        r["systems"] = complete("interface order ", 16)
                        r["fields"] = complete("interface set \(id) deli", 14 + id.count + 5)
                        r["commands"] = complete("interface sy", 12)
                    }
                },
                .line("quit"),
            ], interactive: true)
            let run = try ShellRun(server, input)
            #expect(await run.run() == 0)
            let got = results.withLock { $0 }
            #expect(got["ids"] == [id])
            #expect(got["methods"] == ["interfaces.setCredentials", "interfaces.sync"])
            let systems = try await client.call("interfaces.catalog")["systems"]?.arrayValue?.compactMap { $0["system"]?.stringValue } ?? []
            #expect(got["systems"] == systems.sorted())
            #expect(got["fields"] == ["delimiter"])
            #expect(got["commands"] == ["sync"])
            #expect(input.completer == nil)  // released when the shell ends
        }
    }

    @Test func eventsArePrintedAboveThePrompt() async throws {
        try await withTestServer { server in
            let other = try await server.client()
            let input = ScriptedInput([
                .run { _ = try await other.call("users.create", ["name": "Carl", "email": "carl@example.com"]) },
                .waitForEvent("user created"),
                .line("quit"),
            ], interactive: true)
            let run = try ShellRun(server, input)
            #expect(await run.run() == 0)
            let user = try await other.call("users.list")["items"]?[0]
            #expect(input.above.contains("user created: Carl <carl@example.com> (\(try requireString(user?["id"])))"))
        }
    }

    @Test func aFinishedSyncOfSomeoneElseIsAnnounced() async throws {
        try await withCSVServer { server, csv in
            try csv.write("book.csv", "name,phone\nAnn,030 1234567\n")
            let other = try await server.client()
            let interface = try await other.call("interfaces.order", ["system": "csv"])
            _ = try await other.call("interfaces.configure", ["id": interface["id"]!, "settings": ["path": "book.csv"]])
            let input = ScriptedInput([
                .run { _ = try await other.call("interfaces.sync", ["id": interface["id"]!]) },
                .waitForEvent("succeeded"),
                .line("quit"),
            ], interactive: true)
            let run = try ShellRun(server, input)
            #expect(await run.run() == 0)
            let runId = try requireString(try await other.call("syncs.list", ["interfaceId": interface["id"]!])["items"]?[0]?["runId"])
            let announcement = "sync \(runId) of \(try requireString(interface["id"])) (manual) succeeded: seen 1"
            #expect(input.above.contains { $0.hasPrefix(announcement) })
        }
    }

    @Test func reconnectsAndLogsInAgainAfterTheServerRestarts() async throws {
        let directory = TestServer.makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let first = try await TestServer.start(dataDirectory: directory)
        let port = Mutex(first.port)
        let restarted = Mutex<TestServer?>(nil)
        let input = ScriptedInput([
            .line("call system.ping"),
            .run { try await first.stop() },
            .waitForEvent("was lost"),
            .line("call system.ping"),  // nobody listens: cannot reach
            .run {
                let second = try await TestServer.start(dataDirectory: directory)  // same data: the same token works
                port.withLock { $0 = second.port }
                restarted.withLock { $0 = second }
            },
            .line("call auth.whoami"),
            .line("quit"),
        ], interactive: true)
        let output = CapturedOutput()
        let shell = Shell(
            server: ShellServer(address: "the test server", token: try first.operatorToken) {
                try await SwitchboardClient.connect(host: "127.0.0.1", port: port.withLock { $0 })
            },
            input: input, output: output.sink, options: ShellOptions(), interrupts: ManualInterrupts())
        let status = await shell.run()
        try await restarted.withLock { $0 }?.stop()
        #expect(status == 0)  // interactive: failures do not end the session
        #expect(input.above.contains { $0.contains("the connection to the server at the test server was lost; the next command reconnects") })
        #expect(output.stderr.contains("cannot reach the server at the test server: Connection refused"))
        #expect(output.stderr.contains("reconnected to the test server"))
        #expect(output.stdout.contains("\"role\": \"operator\""))  // whoami after the reconnect, logged in again
    }

    @Test func ctrlCDuringASyncReturnsToThePrompt() async throws {
        try await withCSVServer { server, csv in
            var text = "id,name,phone\n"
            for i in 0..<20_000 { text += "\(i),Person \(i),+49 30 \(1_000_000 + i)\n" }
            try csv.write("big.csv", text)
            let client = try await server.client()
            let interface = try await client.call("interfaces.order", ["system": "csv"])
            let id = try requireString(interface["id"])
            _ = try await client.call("interfaces.configure", ["id": .string(id), "settings": ["path": "big.csv"]])
            let interrupts = ManualInterrupts()
            let presser = pressCtrlCWhileSyncing(interrupts, server, interfaceId: id)
            let input = ScriptedInput([.line("interface sync \(id)"), .line("call system.ping"), .line("quit")], interactive: true)
            let run = try ShellRun(server, input, interrupts: interrupts)
            #expect(await run.run() == 0)
            try await presser.value
            #expect(run.output.stdout.contains("detached from run"))
            #expect(run.output.stdout.contains("pong"))  // the next command ran
        }
    }

    @Test func ctrlCStopsWaitingForASlowAnswer() async throws {
        let silent = try SilentPort()
        try await withTestServer(configure: { $0.sync.remoteTimeoutSeconds = 2 }) { server in
            let client = try await server.client()
            let interface = try await client.call("interfaces.order", ["system": "csv"])
            let id = try requireString(interface["id"])
            _ = try await client.call("interfaces.configure", ["id": .string(id), "settings": ["url": .string("http://127.0.0.1:\(silent.port)/book.csv")]])
            let interrupts = ManualInterrupts()
            let input = ScriptedInput([
                .line("interface test \(id)"),  // hangs until the remote timeout
                .line("call system.ping"),
                .run { try await Task.sleep(for: .seconds(3)) },  // the abandoned test answers meanwhile
                .line("quit"),
            ], interactive: true)
            let presser = Task {
                while !interrupts.isInstalled { try await Task.sleep(for: .milliseconds(5)) }
                try await Task.sleep(for: .milliseconds(200))
                interrupts.fire()
            }
            let run = try ShellRun(server, input, interrupts: interrupts)
            #expect(await run.run() == 0)
            try await presser.value
            #expect(run.output.stderr.contains("interrupted: no longer waiting for the answer"))
            #expect(run.output.stdout.contains("pong"))
            // The answer that came after Ctrl-C is not printed.
            #expect(!run.output.stdout.contains("problem"))
            #expect(!run.output.stdout.contains("ok:"))
        }
    }

    @Test func useSwitchesTheAccount() async throws {
        try await withTestServer { server in
            let op = try await server.client()
            let acme = try await op.call("accounts.create", ["name": "Acme Oy", "region": "FI"])
            let inAcme = try await server.client(account: try requireString(acme["id"]))
            _ = try await inAcme.call("users.create", ["name": "Aino", "email": "aino@acme.example"])
            let input = ScriptedInput([.line("use \"Acme Oy\""), .line("users"), .line("accounts"), .line("quit")], interactive: true)
            let run = try ShellRun(server, input)
            #expect(await run.run() == 0)
            #expect(run.output.stdout.contains("now in account Acme Oy (\(try requireString(acme["id"])))"))
            #expect(run.output.stdout.contains("aino@acme.example"))
            #expect(input.prompts.last == "switchboard Acme Oy> ")
            let marked = run.output.stdoutLines.first { $0.hasPrefix("*") }
            #expect(marked?.contains(try requireString(acme["id"])) == true)
        }
    }
}
