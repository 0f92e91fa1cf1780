// An expect-style harness: runs a program on a new pseudo-terminal so that tests see exactly what
// a user at a terminal would (prompts, echo, line editing, escape sequences) and can type at it.

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Foundation

/// A child process whose stdin, stdout and stderr are the slave side of a new pseudo-terminal, which
/// is also its controlling terminal (so termios, job-control signals and window size work as in a
/// real terminal). Output is collected by a background thread; `expect` waits for text in it.
public final class PseudoTerminal: @unchecked Sendable {
    /// Why a terminal could not be started, or a wait ran out. Timeouts carry the whole transcript.
    public enum Failure: Error, CustomStringConvertible {
        case openFailed(String, errno: Int32)
        case spawnFailed(String, errno: Int32)
        case expectTimedOut(expected: String, received: String, transcript: String)
        case screenTimedOut(expected: String, screen: ScreenSnapshot, transcript: String)
        case exitTimedOut(transcript: String)

        public var description: String {
            switch self {
            case .openFailed(let what, let code):
                return "pseudo-terminal: \(what) failed: \(String(cString: strerror(code)))"
            case .spawnFailed(let path, let code):
                return "pseudo-terminal: cannot start \(path): \(String(cString: strerror(code)))"
            case .expectTimedOut(let expected, let received, let transcript):
                return """
                    pseudo-terminal: timed out waiting for \(expected.debugDescription)
                    --- received since the last match (ANSI stripped) ---
                    \(PseudoTerminal.stripANSI(received))
                    --- full transcript (raw, escaped) ---
                    \(transcript.debugDescription)
                    """
            case .screenTimedOut(let expected, let screen, let transcript):
                return """
                    pseudo-terminal: timed out waiting for \(expected)
                    --- \(screen)--- full transcript (raw, escaped) ---
                    \(transcript.debugDescription)
                    """
            case .exitTimedOut(let transcript):
                return """
                    pseudo-terminal: the process did not exit in time
                    --- full transcript (raw, escaped) ---
                    \(transcript.debugDescription)
                    """
            }
        }
    }

    /// The child's process id.
    public let pid: pid_t
    private let master: Int32
    /// A byte written here stops the reader thread even if some other process still holds the
    /// slave open (then the master never reports end of file).
    private let stopWrite: Int32
    private let stopRead: Int32
    private let output: Output
    /// Guarded by `output.condition`.
    private var exitStatus: Int32?

    /// What the reader thread shares with the test thread. The thread holds only this, not the
    /// terminal, so a forgotten `PseudoTerminal` is still deinitialised (and its child killed).
    private final class Output: @unchecked Sendable {
        /// Guards the fields below; lets `expect` sleep until the reader appends.
        let condition = NSCondition()
        var received: [UInt8] = []
        var matchedUpTo = 0
        var readerFinished = false
        var screen: TerminalScreen

        init(columns: Int, rows: Int) {
            screen = TerminalScreen(columns: columns, rows: rows)
        }
    }

    public init(
        executable: String, arguments: [String], environment: [String: String],
        columns: Int = 100, rows: Int = 30
    ) throws {
        output = Output(columns: columns, rows: rows)
        let (master, slavePath) = try Self.openMaster()
        var size = winsize(ws_row: UInt16(clamping: rows), ws_col: UInt16(clamping: columns), ws_xpixel: 0, ws_ypixel: 0)
        _ = ioctl(master, UInt(TIOCSWINSZ), &size)
        // Hold the slave open until the child has it, so the master does not report EIO (no slave)
        // to the reader thread before the child opened its end.
        let slave = open(slavePath, O_RDWR | O_NOCTTY | O_CLOEXEC)
        guard slave >= 0 else {
            let code = errno
            close(master)
            throw Failure.openFailed("open \(slavePath)", errno: code)
        }
        defer { close(slave) }

        var stopPipe: [Int32] = [-1, -1]
        guard pipe(&stopPipe) == 0 else {
            let code = errno
            close(master)
            throw Failure.openFailed("pipe", errno: code)
        }
        for fd in stopPipe { _ = fcntl(fd, F_SETFD, FD_CLOEXEC) }

        do {
            pid = try Self.spawn(executable: executable, arguments: arguments, environment: environment, terminal: slavePath)
        } catch {
            close(master)
            close(stopPipe[0])
            close(stopPipe[1])
            throw error
        }
        self.master = master
        stopRead = stopPipe[0]
        stopWrite = stopPipe[1]

        let output = output
        let stop = stopPipe[0]
        let thread = Thread { Self.readLoop(master: master, stop: stop, output: output) }
        thread.name = "PseudoTerminal reader \(pid)"
        thread.start()
    }

