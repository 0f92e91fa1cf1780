import Foundation
import JSONRPC
import SwitchboardClient
import SwitchboardShell
import SwitchboardTestSupport
import Synchronization

/// A `LineInput` that plays a script: lines, secrets, and steps that wait or check
/// in between (run on the shell's input thread, as a line editor's reads are).
final class ScriptedInput: LineInput {
    enum Step: Sendable {
        case line(String)
        /// Ctrl-C at the prompt.
        case interrupt
        /// Blocks until a line printed above the prompt contains the text (at most 20 s).
        case waitForEvent(String)
        /// Runs on the input thread between two reads (e.g. calls the completer).
        case check(@Sendable (ScriptedInput) -> Void)
        /// Runs async work (e.g. stopping the server) and waits for it.
        case run(@Sendable () async throws -> Void)
    }

    struct State {
        var steps: [Step]
        var history: [String] = []
        var above: [String] = []
        var prompts: [String] = []
    }

    let isInteractive: Bool
    private let state: Mutex<State>
    private let completerStorage = Mutex<(@Sendable (String, Int) -> [String])?>(nil)

    init(_ steps: [Step], interactive: Bool = false) {
        state = Mutex(State(steps: steps))
        isInteractive = interactive
    }

    convenience init(script: String, interactive: Bool = false) {
        self.init(script.split(separator: "\n", omittingEmptySubsequences: false).map { .line(String($0)) }, interactive: interactive)
    }

    var completer: (@Sendable (String, Int) -> [String])? {
        get { completerStorage.withLock { $0 } }
        set { completerStorage.withLock { $0 = newValue } }
    }

    var history: [String] { state.withLock { $0.history } }
    var above: [String] { state.withLock { $0.above } }
    var prompts: [String] { state.withLock { $0.prompts } }

    func readLine(prompt: String) -> ShellInput {
        state.withLock { $0.prompts.append(prompt) }
        while true {
            guard let step = state.withLock({ $0.steps.isEmpty ? nil : $0.steps.removeFirst() }) else { return .endOfInput }
            switch step {
            case .line(let line): return .line(line)
            case .interrupt: return .interrupted
            case .waitForEvent(let text):
                let deadline = Date().addingTimeInterval(20)
                while Date() < deadline, !above.contains(where: { $0.contains(text) }) { Thread.sleep(forTimeInterval: 0.02) }
            case .check(let body): body(self)
            case .run(let body):
                let done = DispatchSemaphore(value: 0)
                Task {
                    try? await body()
                    done.signal()
                }
                done.wait()
            }
        }
    }

    func readSecret(prompt: String) -> String? {
        if case .line(let line) = readLine(prompt: prompt) { return line }
        return nil
    }

    func addHistory(_ line: String) { state.withLock { $0.history.append(line) } }
    func printAbove(_ text: String) { state.withLock { $0.above.append(text) } }
}

/// Standard output and standard error, captured.
final class CapturedOutput: Sendable {
    private let out = Mutex("")
    private let err = Mutex("")

    var sink: ShellOutput {
        ShellOutput(standardOutput: { [self] text in out.withLock { $0 += text } },
                    standardError: { [self] text in err.withLock { $0 += text } })
    }
    var stdout: String { out.withLock { $0 } }
    var stderr: String { err.withLock { $0 } }
    var stdoutLines: [String] { stdout.split(separator: "\n").map(String.init) }
}

/// A shell on `server` with a scripted input and captured output.
struct ShellRun {
    let input: ScriptedInput
    let output = CapturedOutput()
    let shell: Shell

    init(_ server: TestServer, _ input: ScriptedInput, options: ShellOptions = ShellOptions(), interrupts: any InterruptSource = ManualInterrupts(),
         token: String? = nil, account: String? = nil) throws {
        self.input = input
        let port = server.port
        shell = Shell(
            server: ShellServer(address: "127.0.0.1:\(port)", token: try token ?? server.operatorToken, account: account) {
                try await SwitchboardClient.connect(host: "127.0.0.1", port: port)
            },
            input: input, output: output.sink, options: options, interrupts: interrupts)
    }

    init(_ server: TestServer, script: String, options: ShellOptions = ShellOptions(), interrupts: any InterruptSource = ManualInterrupts()) throws {
        try self.init(server, ScriptedInput(script: script), options: options, interrupts: interrupts)
    }

    func run() async -> Int32 { await shell.run() }
    func run(command: String) async -> Int32 { await shell.run(command: command) }
}

/// A CSV directory for a server, removed by `cleanUp()`.
struct CSVDirectory {
    let path = TestServer.makeTemporaryDirectory()

    func write(_ name: String, _ text: String) throws {
        try text.write(toFile: path + "/" + name, atomically: true, encoding: .utf8)
    }

    func cleanUp() { try? FileManager.default.removeItem(atPath: path) }
}

/// Runs `body` with a server that reads CSV files from a fresh directory.
func withCSVServer<T>(_ body: (TestServer, CSVDirectory) async throws -> T) async throws -> T {
    let directory = CSVDirectory()
    defer { directory.cleanUp() }
    return try await withTestServer(configure: { $0.sync.csvDirectory = directory.path; $0.sync.schedulerIntervalSeconds = 3_600 }) { server in
        try await body(server, directory)
    }
}

func requireString(_ value: JSONValue?) throws -> String {
    guard case .string(let s)? = value else { throw TestSupportError("expected a string, got \(String(describing: value))") }
    return s
}

/// Presses Ctrl-C once the interface has a run going on (so `interface sync` follows it by then).
func pressCtrlCWhileSyncing(_ interrupts: ManualInterrupts, _ server: TestServer, interfaceId: String) -> Task<Void, any Error> {
    Task {
        let client = try await server.client()
        for _ in 0..<2_000 {
            let run = try await client.call("syncs.list", ["interfaceId": .string(interfaceId), "limit": 1])["items"]?[0]
            if run?["state"] == "running", interrupts.isInstalled {
                interrupts.fire()
                return
            }
            try await Task.sleep(for: .milliseconds(5))
        }
        throw TestSupportError("no run of \(interfaceId) to interrupt")
    }
}

/// A TCP port that accepts connections (into its backlog) and never answers: a hanging remote system.
final class SilentPort {
    let port: Int
    private let fd: Int32

    init() throws {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        self.fd = fd
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = 0
        let bound = withUnsafePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) } }
        guard bound == 0, listen(fd, 16) == 0 else {
            close(fd)
            throw TestSupportError("cannot listen: errno \(errno)")
        }
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) } }
        port = Int(UInt16(bigEndian: address.sin_port))
    }

    deinit { close(fd) }
}
