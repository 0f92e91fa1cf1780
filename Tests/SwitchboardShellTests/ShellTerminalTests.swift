import Foundation
import JSONRPC
import SwitchboardClient
import SwitchboardShell
import SwitchboardTestSupport
import Testing

/// End to end: the built `switchboard shell` on a pseudo-terminal, typed at like a user would,
/// against a real server (in-process, on a loopback port, reading CSV files from its own
/// directory). The checks are on what the emulated screen shows, the raw transcript, the history
/// file and the server's state.
///
/// Serialized: one 200,000-row sync at a time is plenty for a shared 2-core machine. Every wait
/// has a deadline; nothing sleeps and hopes.
@Suite(.serialized, .timeLimit(.minutes(15)))
struct ShellTerminalTests {
    /// A shell on `server`, once it has connected and shows its first prompt.
    func startShell(_ server: TestServer, _ client: SwitchboardClient, noColor: Bool = false, defaultHistory: Bool = false) async throws -> TerminalShell {
        let account = try requireString(try await client.call("accounts.get")["name"])
        let shell = try TerminalShell(server: server, accountName: account, noColor: noColor, defaultHistory: defaultHistory)
        try await shell.expectScreen("Connected to 127.0.0.1:\(server.port) as operator in account \(account)")
        try await shell.waitForPrompt()
        return shell
    }

    /// A CSV interface ordered by another client (reading `path` from the CSV directory, if given).
    func csvInterface(_ client: SwitchboardClient, path: String? = nil) async throws -> String {
        let id = try requireString(try await client.call("interfaces.order", ["system": "csv"])["id"])
        if let path {
            _ = try await client.call("interfaces.configure", ["id": .string(id), "settings": ["path": .string(path)]])
        }
        return id
    }

    /// `header` and `count` rows of id, name, phone.
    static func phonebook(rows count: Int, extra: String = "") -> String {
        var text = "id,name,phone\n"
        text.reserveCapacity(count * 40)
        for i in 0..<count { text += "\(i),Person \(i),+49 30 \(1_000_000 + i)\n" }
        return text + extra
    }

    // MARK: 1. completion

    @Test func tabCompletesCommandWordsSystemsAndIdsFromTheServer() async throws {
        try await withCSVServer { server, _ in
            let client = try await server.client()
            let id = try await csvInterface(client)
            let shell = try await startShell(server, client)

            // `interface` and `interfaces` are both commands: Tab goes as far as they agree, no space.
            shell.send("inter\t")
            try await shell.waitForLine("interface")

            // Several subcommands start with s: listed below the line, then the prompt and the line again.
            shell.send(" s\t")
            let expected = Completer.candidates(line: "interface s", cursor: 11, table: .standard, data: CompletionData())
            #expect(expected == ["set", "show", "sync"])
            let listed = try await shell.waitForScreen("set, show and sync listed under the line") { [prompt = shell.prompt] screen in
                screen.cursorLine == prompt + "interface s" && screen.cursorIndex > 0
                    && screen.all[screen.cursorIndex - 1].split(separator: " ").map(String.init) == expected
            }
            #expect(listed.all[listed.cursorIndex - 2] == shell.prompt + "interface s")  // the line as it was, above the list

            // One candidate left: completed, with a space after it.
            shell.send("h\t")
            try await shell.waitForLine("interface show ")

            // Interface ids come from the server (interfaces.list). The first Tab waits at most 1.5 s
            // for the answer; on a machine that slow the list is there for the next Tab.
            shell.send("\t")
            do {
                try await shell.waitForLine("interface show \(id) ", timeout: .seconds(10))
            } catch {
                shell.send("\t")
                try await shell.waitForLine("interface show \(id) ")
            }
            let start = shell.screen.cursorIndex
            shell.send("\r")
            let shown = try await shell.output(from: start)
            #expect(shown.first == "id:          \(id)")

            // Systems come from the catalogue (fetched at login).
            shell.send("interface o\t")
            try await shell.waitForLine("interface order ")
            shell.send("cs\t")
            try await shell.waitForLine("interface order csv ")

            shell.send("\u{15}")  // Ctrl-U: the line is dropped, nothing runs
            try await shell.waitForPrompt()
            shell.send("quit\r")
            #expect(try await shell.waitForExit() == 0)
            let interfaces = try await client.call("interfaces.list")["items"]?.arrayValue ?? []
            #expect(interfaces.count == 1)  // the completed `interface order csv` never ran
        }
    }

