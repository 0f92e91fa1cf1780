import ArgumentParser
import Foundation
import SwitchboardClient
import SwitchboardLineEditor
import SwitchboardShell

struct ShellSubcommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "shell",
        abstract: "The admin shell: interactive on a terminal, a script from stdin otherwise, or one command with -c.",
        discussion: """
            On a terminal: prompt, Tab completion, history, live sync progress, events above the prompt, \
            reconnect after a dropped connection. From a pipe: one command per line, no prompt or colour, \
            exit status 1 at the first failing command (at the end with --keep-going). Type help for the \
            commands; docs/shell.md has the guide.
            """)

    @OptionGroup var client: ClientOptions
    @Option(name: [.customShort("c"), .customLong("command")], help: "Run this one command and exit with its status.")
    var command: String?
    @Flag(help: "Print each result as one line of JSON instead of tables.") var json = false
    @Flag(help: "Script mode: go on after a failing command (the exit status is still 1).") var keepGoing = false

    func run() async throws {
        // A reader that goes away (`| head`) must not kill the shell with SIGPIPE.
        signal(SIGPIPE, SIG_IGN)
        let token: String
        let address: (host: String, port: Int)
        do {
            token = try client.resolveToken()
            address = try client.address()
        } catch {
            printError("\(error)")
            throw ExitCode(1)
        }
        let interactive = command == nil && isatty(0) == 1
        let options = ShellOptions.deciding(interactive: interactive, stdoutIsTerminal: isatty(1) == 1, json: json, keepGoing: keepGoing)
        let (host, port) = address
        let shown = host.contains(":") ? "[\(host)]:\(port)" : "\(host):\(port)"
        let server = ShellServer(address: shown, token: token, account: client.account) {
            try await SwitchboardClient.connect(host: host, port: port)
        }
        let shell = Shell(server: server, input: makeLineInput(interactive: interactive), options: options)
        let status = if let command { await shell.run(command: command) } else { await shell.run() }
        if status != 0 { throw ExitCode(status) }
    }
}

/// The shell's input: on a terminal the libedit line editor (history in
/// `$SWITCHBOARD_HISTFILE` or `~/.switchboard_history`, completion, Ctrl-R),
/// otherwise plain lines from standard input.
func makeLineInput(interactive: Bool) -> any LineInput {
    guard interactive else { return PlainLineInput(prompting: false) }
    let environment = ProcessInfo.processInfo.environment
    let history = environment["SWITCHBOARD_HISTFILE"].flatMap { $0.isEmpty ? nil : $0 }
        ?? environment["HOME"].map { ($0 as NSString).appendingPathComponent(".switchboard_history") }
    return EditorInput(LineEditor(programName: "switchboard", historyFile: history))
}

/// The libedit editor as the shell's `LineInput` (the two libraries know nothing of each other).
final class EditorInput: LineInput, @unchecked Sendable {
    let editor: LineEditor

    init(_ editor: LineEditor) { self.editor = editor }

    var isInteractive: Bool { true }

    func readLine(prompt: String) -> ShellInput {
        switch editor.readLine(prompt: prompt) {
        case .line(let line): .line(line)
        case .interrupted: .interrupted
        case .endOfInput: .endOfInput
        }
    }

    func readSecret(prompt: String) -> String? { editor.readSecret(prompt: prompt) }
    func addHistory(_ line: String) { editor.addHistory(line) }
    func printAbove(_ text: String) { editor.printAbove(text) }

    var completer: (@Sendable (_ line: String, _ cursor: Int) -> [String])? {
        get { editor.completer }
        set { editor.completer = newValue }
    }
}