    deinit {
        terminate()
        // Close the master only once the reader thread is done with it.
        output.condition.lock()
        let deadline = Date().addingTimeInterval(5)
        while !output.readerFinished && output.condition.wait(until: deadline) {}
        let finished = output.readerFinished
        output.condition.unlock()
        if finished {
            close(master)
            close(stopRead)
        }
        close(stopWrite)
    }

    // MARK: Typing and reading

    /// raw bytes to the terminal ("\t", "\r", "\u{03}" for Ctrl-C, "\u{12}" Ctrl-R)
    public func send(_ text: String) {
        var bytes = Array(text.utf8)[...]
        output.condition.lock()
        let closed = output.readerFinished
        output.condition.unlock()
        guard !closed else { return }
        while !bytes.isEmpty {
            let n = bytes.withUnsafeBytes { write(master, $0.baseAddress, $0.count) }
            if n > 0 {
                bytes = bytes.dropFirst(n)
            } else if n < 0 && (errno == EINTR || errno == EAGAIN) {
                continue
            } else {
                return
            }
        }
    }

    /// Waits until the output received since the last expect contains `text`; returns that output
    /// (up to and including the match). Later output stays for the next expect. Throws with the
    /// full transcript on timeout, or when the terminal closes without the text appearing.
    @discardableResult
    public func expect(_ text: String, timeout: Duration = .seconds(10)) throws -> String {
        let needle = Array(text.utf8)
        let deadline = Date().addingTimeInterval(Self.seconds(timeout))
        output.condition.lock()
        defer { output.condition.unlock() }
        while true {
            if let range = Self.find(needle, in: output.received, from: output.matchedUpTo) {
                let text = String(decoding: output.received[output.matchedUpTo..<range.upperBound], as: UTF8.self)
                output.matchedUpTo = range.upperBound
                return text
            }
            if output.readerFinished || !output.condition.wait(until: deadline) {
                // One last look: the wait may have timed out just as output arrived.
                if let range = Self.find(needle, in: output.received, from: output.matchedUpTo) {
                    let text = String(decoding: output.received[output.matchedUpTo..<range.upperBound], as: UTF8.self)
                    output.matchedUpTo = range.upperBound
                    return text
                }
                throw Failure.expectTimedOut(
                    expected: text,
                    received: String(decoding: output.received[output.matchedUpTo...], as: UTF8.self),
                    transcript: String(decoding: output.received, as: UTF8.self)
                )
            }
        }
    }

    /// Output received since the last match, without waiting and without consuming it.
    public var pendingOutput: String {
        output.condition.lock()
        defer { output.condition.unlock() }
        return String(decoding: output.received[output.matchedUpTo...], as: UTF8.self)
    }

    /// What a terminal emulator would show now (see `TerminalScreen` for what is interpreted).
    /// Line editors redraw with cursor movements, so "what the user sees" is often easier to check
    /// here than in the raw output.
    public var screen: ScreenSnapshot {
        output.condition.lock()
        defer { output.condition.unlock() }
        return output.screen.snapshot
    }

    /// Waits until `condition` holds for the screen; returns that screen. Throws with the screen and
    /// the transcript on timeout.
    @discardableResult
    public func waitForScreen(
        timeout: Duration = .seconds(10), _ description: String = "screen condition",
        _ condition: (ScreenSnapshot) -> Bool
    ) throws -> ScreenSnapshot {
        let deadline = Date().addingTimeInterval(Self.seconds(timeout))
        output.condition.lock()
        defer { output.condition.unlock() }
        while true {
            let snapshot = output.screen.snapshot
            if condition(snapshot) { return snapshot }
            if output.readerFinished || !output.condition.wait(until: deadline) {
                let last = output.screen.snapshot
                if condition(last) { return last }
                throw Failure.screenTimedOut(
                    expected: description, screen: last, transcript: String(decoding: output.received, as: UTF8.self)
                )
            }
        }
    }

    /// Waits until the screen (scrollback included) shows `text` within one line.
    @discardableResult
    public func expectScreen(_ text: String, timeout: Duration = .seconds(10)) throws -> ScreenSnapshot {
        try waitForScreen(timeout: timeout, "screen showing \(text.debugDescription)") { screen in
            screen.scrollback.contains { $0.contains(text) } || screen.lines.contains { $0.contains(text) }
        }
    }

    /// everything received, raw
    public var transcript: String {
        output.condition.lock()
        defer { output.condition.unlock() }
        return String(decoding: output.received, as: UTF8.self)
    }