    // MARK: 2. secrets

    @Test func credentialsAreAskedWithoutEchoAndNeverReachTheScreenOrTheHistory() async throws {
        try await withCSVServer { server, _ in
            let client = try await server.client()
            let id = try await csvInterface(client)
            let shell = try await startShell(server, client)
            let user = "reader-\(UUID().uuidString.prefix(8))"
            let secret = "S3cret-\(UUID().uuidString)"

            let start = shell.screen.cursorIndex
            shell.send("interface credentials \(id)\r")
            try await shell.waitForScreen("the user name question") { $0.cursorLine == "User name (username; Enter keeps it):" }
            shell.send(user + "\r")
            try await shell.waitForScreen("the password question") { $0.cursorLine == "Password (password; Enter keeps it):" }
            shell.send(secret + "\r")
            let answered = try await shell.output(from: start)
            // The questions stay as asked: nothing typed shows after them.
            #expect(Array(answered.prefix(2)) == ["User name (username; Enter keeps it):", "Password (password; Enter keeps it):"])
            #expect(answered.last?.hasPrefix("credentials of \(id): password (set ") == true)
            #expect(answered.last?.contains("username (set ") == true)

            let shown = try await shell.run("interface show \(id)")
            let credentials = shown.first { $0.hasPrefix("credentials: ") }
            #expect(credentials?.hasPrefix("credentials: password (set ") == true)
            #expect(credentials?.contains("username (set ") == true)

            // Neither answer ever reached the terminal.
            let seen = shell.transcript
            #expect(!seen.contains(user) && !seen.contains(secret))
            #expect(!shell.screen.text.contains(user) && !shell.screen.text.contains(secret))

            // Secrets typed on a command line (on purpose, so they show): refused before anything is
            // sent, or kept out of the history.
            let refused = try await shell.run("interface set \(id) password typed-\(secret)")
            #expect(refused.first?.hasPrefix("error: password is a credential of csv: set it with `interface credentials \(id)`") == true)
            let direct = try await shell.run("call interfaces.setCredentials {\"id\": \"\(id)\", \"password\": \"direct-\(secret)\"}")
            #expect(direct.first == "{")

            shell.send("quit\r")
            #expect(try await shell.waitForExit() == 0)

            let history = try shell.historyLines()
            #expect(history.contains("interface credentials \(id)"))
            #expect(history.contains("interface show \(id)"))
            #expect(history.contains("quit"))
            #expect(!history.contains { $0.contains(secret) || $0.contains(user) }, "history: \(history)")
            let attributes = try FileManager.default.attributesOfItem(atPath: shell.historyFile)
            #expect((attributes[.posixPermissions] as? NSNumber)?.intValue == 0o600)

            let interface = try await client.call("interfaces.get", ["id": .string(id)])
            #expect(interface["credentials"]?["username"] != nil)
            #expect(interface["credentials"]?["password"] != nil)
        }
    }

    // MARK: 3. order, set, sync

