import Foundation
import SwitchboardTestSupport

/// The built `switchboard shell` on a pseudo-terminal, logged in to a server: what a user at a
/// terminal sees and types. Each session has its own HOME and history file, removed with it.
///
/// The terminal's waits block, so they run on a thread of their own (`offThePool`), never on
/// Swift's cooperative pool: on a 2-core machine that pool has two threads, and the in-process
/// server needs them meanwhile.
final class TerminalShell: Sendable {
    let terminal: PseudoTerminal
    let home: String
    /// `SWITCHBOARD_HISTFILE`, in a directory that does not exist yet (the editor makes it); with
    /// `defaultHistory`, where the shell keeps it without that variable.
    let historyFile: String
    /// As the shell shows it, with its trailing space.
    let prompt: String

    init(server: TestServer, accountName: String = "Default", noColor: Bool = false, defaultHistory: Bool = false,
         arguments: [String] = [], columns: Int = 200, rows: Int = 50) throws {
        home = TestServer.makeTemporaryDirectory()
        historyFile = defaultHistory ? home + "/.switchboard_history" : home + "/state/switchboard_history"
        prompt = "switchboard \(accountName)> "
        // Nothing inherited from the test runner (NO_COLOR, SWITCHBOARD_TOKEN, a HOME with a history).
        var environment = ["PATH": "/usr/bin:/bin", "TERM": "xterm", "LANG": "C.UTF-8", "HOME": home]
        if !defaultHistory { environment["SWITCHBOARD_HISTFILE"] = historyFile }
        if noColor { environment["NO_COLOR"] = "1" }
        terminal = try PseudoTerminal(
            executable: try Binary.url.path,
            arguments: ["shell", "--connect", "127.0.0.1:\(server.port)", "--data-dir", server.dataDirectory] + arguments,
            environment: environment, columns: columns, rows: rows)
    }

    deinit {
        terminal.terminate()
        try? FileManager.default.removeItem(atPath: home)
    }

    // MARK: typing

    /// Raw keys: "\t" Tab, "\r" Enter, "\u{03}" Ctrl-C, "\u{04}" Ctrl-D, "\u{15}" Ctrl-U, "\u{1B}[D" Left.
    func send(_ keys: String) { terminal.send(keys) }

    /// Types `command` and Enter at the (empty) prompt; returns the output, as `output(from:)`.
    @discardableResult
    func run(_ command: String, timeout: Duration = .seconds(120)) async throws -> [String] {
        let start = screen.cursorIndex
        send(command + "\r")
        return try await output(from: start, timeout: timeout)
    }

    /// Waits until the command on row `start` (an index into `ScreenSnapshot.all`: the row the
    /// cursor was on when Enter was pressed) has finished and the prompt is back on a later row;
    /// returns the rows in between.
    @discardableResult
    func output(from start: Int, timeout: Duration = .seconds(120)) async throws -> [String] {
        let screen = try await waitForScreen("the command on row \(start) to finish and the prompt to come back", timeout: timeout) { [prompt] screen in
            screen.cursorIndex > start && screen.isAtEmptyPrompt(prompt)
        }
        return Array(screen.all[(start + 1)..<screen.cursorIndex])
    }

    // MARK: waiting

    /// Waits until the cursor sits on an empty prompt.
    @discardableResult
    func waitForPrompt(timeout: Duration = .seconds(60)) async throws -> ScreenSnapshot {
        try await waitForScreen("an empty prompt \(prompt.debugDescription)", timeout: timeout) { [prompt] in $0.isAtEmptyPrompt(prompt) }
    }

    /// Waits until the line being edited reads `prompt + text`, with the cursor `cursorFromEnd` characters before its end.
    @discardableResult
    func waitForLine(_ text: String, cursorFromEnd: Int = 0, timeout: Duration = .seconds(60)) async throws -> ScreenSnapshot {
        let line = prompt + text
        let column = line.count - cursorFromEnd
        return try await waitForScreen("the line \(line.debugDescription), cursor at column \(column)", timeout: timeout) { screen in
            screen.cursorLine == line.trimmingTrailingSpaces && screen.cursorColumn == column
        }
    }

