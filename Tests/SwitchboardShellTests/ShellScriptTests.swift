import Foundation
import JSONRPC
import SwitchboardClient
import SwitchboardShell
import SwitchboardTestSupport
import Testing

/// The shell in script mode against a real server: a scripted input, captured output, exit status.
@Suite struct ShellScriptTests {
    static let phonebook = """
        id,name,company,phone,mobile,email
        1001,Hans Müller,Müller & Söhne GmbH,030 1234567,0171 2345678,hans@mueller.example
        1002,Erika Mustermann,,+49 40 7654321,,erika@example.com
        1003,,Bäckerei Zorn,089 1234567,,
        1004,Max Mustermann,,,,max@example.com

        """

    /// Orders a CSV interface with `-c … --json` and returns its id, as a script would.
    func order(_ server: TestServer, name: String = "Intranet phonebook") async throws -> String {
        let run = try ShellRun(server, script: "", options: ShellOptions(json: true))
        #expect(await run.run(command: "interface order csv \(name)") == 0)
        let interface = try JSONParser.parse(run.output.stdout)
        #expect(interface["name"] == .string(name))
        return try requireString(interface["id"])
    }

    @Test func importACSVThenFindTheEntries() async throws {
        try await withCSVServer { server, csv in
            try csv.write("phonebook.csv", Self.phonebook)
            let id = try await order(server)
            let run = try ShellRun(server, script: """
                interface set \(id) path phonebook.csv
                interface sync \(id)
                syncs \(id)
                phonebook search Müller
                """)
            #expect(await run.run() == 0)
            #expect(run.output.stderr == "")

            // What the server says, through a client of its own.
            let client = try await server.client()
            let runs = try await client.call("syncs.list", ["interfaceId": .string(id)])["items"]?.arrayValue ?? []
            try #require(runs.count == 1)
            let runId = try requireString(runs[0]["runId"])
            let counts = runs[0]["counts"]
            #expect(runs[0]["state"] == "succeeded")
            #expect(counts?["created"] == 3)  // three rows of the file have a name and a number
            let out = run.output.stdout
            #expect(out.contains("run \(runId) succeeded: seen \(counts?["seen"]?.intValue ?? -1), created 3"))
            #expect(out.contains("line 5: no phone number"))  // Max Mustermann's row
            // `syncs` shows the run in its table, with its state.
            let row = run.output.stdoutLines.first { $0.hasPrefix(runId) }
            #expect(row?.contains("succeeded") == true)
            #expect(row?.contains("manual") == true)
            // `phonebook search` found the synced entry.
            let hansId = try requireString(try await client.call("phonebook.search", ["q": "Müller"])["items"]?[0]?["id"])
            let hansRow = run.output.stdoutLines.first { $0.contains(hansId) }
            #expect(hansRow?.hasPrefix("Hans Müller") == true)
            #expect(hansRow?.contains("030 1234567") == true)
        }
    }

    @Test func jsonGivesOneParsableResultPerCommand() async throws {
        try await withCSVServer { server, csv in
            try csv.write("phonebook.csv", Self.phonebook)
            let id = try await order(server)
            let commands = [
                "interface set \(id) path phonebook.csv", "interface sync \(id)", "interfaces", "status",
                "lookup +49 30 1234567", "phonebook search Erika", "call system.version",
            ]
            let run = try ShellRun(server, script: commands.joined(separator: "\n"), options: ShellOptions(json: true))
            #expect(await run.run() == 0)
            let lines = run.output.stdoutLines
            try #require(lines.count == commands.count)
            let results = try lines.map { try JSONParser.parse($0) }
            let client = try await server.client()
            #expect(results[1]["state"] == "succeeded")
            #expect(results[1]["runId"] == (try await client.call("syncs.list", ["interfaceId": .string(id)]))["items"]?[0]?["runId"])
            #expect(results[2]["items"]?[0]?["id"] == .string(id))
            #expect(results[3]["interfaces"]?[0]?["lastRun"]?["state"] == "succeeded")
            let hans = try await client.call("phonebook.search", ["q": "Hans"])["items"]?[0]
            #expect(results[4]["entry"]?["id"] == hans?["id"])
            #expect(results[5]["items"]?[0]?["name"] == "Erika Mustermann")
            #expect(results[6] == (try await client.call("system.version")))
        }
    }