    @Test func orderSetAndSyncWithTheProgressBarToTheSummary() async throws {
        try await withCSVServer { server, csv in
            // 5,000 good rows, one without a phone number, one with an id used before.
            try csv.write("book.csv", Self.phonebook(rows: 5_000, extra: "x1,No Number,\n7,Again Seven,+49 30 7654321\n"))
            let client = try await server.client()
            let shell = try await startShell(server, client)

            let ordered = try await shell.run("interface order csv Intranet phonebook")
            let id = try #require(ordered.first?.split(separator: " ").last.map(String.init))
            #expect(ordered.first == "ordered \(id)")
            #expect(ordered.contains("name:        Intranet phonebook"))
            #expect(ordered.contains("state:       active"))

            let set = try await shell.run("interface set \(id) path book.csv")
            #expect(set == ["updated \(id)", "settings: path=book.csv"])

            let synced = try await shell.run("interface sync \(id)", timeout: .seconds(300))
            let runs = try await client.call("syncs.list", ["interfaceId": .string(id)])["items"]?.arrayValue ?? []
            let runId = try requireString(runs.first?["runId"])
            // The bar was redrawn in place: one line, full, then the summary and the rejected rows.
            #expect(synced.count == 5, "\(synced)")
            #expect(synced.first?.hasPrefix("[========================] 100%  succeeded in ") == true)
            #expect(synced.first?.hasSuffix(" rows/s") == true)
            #expect(synced.dropFirst().first == "run \(runId) succeeded: seen 5000, created 5000, updated 0, unchanged 0, deleted 0, rejected 2")
            #expect(synced.dropFirst(2).first == "rejected rows:")
            #expect(synced.dropFirst(3).contains { $0.hasPrefix("  line 5002: ") && $0.contains("no phone number") })
            #expect(synced.dropFirst(3).contains { $0.hasPrefix("  line 5003: ") && $0.contains("duplicate") })
            #expect(shell.transcript.contains("] seen "))  // the bar was drawn while the run went on

            let listed = try await shell.run("syncs \(id)")
            #expect(listed.contains { $0.hasPrefix(runId) && $0.contains("succeeded") && $0.contains("5000") })
            shell.send("quit\r")
            #expect(try await shell.waitForExit() == 0)
            #expect(runs.first?["state"] == "succeeded")
        }
    }

    // MARK: 4. Ctrl-C detaches

    @Test func ctrlCDuringASyncDetachesAndTheRunGoesOn() async throws {
        try await withCSVServer { server, csv in
            let rows = 200_000
            try csv.write("big.csv", Self.phonebook(rows: rows))
            let client = try await server.client()
            let id = try await csvInterface(client)
            let shell = try await startShell(server, client)
            // Another command first: Ctrl-C used to reach only the first command of a session.
            #expect(try await shell.run("interface set \(id) path big.csv") == ["updated \(id)", "settings: path=big.csv"])

            let start = shell.screen.cursorIndex
            shell.send("interface sync \(id)\r")
            // The bar is drawn once the run has started: from then on Ctrl-C detaches.
            try await shell.waitForScreen("the progress bar") { screen in
                screen.cursorIndex > start && screen.cursorLine.hasPrefix("[") && screen.cursorLine.contains("] seen ")
            }
            let pressed = ContinuousClock.now
            shell.send("\u{03}")
            let output = try await shell.output(from: start, timeout: .seconds(60))
            let waited = ContinuousClock.now - pressed
            let detached = try #require(output.last)
            let runId = try #require(detached.firstMatch(of: /detached from run (syn_[0-9a-z]+); it goes on on the server \(sync show \1\)/)?.1, "\(output)")
            let state = try await client.call("syncs.get", ["runId": .string(String(runId))])["state"]
            #expect(state == "running", "the prompt came back only after the run had ended")
            #expect(waited < .seconds(20), "the prompt took \(waited) to come back")

            let during = try await shell.run("syncs \(id)")
            #expect(during.contains { $0.hasPrefix(runId) && $0.contains("running") }, "\(during)")

            _ = try await pollServer("run \(runId) to end", timeout: .seconds(600)) {
                try await client.call("syncs.get", ["runId": .string(String(runId))])
            } until: { $0["state"] != "running" }

            let shown = try await shell.run("sync show \(runId)")
            #expect(shown.contains("state:     succeeded"), "\(shown)")
            #expect(shown.contains("counts:    seen \(rows), created \(rows), updated 0, unchanged 0, deleted 0, rejected 0"), "\(shown)")
            shell.send("quit\r")
            #expect(try await shell.waitForExit() == 0)
        }
    }

    // MARK: 5. events above the prompt

