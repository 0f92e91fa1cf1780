import Foundation
import Synchronization

/// What one read from the terminal or the script gave.
public enum ShellInput: Sendable, Equatable {
    case line(String)
    /// Ctrl-C at the prompt: the typed line is dropped.
    case interrupted
    /// Ctrl-D on an empty line, or the end of a script.
    case endOfInput
}

/// Where the shell reads its commands: a line editor on a terminal, or plain stdin.
///
/// Reads block: the shell calls them from a dedicated thread, never from
/// Swift's cooperative pool.
public protocol LineInput: AnyObject, Sendable {
    /// A terminal: the shell shows a prompt, colours (unless `NO_COLOR`), keeps history and completes.
    var isInteractive: Bool { get }
    func readLine(prompt: String) -> ShellInput
    /// Reads without echo; nil on Ctrl-C or end of input.
    func readSecret(prompt: String) -> String?
    /// Only called for lines safe to keep (never secrets).
    func addHistory(_ line: String)
    /// Prints `text` above the prompt and redraws the line being typed; thread-safe.
    func printAbove(_ text: String)
    /// Candidates for the word at `cursor` (an offset in Unicode scalars) of `line`.
    var completer: (@Sendable (_ line: String, _ cursor: Int) -> [String])? { get set }
}

/// Standard input read line by line, without line editing: scripts and pipes.
/// With `prompting`, prompts go to stdout and secrets are read with the
/// terminal's echo off: a fallback for terminals without a line editor.
public final class PlainLineInput: LineInput {
    public let isInteractive: Bool
    private let completerStorage = Mutex<(@Sendable (String, Int) -> [String])?>(nil)
    private let writeLock = Mutex(())

    public init(prompting: Bool = false) {
        isInteractive = prompting
    }

    public var completer: (@Sendable (String, Int) -> [String])? {
        get { completerStorage.withLock { $0 } }
        set { completerStorage.withLock { $0 = newValue } }
    }

    public func readLine(prompt: String) -> ShellInput {
        if isInteractive, !prompt.isEmpty { write(prompt) }
        guard var line = Swift.readLine(strippingNewline: true) else { return .endOfInput }
        if line.hasSuffix("\r") { line.removeLast() }  // a script saved with CRLF line ends
        return .line(line)
    }

    public func readSecret(prompt: String) -> String? {
        guard isInteractive, isatty(0) == 1 else {
            if case .line(let line) = readLine(prompt: "") { return line }
            return nil
        }
        write(prompt)
        var saved = termios()
        tcgetattr(0, &saved)
        var silent = saved
        silent.c_lflag &= ~tcflag_t(ECHO)
        tcsetattr(0, TCSAFLUSH, &silent)
        defer {
            tcsetattr(0, TCSAFLUSH, &saved)
            write("\n")
        }
        guard var line = Swift.readLine(strippingNewline: true) else { return nil }
        if line.hasSuffix("\r") { line.removeLast() }
        return line
    }

    public func addHistory(_ line: String) {}

    public func printAbove(_ text: String) {
        write(text.hasSuffix("\n") ? text : text + "\n")
    }

    private func write(_ text: String) {
        writeLock.withLock { _ in _ = writeAll(1, Array(text.utf8)) }
    }
}

/// Runs the blocking reads of a `LineInput` one after another on one
/// dedicated thread (line editors keep per-thread state), bridged to async.
final class InputThread: Sendable {
    private let jobs = Mutex<[@Sendable () -> Bool]>([])
    private let ready = DispatchSemaphore(value: 0)

    init() {
        let thread = Thread { [self] in loop() }  // holds self until `stop()`
        thread.name = "switchboard-shell-input"
        thread.start()
    }

    private func loop() {
        while true {
            ready.wait()
            guard let job = jobs.withLock({ $0.isEmpty ? nil : $0.removeFirst() }), job() else { return }
        }
    }

    /// Runs `body` on the input thread and returns its result.
    func run<T: Sendable>(_ body: @escaping @Sendable () -> T) async -> T {
        await withCheckedContinuation { continuation in
            jobs.withLock {
                $0.append {
                    continuation.resume(returning: body())
                    return true
                }
            }
            ready.signal()
        }
    }

    /// Ends the thread after the jobs queued so far.
    func stop() {
        jobs.withLock { $0.append { false } }
        ready.signal()
    }
}

/// Writes every byte to `fd`; false when the reader is gone (EPIPE). Also used by `switchboard rpc`.
@discardableResult
public func writeAll(_ fd: Int32, _ bytes: [UInt8]) -> Bool {
    var offset = 0
    while offset < bytes.count {
        let n = bytes[offset...].withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
        if n < 0 {
            if errno == EINTR { continue }
            return false
        }
        offset += n
    }
    return true
}