    @Test func aFailingScriptStopsUnlessKeepGoing() async throws {
        try await withTestServer { server in
            let script = "call system.ping\ninterface show ifc_doesnotexist\ncall system.version"
            let stopping = try ShellRun(server, script: script)
            #expect(await stopping.run() == 1)
            #expect(stopping.output.stdout.contains("pong"))
            #expect(!stopping.output.stdout.contains("protocol"))  // system.version never ran
            #expect(stopping.output.stderr.hasPrefix("error -32004: "))
            #expect(stopping.output.stderr.contains("id: ifc_doesnotexist"))  // the error's data

            let going = try ShellRun(server, script: script, options: ShellOptions(keepGoing: true))
            #expect(await going.run() == 1)  // still a failure at the end
            #expect(going.output.stdout.contains("pong"))
            #expect(going.output.stdout.contains("protocol"))

            let fine = try ShellRun(server, script: "call system.ping\n# a comment\n\ncall system.version", options: ShellOptions(keepGoing: true))
            #expect(await fine.run() == 0)
        }
    }

    @Test func unknownCommandsAndBadUsageFail() async throws {
        try await withTestServer { server in
            let unknown = try ShellRun(server, script: "")
            #expect(await unknown.run(command: "frobnicate") == 1)
            #expect(unknown.output.stderr.contains("unknown command \"frobnicate\""))
            #expect(unknown.output.stdout == "")

            let usage = try ShellRun(server, script: "status\ninterface sync\nstatus")
            #expect(await usage.run() == 1)
            #expect(usage.output.stderr == "usage: interface sync ID [full|incremental]\n")
            #expect(usage.output.stdout.components(separatedBy: "session:").count == 2)  // one status, then the stop

            let json = try ShellRun(server, script: "call users.create {\"name\": ")
            #expect(await json.run() == 1)  // the input ended inside {
            #expect(json.output.stderr.contains("incomplete"))
        }
    }

    @Test func aFailedRunFailsTheCommand() async throws {
        try await withCSVServer { server, csv in
            let id = try await order(server)
            let run = try ShellRun(server, script: "interface set \(id) path missing.csv\ninterface sync \(id)")
            #expect(await run.run() == 1)
            let client = try await server.client()
            let failed = try await client.call("syncs.list", ["interfaceId": .string(id)])["items"]?[0]
            #expect(failed?["state"] == "failed")
            #expect(run.output.stdout.contains("failed: \(try requireString(failed?["failure"]))"))
        }
    }

    @Test func credentialsAreAskedForAndNeverShown() async throws {
        let secret = "S3cret-\(UUID().uuidString)"
        try await withTestServer { server in
            let id = try await order(server)
            let run = try ShellRun(server, script: """
                interface set \(id) url http://127.0.0.1:9/phonebook.csv
                interface credentials \(id)
                phonebook
                \(secret)
                interface show \(id)
                """)
            #expect(await run.run() == 0)
            let client = try await server.client()
            let credentials = try await client.call("interfaces.get", ["id": .string(id)])["credentials"]
            #expect(credentials?["username"] != nil)
            #expect(credentials?["password"] != nil)
            #expect(!run.output.stdout.contains(secret))
            #expect(!run.output.stderr.contains(secret))
            #expect(run.output.stdout.contains("credentials: password (set"))

            // Only the credentials named: the user name stays as it was.
            let before = try await client.call("interfaces.get", ["id": .string(id)])["credentials"]
            try await Task.sleep(for: .seconds(1.1))  // times have seconds precision
            let one = try ShellRun(server, script: "interface credentials \(id) password\nnew-\(secret)")
            #expect(await one.run() == 0)
            let after = try await client.call("interfaces.get", ["id": .string(id)])["credentials"]
            #expect(after?["username"] == before?["username"])
            #expect(after?["password"] != before?["password"])
            let wrong = try ShellRun(server, script: "")
            #expect(await wrong.run(command: "interface credentials \(id) apiToken") == 1)
            #expect(wrong.output.stderr.contains("apiToken is not a credential of csv (credentials: username, password)"))

            // A credential typed as a setting is refused before it is sent.
            let typed = try ShellRun(server, script: "interface set \(id) password \(secret)")
            #expect(await typed.run() == 1)
            #expect(typed.output.stderr.contains("password is a credential of csv"))
            #expect(!typed.output.stderr.contains(secret))
        }
    }