    @discardableResult
    func waitForScreen(_ description: String, timeout: Duration = .seconds(60), _ condition: @escaping @Sendable (ScreenSnapshot) -> Bool) async throws -> ScreenSnapshot {
        let terminal = terminal
        return try await offThePool { try terminal.waitForScreen(timeout: timeout, description, condition) }
    }

    /// Waits until one line of the screen (scrollback included) contains `text`.
    @discardableResult
    func expectScreen(_ text: String, timeout: Duration = .seconds(60)) async throws -> ScreenSnapshot {
        let terminal = terminal
        return try await offThePool { try terminal.expectScreen(text, timeout: timeout) }
    }

    func waitForExit(timeout: Duration = .seconds(60)) async throws -> Int32 {
        let terminal = terminal
        return try await offThePool { try terminal.waitForExit(timeout: timeout) }
    }

    var screen: ScreenSnapshot { terminal.screen }
    /// Everything the shell wrote to the terminal, escape sequences and all.
    var transcript: String { terminal.transcript }

    /// The history file as lines, libedit's encoding (`\040` for a space, …) undone, without its header.
    func historyLines() throws -> [String] {
        let text = try String(contentsOfFile: historyFile, encoding: .utf8)
        return text.split(separator: "\n").map { Self.unvis(String($0)) }.filter { $0 != "_HiStOrY_V2_" }
    }

    /// Undoes strvis(3) escapes: `\ooo` (octal) and `\\`.
    static func unvis(_ line: String) -> String {
        let utf8 = Array(line.utf8)
        let backslash = UInt8(ascii: "\\"), zero = UInt8(ascii: "0"), seven = UInt8(ascii: "7")
        var bytes: [UInt8] = []
        var i = 0
        while i < utf8.count {
            if utf8[i] == backslash, i + 3 < utf8.count, utf8[(i + 1)...(i + 3)].allSatisfy({ (zero...seven).contains($0) }) {
                bytes.append(utf8[(i + 1)...(i + 3)].reduce(0) { $0 &* 8 &+ ($1 - zero) })
                i += 4
            } else if utf8[i] == backslash, i + 1 < utf8.count, utf8[i + 1] == backslash {
                bytes.append(backslash)
                i += 2
            } else {
                bytes.append(utf8[i])
                i += 1
            }
        }
        return String(decoding: bytes, as: UTF8.self)
    }
}

extension ScreenSnapshot {
    /// Scrollback and visible rows.
    var all: [String] { scrollback + lines }
    /// The cursor's row as an index into `all`.
    var cursorIndex: Int { scrollback.count + cursorRow }

    /// The cursor is on a prompt with nothing typed after it.
    func isAtEmptyPrompt(_ prompt: String) -> Bool {
        cursorLine == prompt.trimmingTrailingSpaces && cursorColumn == prompt.count
    }
}

extension String {
    /// As the screen model keeps a row: without trailing spaces.
    var trimmingTrailingSpaces: String {
        var s = self
        while s.last == " " { s.removeLast() }
        return s
    }
}

/// Runs a blocking wait on a thread of its own and resumes with its result.
func offThePool<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
    try await withCheckedThrowingContinuation { continuation in
        let thread = Thread { continuation.resume(with: Result { try body() }) }
        thread.name = "TerminalShell wait"
        thread.start()
    }
}

/// Waits (polling the server, with a deadline) until `condition` holds for what `read` returns.
func pollServer<T: Sendable>(_ description: String, timeout: Duration = .seconds(600), every interval: Duration = .milliseconds(250),
                       _ read: () async throws -> T, until condition: (T) -> Bool) async throws -> T {
    let deadline = ContinuousClock.now + timeout
    while true {
        let value = try await read()
        if condition(value) { return value }
        if ContinuousClock.now >= deadline { throw TestSupportError("timed out waiting for \(description); last: \(value)") }
        try await Task.sleep(for: interval)
    }
}