    /// Changes the window size, as a terminal emulator does when its window is resized; the kernel
    /// sends SIGWINCH to the terminal's foreground process group.
    public func resize(columns: Int, rows: Int) {
        output.condition.lock()
        output.screen.resize(columns: columns, rows: rows)
        output.condition.unlock()
        var size = winsize(ws_row: UInt16(clamping: rows), ws_col: UInt16(clamping: columns), ws_xpixel: 0, ws_ypixel: 0)
        _ = ioctl(master, UInt(TIOCSWINSZ), &size)
    }

    /// `s` without terminal escape sequences (CSI such as colours and cursor moves, OSC titles,
    /// two-character escapes) and without BEL. Carriage returns and backspaces are kept.
    public static func stripANSI(_ s: String) -> String {
        var out = String.UnicodeScalarView()
        let scalars = Array(s.unicodeScalars)
        var i = 0
        while i < scalars.count {
            let c = scalars[i]
            if c == "\u{7}" {
                i += 1
                continue
            }
            guard c == "\u{1B}" else {
                out.append(c)
                i += 1
                continue
            }
            i += 1
            guard i < scalars.count else { break }
            switch scalars[i] {
            case "[":
                i += 1
                while i < scalars.count, !(0x40...0x7E).contains(scalars[i].value) { i += 1 }
                i += 1
            case "]":
                i += 1
                while i < scalars.count {
                    if scalars[i] == "\u{7}" { i += 1; break }
                    if scalars[i] == "\u{1B}", i + 1 < scalars.count, scalars[i + 1] == "\\" { i += 2; break }
                    i += 1
                }
            case "(", ")", "*", "+", "#":
                i += 2  // character set designation: ESC ( B
            default:
                i += 1
            }
        }
        return String(out)
    }

    // MARK: Process

    /// Waits for the child to exit and returns its exit status, or 128 + the signal number if a
    /// signal ended it (as shells report it). When it returns, `transcript` holds everything the
    /// child wrote (unless a process it started still has the terminal open).
    public func waitForExit(timeout: Duration = .seconds(10)) throws -> Int32 {
        let deadline = ContinuousClock.now + timeout
        while true {
            if let status = reap(blocking: false) {
                waitForReader(until: min(deadline, ContinuousClock.now + .seconds(2)))
                return status
            }
            if ContinuousClock.now >= deadline { throw Failure.exitTimedOut(transcript: transcript) }
            usleep(10_000)
        }
    }

    /// Output written just before exiting can still be in the terminal's buffer; wait until the
    /// reader has drained it (end of file on the master).
    private func waitForReader(until deadline: ContinuousClock.Instant) {
        let seconds = Self.seconds(max(deadline - ContinuousClock.now, .zero))
        let limit = Date().addingTimeInterval(seconds)
        output.condition.lock()
        while !output.readerFinished && output.condition.wait(until: limit) {}
        output.condition.unlock()
    }

    /// Ends the child: SIGTERM, then SIGKILL if it is still there after a second. Idempotent.
    public func terminate() {
        if reap(blocking: false) == nil {
            kill(pid, SIGTERM)
            let deadline = ContinuousClock.now + .seconds(1)
            while reap(blocking: false) == nil {
                if ContinuousClock.now >= deadline {
                    kill(pid, SIGKILL)
                    _ = reap(blocking: true)
                    break
                }
                usleep(10_000)
            }
        }
        var byte: UInt8 = 1
        _ = write(stopWrite, &byte, 1)
    }

    private func reap(blocking: Bool) -> Int32? {
        output.condition.lock()
        defer { output.condition.unlock() }
        if let exitStatus { return exitStatus }
        var status: Int32 = 0
        let result = waitpid(pid, &status, blocking ? 0 : WNOHANG)
        guard result == pid else { return nil }
        let signal = status & 0x7F
        let code = signal == 0 ? (status >> 8) & 0xFF : 128 + signal
        exitStatus = code
        return code
    }

    // MARK: Internals

    /// Drains the master until the last slave holder closes it (EIO) or `terminate()` asks, so the
    /// child never blocks on a full terminal buffer.
    private static func readLoop(master: Int32, stop: Int32, output: Output) {
        var buffer = [UInt8](repeating: 0, count: 4096)
        var fds = [pollfd(fd: master, events: Int16(POLLIN), revents: 0), pollfd(fd: stop, events: Int16(POLLIN), revents: 0)]
        while true {
            fds[0].revents = 0
            fds[1].revents = 0
            if poll(&fds, 2, -1) < 0 {
                if errno == EINTR { continue }
                break
            }
            if fds[0].revents != 0 {
                let n = buffer.withUnsafeMutableBytes { read(master, $0.baseAddress, $0.count) }
                if n > 0 {
                    output.condition.lock()
                    output.received.append(contentsOf: buffer[0..<n])
                    output.screen.feed(buffer[0..<n])
                    output.condition.broadcast()
                    output.condition.unlock()
                    continue
                }
                if n < 0 && (errno == EINTR || errno == EAGAIN) { continue }
                break  // EIO: no process has the slave open any more
            }
            if fds[1].revents != 0 { break }
        }
        output.condition.lock()
        output.readerFinished = true
        output.condition.broadcast()
        output.condition.unlock()
    }