    @Test func cancelAsksFirstAndShowsDataUntil() async throws {
        try await withTestServer { server in
            let id = try await order(server)
            let client = try await server.client()
            let no = try ShellRun(server, script: "interface cancel \(id)\nn")
            #expect(await no.run() == 0)
            #expect(no.output.stderr.contains("[y/N]"))  // the question, on stderr in a script
            #expect(no.output.stdout.contains("not cancelled"))
            #expect(try await client.call("interfaces.get", ["id": .string(id)])["state"] == "active")

            let yes = try ShellRun(server, script: "interface cancel \(id)\ny")
            #expect(await yes.run() == 0)
            let cancelled = try await client.call("interfaces.get", ["id": .string(id)])
            #expect(cancelled["state"] == "cancelled")
            #expect(yes.output.stdout.contains("until \(try requireString(cancelled["dataUntil"])) (dataUntil)"))

            let second = try await order(server, name: "Second")
            let flag = try ShellRun(server, script: "")
            #expect(await flag.run(command: "interface cancel \(second) --yes") == 0)
            #expect(try await client.call("interfaces.get", ["id": .string(second)])["state"] == "cancelled")
        }
    }

    @Test func aDroppedConnectionFailsAScript() async throws {
        let server = try await TestServer.start()
        let input = ScriptedInput([.line("call system.ping"), .run { try await server.stop() }, .line("call system.ping"), .line("call system.ping")])
        let run = try ShellRun(server, input, options: ShellOptions(keepGoing: true))
        #expect(await run.run() == 1)
        #expect(run.output.stdout.components(separatedBy: "pong").count == 2)  // only the first
        // Both later commands fail, and say why; a script does not reconnect.
        #expect(run.output.stderr.components(separatedBy: "the connection to the server at 127.0.0.1:\(server.port) was lost").count == 3)
        #expect(!run.output.stderr.contains("reconnected"))
    }

    @Test func ctrlCDetachesAndTheRunGoesOn() async throws {
        try await withCSVServer { server, csv in
            var text = "id,name,phone\n"
            for i in 0..<20_000 { text += "\(i),Person \(i),+49 30 \(1_000_000 + i)\n" }
            try csv.write("big.csv", text)
            let id = try await order(server)
            let setup = try ShellRun(server, script: "")
            #expect(await setup.run(command: "interface set \(id) path big.csv") == 0)

            let interrupts = ManualInterrupts()
            let run = try ShellRun(server, script: "", interrupts: interrupts)
            let presser = pressCtrlCWhileSyncing(interrupts, server, interfaceId: id)
            #expect(await run.run(command: "interface sync \(id)") == 130)
            try await presser.value
            #expect(run.output.stdout.contains("detached from run"))
            #expect(!interrupts.isInstalled)  // the handler is gone afterwards

            // The run was not stopped: it ends on its own and imports everything.
            let client = try await server.client()
            var state: JSONValue? = nil
            var last: JSONValue? = nil
            for _ in 0..<600 {
                last = try await client.call("syncs.list", ["interfaceId": .string(id)])["items"]?[0]
                state = last?["state"]
                if state != "running" { break }
                try await Task.sleep(for: .milliseconds(100))
            }
            #expect(state == "succeeded")
            #expect(last?["counts"]?["created"] == 20_000)
            #expect(run.output.stdout.contains(try requireString(last?["runId"])))
        }
    }

