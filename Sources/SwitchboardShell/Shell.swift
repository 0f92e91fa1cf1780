import Foundation
import JSONRPC
import SwitchboardClient

/// How the shell reaches its server. It talks to it only through JSON-RPC.
public struct ShellServer: Sendable {
    /// `HOST:PORT`, for messages.
    public var address: String
    public var token: String
    /// Operators: the account to work in (nil: the server's default, the oldest).
    public var account: String?
    /// Opens a new connection (not logged in); called again to reconnect.
    public var connect: @Sendable () async throws -> SwitchboardClient

    public init(address: String, token: String, account: String? = nil, connect: @escaping @Sendable () async throws -> SwitchboardClient) {
        self.address = address
        self.token = token
        self.account = account
        self.connect = connect
    }
}

/// A command failed; the shell prints `error: DESCRIPTION` (nothing when empty: already reported).
public struct ShellFailure: Error, Sendable, CustomStringConvertible {
    public var description: String
    public init(_ description: String) { self.description = description }
    static let reported = ShellFailure("")
}

/// The user pressed Ctrl-C while a command waited.
struct Interrupted: Error {}

/// The admin shell: reads commands from a `LineInput`, runs them against the
/// server, writes results to a `ShellOutput`.
///
/// Interactive (a terminal): prompt, completion, history, events above the
/// prompt, reconnect on the next command after the connection dropped.
/// Otherwise (a script): no prompt or colour, and the exit status is 1 at the
/// first failing command (at the end with `keepGoing`).
public actor Shell {
    public nonisolated let table: CommandTable
    let server: ShellServer
    nonisolated let input: any LineInput
    let output: ShellOutput
    let options: ShellOptions
    let interrupts: any InterruptSource
    let inputThread = InputThread()
    nonisolated let completionCache = CompletionCache()
    nonisolated let interactive: Bool

    var connection: Connection?
    /// Set once a connection was made: a script does not reconnect after it is lost.
    var everConnected = false
    var account: String?
    var busy = false
    var commandCount = 0
    /// The command whose output is shown (0: none); see `execute`.
    var liveCommand = 0
    /// Where Ctrl-C goes while the running command handles it itself.
    var interruptTarget: (@Sendable () -> Void)?
    var waiting: (number: Int, continuation: CheckedContinuation<Outcome, Never>)?
    @TaskLocal static var commandNumber = 0
    var quitting = false
    var syncWatchers: [String: AsyncStream<SyncEvent>.Continuation] = [:]
    /// Runs `interface sync` followed in this session.
    var followedRuns: Set<String> = []

    public init(server: ShellServer, input: any LineInput, output: ShellOutput = .standard, options: ShellOptions = ShellOptions(),
                interrupts: any InterruptSource = SignalInterrupts()) {
        self.server = server
        self.input = input
        self.output = output
        self.options = options
        self.interrupts = interrupts
        self.account = server.account
        self.interactive = input.isInteractive
        self.table = CommandTable.standard
    }

    var style: Style { Style(enabled: options.colour) }

    // MARK: running

    /// Reads and runs commands until `quit` or the end of input; returns the exit status.
    public func run() async -> Int32 {
        defer { finish() }
        if interactive {
            input.completer = makeCompleter()
            do {
                _ = try await client()
                say(banner())
            } catch let error as RPCError {
                report(error)
                return 1  // a refused token does not get better by retrying
            } catch {
                report(error)
                say("Type help for the commands; the next command tries to connect again.")
            }
        }
        var failed = false
        while !quitting {
            switch await readCommand() {
            case .end:
                // Ctrl-D on a terminal leaves like quit (0); a script's status says whether a command failed.
                return interactive || !failed ? 0 : 1
            case .skip:
                continue
            case .incomplete:
                writeError("error: the input ended inside { or [ (the command is incomplete)")
                if !interactive { return 1 }
            case .command(let text):
                if interactive, Self.isSafeForHistory(text, credentials: completionCache.credentialNames) {
                    input.addHistory(text.replacingOccurrences(of: "\n", with: " "))
                }
                switch await execute(text) {
                case .succeeded: break
                case .interrupted: if !interactive { return 130 }
                case .failed:
                    failed = true
                    if !interactive && !options.keepGoing { return 1 }
                }
            }
        }
        return interactive || !failed ? 0 : 1
    }

    /// Runs one command (`-c`) and returns its status: 0, 1, or 130 when interrupted.
    public func run(command: String) async -> Int32 {
        defer { finish() }
        switch await execute(command) {
        case .succeeded: return 0
        case .failed: return 1
        case .interrupted: return 130
        }
    }

    enum Outcome { case succeeded, failed, interrupted }

    /// Parses and runs one command, printing its result or its error.
    ///
    /// Ctrl-C while it runs goes to the command if it takes it (`interface sync`
    /// detaches); otherwise the shell stops waiting, drops whatever the command
    /// would still print, and goes back to the prompt (a script ends with 130).
    func execute(_ text: String) async -> Outcome {
        let invocation: Invocation
        do {
            invocation = try table.parse(text)
        } catch {
            report(error)
            return .failed
        }
        commandCount += 1
        let number = commandCount
        liveCommand = number
        busy = true
        let handle = interrupts.install { Task { await self.interrupt(number) } }
        defer {
            handle.cancel()
            busy = false
            interruptTarget = nil
        }
        return await withCheckedContinuation { continuation in
            waiting = (number, continuation)
            Task {
                let outcome = await Self.$commandNumber.withValue(number) { await self.perform(invocation) }
                self.finished(number, outcome)
            }
        }
    }

    private func perform(_ invocation: Invocation) async -> Outcome {
        do {
            try await invocation.command.handler(self, invocation)
            return .succeeded
        } catch is Interrupted {
            return .interrupted
        } catch {
            report(error)
            return .failed
        }
    }

    private func finished(_ number: Int, _ outcome: Outcome) {
        guard let waiting, waiting.number == number else { return }
        self.waiting = nil
        waiting.continuation.resume(returning: outcome)
    }

    private func interrupt(_ number: Int) {
        guard number == liveCommand else { return }
        if let interruptTarget { return interruptTarget() }
        liveCommand = 0
        writeError("interrupted: no longer waiting for the answer (the server may still carry the request out)")
        finished(number, .interrupted)
    }

    /// False in a command the user gave up on with Ctrl-C: its output is dropped.
    var isLive: Bool { Self.commandNumber == 0 || Self.commandNumber == liveCommand }

    func report(_ error: any Error) {
        switch error {
        case let error as RPCError: writeError(Render.error(error, style: style))
        case let error as UsageError: writeError(error.description)
        case let error as ShellFailure: if !error.description.isEmpty { writeError(style.paint("error", .red) + ": " + error.description) }
        default: writeError(style.paint("error", .red) + ": \(error)")
        }
    }

    enum ReadResult { case command(String), skip, incomplete, end }

    /// One command: a line, plus more lines while `{` or `[` are open (continuation prompt).
    func readCommand() async -> ReadResult {
        var text = ""
        while true {
            let prompt = interactive ? (text.isEmpty ? promptText() : "...> ") : ""
            let read = await inputThread.run { [input] in input.readLine(prompt: prompt) }
            switch read {
            case .endOfInput: return text.isEmpty ? .end : .incomplete
            case .interrupted: return .skip
            case .line(let line): text = text.isEmpty ? line : text + "\n" + line
            }
            let trimmed = text.trimmingCharacters(in: .whitespaces)
            if trimmed.isEmpty || trimmed.hasPrefix("#") { return .skip }
            if !Tokenizer.needsMoreInput(text) { return .command(text) }
            if text.utf8.count > 1 << 20 { return .command(text) }  // let the parser say what is wrong
        }
    }

    func promptText() -> String {
        guard let connection else { return "switchboard (not connected)> " }
        return "switchboard \(connection.accountName ?? cellText(connection.principal["accountId"]))> "
    }

    func banner() -> String {
        guard let connection else { return "" }
        let role = cellText(connection.principal["role"])
        let account = connection.accountName.map { "\($0) (\(cellText(connection.principal["accountId"])))" } ?? cellText(connection.principal["accountId"])
        return "Connected to \(server.address) as \(role) in account \(account). Type help for the commands, quit to leave."
    }

    func finish() {
        quitting = true
        input.completer = nil
        inputThread.stop()
        for watcher in syncWatchers.values { watcher.finish() }
        if let connection {
            connection.pump.cancel()
            connection.client.close()
        }
        connection = nil
    }
}