    @Test func aSyncOfAnotherClientIsAnnouncedAboveTheLineBeingTyped() async throws {
        try await withCSVServer { server, csv in
            try csv.write("book.csv", "name,phone\nAnn,030 1234567\n")
            let other = try await server.client()
            let id = try await csvInterface(other, path: "book.csv")
            let shell = try await startShell(server, other)
            let prompt = shell.prompt

            // Half a command typed, the cursor moved back two characters.
            shell.send("call system.png")
            try await shell.waitForLine("call system.png")
            shell.send("\u{1B}[D\u{1B}[D")
            try await shell.waitForLine("call system.png", cursorFromEnd: 2)

            let runId = try requireString(try await other.call("interfaces.sync", ["id": .string(id)])["runId"])
            let screen = try await shell.waitForScreen("the run's end announced above the line, the line intact", timeout: .seconds(120)) { screen in
                guard let at = screen.all.lastIndex(where: { $0.hasPrefix("sync \(runId) ") }) else { return false }
                return screen.cursorIndex == at + 1 && screen.cursorLine == prompt + "call system.png"
                    && screen.cursorColumn == (prompt + "call system.png").count - 2
            }
            #expect(screen.all[screen.cursorIndex - 1]
                == "sync \(runId) of \(id) (manual) succeeded: seen 1, created 1, updated 0, unchanged 0, deleted 0, rejected 0")
            #expect(screen.all.filter { $0 == prompt + "call system.png" }.count == 1)  // redrawn, not left behind

            // Typing goes on where the cursor was: the line becomes `call system.ping` and runs.
            let start = shell.screen.cursorIndex
            shell.send("i\r")
            let output = try await shell.output(from: start)
            #expect(shell.screen.all[start] == prompt + "call system.ping")
            #expect(output == ["\"pong\""])
            shell.send("quit\r")
            #expect(try await shell.waitForExit() == 0)
        }
    }

    // MARK: 6. leaving

    @Test func ctrlDOnAnEmptyLineAndQuitLeaveWithStatusZero() async throws {
        try await withTestServer { server in
            let client = try await server.client()

            let byCtrlD = try await startShell(server, client)
            // A failed command does not change how the session ends.
            let failed = try await byCtrlD.run("interface show nosuch")
            #expect(failed.first == "error -32004: Not found: interface nosuch not found")
            byCtrlD.send("\u{04}")
            #expect(try await byCtrlD.waitForExit() == 0)

            // Without SWITCHBOARD_HISTFILE the history is ~/.switchboard_history.
            let byQuit = try await startShell(server, client, defaultHistory: true)
            byQuit.send("quit\r")
            #expect(try await byQuit.waitForExit() == 0)
            #expect(try byQuit.historyLines() == ["quit"])
        }
    }

    // MARK: colour

    @Test func coloursOnATerminalUnlessNoColorIsSet() async throws {
        try await withTestServer { server in
            let client = try await server.client()
            let id = try await csvInterface(client)
            let sgr = /\x1B\[[0-9;]*m/

            let coloured = try await startShell(server, client)
            #expect(try await coloured.run("interface show \(id)").contains("state:       active"))
            #expect(try await coloured.run("interface show nosuch").first?.hasPrefix("error -32004: ") == true)
            coloured.send("quit\r")
            #expect(try await coloured.waitForExit() == 0)
            #expect(coloured.transcript.contains("state:       \u{1B}[32mactive\u{1B}[0m"))
            #expect(coloured.transcript.contains("\u{1B}[31merror -32004\u{1B}[0m: Not found"))

            let plain = try await startShell(server, client, noColor: true)
            #expect(try await plain.run("interface show \(id)").contains("state:       active"))
            #expect(try await plain.run("interface show nosuch").first?.hasPrefix("error -32004: ") == true)
            plain.send("quit\r")
            #expect(try await plain.waitForExit() == 0)
            #expect(plain.transcript.contains("state:       active"))
            #expect(plain.transcript.firstMatch(of: sgr) == nil, "\(plain.transcript.debugDescription)")

            // -c on a terminal: a script, no colour either.
            let account = try requireString(try await client.call("accounts.get")["name"])
            let oneCommand = try TerminalShell(server: server, accountName: account, arguments: ["-c", "interface show \(id)"])
            #expect(try await oneCommand.waitForExit() == 0)
            #expect(oneCommand.transcript.contains("state:       active"))
            #expect(oneCommand.transcript.firstMatch(of: sgr) == nil, "\(oneCommand.transcript.debugDescription)")
        }
    }
}