    @Test func theLiveBarEndsAt100Percent() async throws {
        try await withCSVServer { server, csv in
            try csv.write("phonebook.csv", Self.phonebook)
            let id = try await order(server)
            let run = try ShellRun(server, script: "interface set \(id) path phonebook.csv\ninterface sync \(id) full", options: ShellOptions(liveProgress: true))
            #expect(await run.run() == 0)
            let out = run.output.stdout
            #expect(out.contains("\r\u{1B}[K["))  // redrawn in place
            let finalBar = out.components(separatedBy: "\r\u{1B}[K").last ?? ""
            #expect(finalBar.contains("100%"))
            #expect(finalBar.contains("succeeded"))
        }
    }

    @Test func usersKeysEntriesAndProvisioning() async throws {
        try await withTestServer(configure: { $0.sync.provisioningDelaySeconds = 3_600 }) { server in
            let id = try await order(server)
            let client = try await server.client()
            #expect(try await client.call("interfaces.get", ["id": .string(id)])["state"] == "ordered")
            let run = try ShellRun(server, script: """
                interface provision \(id)
                user add "Anna Virtanen" anna@example.fi extension=12 "+358 40 1234567"
                entry add "Hans Müller" "+49 30 1234567" company="Müller & Söhne" mobile=+491712345678
                entry add company="Bäckerei Zorn" "089 1234567"
                key create pbx Asterisk in the server room
                keys
                """, options: ShellOptions(json: true))
            #expect(await run.run() == 0)
            #expect(run.output.stderr == "")
            let results = try run.output.stdoutLines.map { try JSONParser.parse($0) }
            try #require(results.count == 6)
            #expect(results[0]["state"] == "active")
            #expect(try await client.call("interfaces.get", ["id": .string(id)])["state"] == "active")

            let user = try await client.call("users.get", ["id": results[1]["id"] ?? .null])
            #expect(user["name"] == "Anna Virtanen")
            #expect(user["extension"] == "12")
            #expect(user["numbers"] == ["+358 40 1234567"])

            let hans = try await client.call("phonebook.get", ["id": results[2]["id"] ?? .null])
            #expect(hans["name"] == "Hans Müller")
            #expect(hans["company"] == "Müller & Söhne")
            #expect(hans["numbers"]?.arrayValue?.compactMap { $0["type"]?.stringValue } == ["phone", "mobile"])
            let zorn = try await client.call("phonebook.get", ["id": results[3]["id"] ?? .null])
            #expect(zorn["name"] == "Bäckerei Zorn")  // no NAME: the company names it
            #expect(zorn["numbers"]?[0]?["e164"] == "+49891234567")

            // The token works, and the key is listed (without its token).
            let token = try requireString(results[4]["token"])
            let pbx = try await server.client(token: token)
            #expect(try await pbx.call("auth.whoami")["role"] == "pbx")
            #expect(results[5]["items"]?.arrayValue?.contains { $0["id"] == results[4]["id"] && $0["token"] == nil } == true)

            // Revoking it logs that session out; the copy of an entry is a manual one.
            let more = try ShellRun(server, script: "key revoke \(try requireString(results[4]["id"]))\nentry copy \(try requireString(results[2]["id"]))")
            #expect(await more.run() == 0)
            #expect(more.output.stdout.contains("revoked \(try requireString(results[4]["id"]))"))
            await #expect(throws: RPCError.self) { try await pbx.call("auth.whoami") }
            let copies = try await client.call("phonebook.search", ["q": "Hans"])["items"]?.arrayValue ?? []
            #expect(copies.contains { $0["copiedFrom"] == results[2]["id"] })
        }
    }
}