    private static func openMaster() throws -> (Int32, String) {
        #if os(Linux)
        let master = open("/dev/ptmx", O_RDWR | O_NOCTTY | O_CLOEXEC)
        guard master >= 0 else { throw Failure.openFailed("open /dev/ptmx", errno: errno) }
        // unlockpt() and ptsname() are not visible to Swift on Linux; these are the ioctls they use
        // (<asm-generic/ioctls.h>, the same on x86_64 and arm64).
        let setLock: UInt = 0x4004_5431  // TIOCSPTLCK
        let getNumber: UInt = 0x8004_5430  // TIOCGPTN
        var unlock: Int32 = 0
        var number: UInt32 = 0
        guard ioctl(master, setLock, &unlock) == 0, ioctl(master, getNumber, &number) == 0 else {
            let code = errno
            close(master)
            throw Failure.openFailed("unlock pseudo-terminal", errno: code)
        }
        return (master, "/dev/pts/\(number)")
        #else
        var master: Int32 = -1
        var slave: Int32 = -1
        var name = [CChar](repeating: 0, count: 1024)
        guard openpty(&master, &slave, &name, nil, nil) == 0 else { throw Failure.openFailed("openpty", errno: errno) }
        close(slave)
        _ = fcntl(master, F_SETFD, FD_CLOEXEC)
        return (master, String(cString: name))
        #endif
    }

    /// posix_spawn, not fork: the test process is multithreaded. The child starts a new session
    /// and opens the slave by path as fds 0/1/2, which makes it its controlling terminal. Signal
    /// mask and dispositions are reset, since the test runner may ignore or block some.
    private static func spawn(executable: String, arguments: [String], environment: [String: String], terminal: String) throws -> pid_t {
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, terminal, O_RDWR, 0)
        posix_spawn_file_actions_adddup2(&actions, 0, 1)
        posix_spawn_file_actions_adddup2(&actions, 0, 2)

        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        #if os(Linux)
        let setSession: Int32 = 0x80  // POSIX_SPAWN_SETSID (glibc, not imported into Swift)
        #else
        let setSession: Int32 = 0x400  // POSIX_SPAWN_SETSID (Darwin)
        #endif
        posix_spawnattr_setflags(&attributes, Int16(setSession | POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF))
        var noSignals = sigset_t()
        sigemptyset(&noSignals)
        posix_spawnattr_setsigmask(&attributes, &noSignals)
        var allSignals = sigset_t()
        sigemptyset(&allSignals)
        for signal in 1..<32 where signal != SIGKILL && signal != SIGSTOP {
            sigaddset(&allSignals, Int32(signal))
        }
        posix_spawnattr_setsigdefault(&attributes, &allSignals)

        let argv = ([executable] + arguments).map { strdup($0) }
        let envp = environment.map { strdup("\($0.key)=\($0.value)") }
        defer {
            argv.forEach { free($0) }
            envp.forEach { free($0) }
        }
        var pid: pid_t = 0
        let result = (argv + [nil]).withUnsafeBufferPointer { argvBuffer in
            (envp + [nil]).withUnsafeBufferPointer { envpBuffer in
                // Both buffers hold at least the terminating nil, so they have a base address.
                guard let argvBase = argvBuffer.baseAddress, let envpBase = envpBuffer.baseAddress else { return EINVAL }
                return posix_spawn(&pid, executable, &actions, &attributes, argvBase, envpBase)
            }
        }
        guard result == 0 else { throw Failure.spawnFailed(executable, errno: result) }
        return pid
    }

    private static func find(_ needle: [UInt8], in haystack: [UInt8], from start: Int) -> Range<Int>? {
        guard !needle.isEmpty else { return start..<start }
        guard haystack.count - start >= needle.count else { return nil }
        var index = start
        while index + needle.count <= haystack.count {
            if haystack[index] == needle[0] && haystack[index..<(index + needle.count)].elementsEqual(needle) {
                return index..<(index + needle.count)
            }
            index += 1
        }
        return nil
    }

    private static func seconds(_ duration: Duration) -> TimeInterval {
        let parts = duration.components
        return TimeInterval(parts.seconds) + TimeInterval(parts.attoseconds) / 1e18
    }
}
