// The admin shell's line editor: libedit's native API (<histedit.h>) wrapped for Swift.
//
// Design, in short:
// - Everything that touches libedit or writes to the terminal runs on the thread blocked in
//   `readLine`. Other threads only queue text (`printAbove`) and wake that thread through a pipe.
// - libedit calls back into Swift through C function pointers that cannot capture anything; they
//   find their `EditorCore` through EL_CLIENTDATA (an unretained `Unmanaged` pointer).
// - Our own read function (EL_GETCFN) polls the terminal and the wake pipe. When text is queued it
//   hands libedit a reserved key bound to our "internal" function, which prints the text above
//   the prompt and redraws, so libedit's picture of the screen stays right.
// - Ctrl-C is a key, not a signal: ISIG is off while editing ("setty -d -isig"), so the process is
//   never killed from the keyboard while the terminal is in raw mode.

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import CLibEdit
import Synchronization

/// What one call of `LineEditor.readLine(prompt:)` produced.
public enum LineEditorInput: Sendable, Equatable {
    case line(String), interrupted, endOfInput
}

/// An interactive line editor on the process's terminal (stdin/stdout): emacs key bindings, history
/// (Up/Down, Ctrl-R), Tab completion, and messages printed above the prompt from other threads.
///
/// One instance per process: libedit's signal handling is process-wide, and `init` sets the C
/// locale's LC_CTYPE (from the environment, falling back to C.UTF-8 so UTF-8 input always works).
/// When stdin or stdout is not a terminal, `readLine` reads plain lines without prompt or editing.
///
/// Keys beyond libedit's emacs defaults: Tab completes, Ctrl-R searches history backwards, Ctrl-C
/// abandons the line, Ctrl-Z suspends (the terminal's own ISIG is off while a line is edited).
/// The completer runs inside `readLine`; it may call `printAbove`, but not the other methods
/// (they wait for `readLine` to return).
public final class LineEditor: @unchecked Sendable {
    private let core: EditorCore

    /// historyFile nil = no persistent history. Loads it if present (creating the parent directory when saving).
    public init(programName: String, historyFile: String?, historySize: Int = 1000) {
        core = EditorCore(programName: programName, historyFile: historyFile, historySize: historySize)
    }

    /// Called on Tab with the whole line and the cursor offset (in characters); returns the full candidate words for the word
    /// under the cursor (the text from the last unquoted space before the cursor). The editor inserts the longest common
    /// prefix; one candidate gets a trailing space; several with nothing more in common are listed in columns below the
    /// line, then the prompt and line are redrawn. May be slow (it may ask the server), it runs on the editor thread.
    public var completer: (@Sendable (_ line: String, _ cursor: Int) -> [String])? {
        get { core.completer.withLock { $0 } }
        set { core.completer.withLock { $0 = newValue } }
    }

    /// Whether stdin and stdout are a terminal, i.e. whether `readLine` edits and shows a prompt.
    public var isInteractive: Bool { core.interactive }

    /// Blocks the calling thread (call it from a dedicated thread, not Swift's cooperative pool). Ctrl-D on an empty line
    /// → .endOfInput; Ctrl-C → the line is abandoned, "^C" shown, → .interrupted (the caller shows a fresh prompt).
    /// Does NOT add to history by itself.
    ///
    /// The prompt may contain ANSI escape sequences (colours); they take no columns.
    public func readLine(prompt: String) -> LineEditorInput {
        core.session.withLock { _ in core.readLine(prompt: prompt) }
    }

    /// No echo (termios on the terminal, restored afterwards even on Ctrl-C → returns nil), never stored in history.
    /// Ctrl-D on an empty entry or end of input also return nil. Without a terminal, reads one line and shows no prompt.
    public func readSecret(prompt: String) -> String? {
        core.session.withLock { _ in core.readSecret(prompt: prompt) }
    }

    /// Adds to in-memory history and saves the file (duplicates ignored: H_SETUNIQUE). The caller decides what is safe to store.
    ///
    /// Blank lines are not stored. libedit's history is not thread-safe, so a call made while another
    /// thread is inside `readLine` waits until that returns.
    public func addHistory(_ line: String) {
        core.session.withLock { _ in core.addHistory(line) }
    }

    /// Thread-safe, callable from any thread while readLine is blocked: prints `text` (may be multi-line) above the prompt
    /// line, then redraws the prompt and the partly typed line with the cursor where it was. When no readLine is active, just prints.
    public func printAbove(_ text: String) {
        core.printAbove(text)
    }
}

// MARK: - Editor state shared with the C callbacks

/// State reached from libedit's callbacks. Fields marked "editor thread" are only touched by the
/// thread inside `readLine`/`readSecret`; the others are behind mutexes.
final class EditorCore: @unchecked Sendable {
    /// Bound to our internal function; libedit receives it from our read function (never from the
    /// user's keyboard in practice; if typed, it only flushes pending messages).
    static let internalKey: wchar_t = 0x1E  // Ctrl-^, unassigned in libedit's emacs map
    /// Marks the start and end of invisible prompt text (EL_PROMPT_ESC).
    static let promptLiteralMarker: CChar = 1

    /// Serialises readLine / readSecret / addHistory: libedit and its history are single-threaded.
    let session = Mutex<Void>(())
    let completer = Mutex<(@Sendable (String, Int) -> [String])?>(nil)
    /// Text from `printAbove` not yet shown, and whether a reader is active to show it.
    private let outbox = Mutex<Outbox>(Outbox())

    let interactive: Bool
    private let inputFD: Int32 = STDIN_FILENO
    private let el: OpaquePointer?
    private let history: OpaquePointer?
    private let historyFile: String?
    private let wakeRead: Int32
    private let wakeWrite: Int32

    // Editor thread only.
    private var promptCString: UnsafeMutablePointer<CChar>?
    private var promptCells: [PromptCell] = []
    private var step: Step = .idle
    private var interrupted = false
    private var editing = false
    private var inputBytes: [UInt8] = []
    private var inputIndex = 0
    private var swallowLineFeed = false
    /// The terminal settings before raw mode, for Ctrl-Z.
    private var cookedSettings: termios?

    private struct Outbox {
        var readerActive = false
        var messages: [String] = []
    }

    /// A multi-key action in progress: the first half moves libedit's cursor and returns
    /// CC_CURSOR (libedit moves the real cursor there), then pushes `internalKey` so the second
    /// half runs next, with the terminal cursor at a known place.
    private enum Step {
        case idle
        /// Cursor was moved to the start of the line; print messages from the prompt's first row.
        case printMessages(restoreBy: Int32)
        /// Cursor was moved to the end of the line; show "^C" and end the line.
        case finishInterrupt
        /// Cursor was moved to the end of the line; list the candidates below it.
        case listCandidates([String], restoreBy: Int32)
        /// Cursor was moved to the end of the line; stop the process (Ctrl-Z).
        case suspend(restoreBy: Int32)
    }

    init(programName: String, historyFile: String?, historySize: Int) {
        _ = shim_setlocale_ctype_utf8()
        interactive = isatty(STDIN_FILENO) == 1 && isatty(STDOUT_FILENO) == 1
        self.historyFile = historyFile

        var fds: [Int32] = [-1, -1]
        if pipe(&fds) == 0 {
            for fd in fds {
                _ = fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK)
                _ = fcntl(fd, F_SETFD, FD_CLOEXEC)
            }
        }
        wakeRead = fds[0]
        wakeWrite = fds[1]

        history = history_init()
        if let history {
            _ = shim_history_setsize(history, Int32(clamping: max(historySize, 1)))
            _ = shim_history_setunique(history, 1)
            if let historyFile, access(historyFile, R_OK) == 0 {
                _ = shim_history_load(history, historyFile)
            }
        }

        el = el_init(programName, shim_stdin(), shim_stdout(), shim_stderr())
        promptCString = strdup("")
        guard let el else { return }
        _ = shim_el_set_clientdata(el, Unmanaged.passUnretained(self).toOpaque())
        _ = shim_el_set_prompt(el, { el in EditorCore.from(el)?.promptCString ?? shim_empty_prompt() }, Self.promptLiteralMarker)
        _ = shim_el_set_editor(el, "emacs")
        _ = shim_el_set_signal(el, 1)
        if let history { _ = shim_el_set_hist(el, history) }
        // Ctrl-C must reach us as a key (see the file comment); other tty settings stay as they are.
        _ = shim_el_setty_edit(el, "-isig")
        _ = shim_el_set_getcfn(el) { el, character in
            guard let core = EditorCore.from(el), let character else { return -1 }
            return core.readCharacter(into: character)
        }
        _ = shim_el_addfn(el, "sb-complete", "Complete the word under the cursor") { el, _ in
            EditorCore.from(el)?.complete() ?? UInt8(CC_ERROR)
        }
        _ = shim_el_addfn(el, "sb-interrupt", "Abandon the line") { el, _ in
            EditorCore.from(el)?.interrupt() ?? UInt8(CC_ERROR)
        }
        _ = shim_el_addfn(el, "sb-suspend", "Suspend the program") { el, _ in
            EditorCore.from(el)?.suspend() ?? UInt8(CC_ERROR)
        }
        _ = shim_el_addfn(el, "sb-internal", "Internal: messages and redraws") { el, _ in
            EditorCore.from(el)?.runStep() ?? UInt8(CC_NORM)
        }
        _ = shim_el_bind(el, "^I", "sb-complete")
        _ = shim_el_bind(el, "^C", "sb-interrupt")
        _ = shim_el_bind(el, "^Z", "sb-suspend")
        _ = shim_el_bind(el, "^^", "sb-internal")
        // libedit's emacs map has Ctrl-R as redisplay; make it the usual reverse history search.
        _ = shim_el_bind(el, "^R", "em-inc-search-prev")
    }

    deinit {
        if let el { el_end(el) }  // restores the terminal settings it found
        if let history { history_end(history) }
        free(promptCString)
        if wakeRead >= 0 { close(wakeRead) }
        if wakeWrite >= 0 { close(wakeWrite) }
    }

    static func from(_ el: OpaquePointer?) -> EditorCore? {
        guard let el, let raw = shim_el_get_clientdata(el) else { return nil }
        return Unmanaged<EditorCore>.fromOpaque(raw).takeUnretainedValue()
    }

    // MARK: readLine

    func readLine(prompt: String) -> LineEditorInput {
        guard let el else { return fallbackReadLine(prompt: prompt) }
        setPrompt(prompt)
        interrupted = false
        step = .idle
        editing = interactive && shim_el_editmode(el) == 1
        if editing {
            var settings = termios()
            cookedSettings = tcgetattr(inputFD, &settings) == 0 ? settings : nil
            outbox.withLock { $0.readerActive = true }
            _ = shim_el_prep_term(el, 1)
        }

        var count: Int32 = 0
        let result = el_wgets(el, &count)

        let wasEditing = editing
        let leftovers = finishReading()
        defer { writeOut(leftovers) }
        if interrupted {
            writeOut("\n")
            return .interrupted
        }
        guard let result, count > 0 else {
            if wasEditing { writeOut("\n") }  // leave the cursor on a fresh line after "^D"
            return .endOfInput
        }
        var scalars = Self.scalars(from: result, to: result + Int(count))
        // Editing ends the line with "\n"; plain input may end it with "\r\n".
        if scalars.last == "\n" { scalars.removeLast() }
        if scalars.last == "\r" {
            scalars.removeLast()
            // Without a terminal libedit ends a line at "\r" already; its "\n" is not another line.
            swallowLineFeed = !wasEditing
        }
        return .line(String(String.UnicodeScalarView(scalars)))
    }

    /// Ends a read: stops routing `printAbove` through the pipe and returns what was still queued.
    private func finishReading() -> String {
        editing = false
        let messages = outbox.withLock { box -> [String] in
            box.readerActive = false
            defer { box.messages.removeAll() }
            return box.messages
        }
        drainWakePipe()
        return messages.map(Self.terminated).joined()
    }

    /// Used only if el_init failed (it needs memory and a usable stdin/stdout).
    private func fallbackReadLine(prompt: String) -> LineEditorInput {
        if interactive { writeOut(prompt) }
        guard let line = Swift.readLine(strippingNewline: true) else { return .endOfInput }
        return .line(line)
    }

    // MARK: Prompt

    /// One printed position of the prompt: a character, possibly preceded by invisible escape
    /// sequences. libedit prints a literal together with the visible character after it, and drops
    /// a literal that has none, so every escape sequence is attached to a visible character.
    private struct PromptCell {
        var literal: String
        var character: Unicode.Scalar
    }

    private func setPrompt(_ prompt: String) {
        promptCells = Self.promptCells(prompt)
        var encoded = ""
        for cell in promptCells {
            if !cell.literal.isEmpty {
                encoded += "\u{1}\(cell.literal)\u{1}"
            }
            encoded.unicodeScalars.append(cell.character)
        }
        free(promptCString)
        promptCString = strdup(encoded)
    }

    private static func promptCells(_ prompt: String) -> [PromptCell] {
        var cells: [PromptCell] = []
        var pending = ""
        let scalars = Array(prompt.unicodeScalars)
        var index = 0
        while index < scalars.count {
            let scalar = scalars[index]
            if scalar == "\u{1B}" {
                let end = escapeSequenceEnd(scalars, from: index)
                for s in scalars[index..<end] { pending.unicodeScalars.append(s) }
                index = end
                continue
            }
            index += 1
            if scalar == "\u{1}" { continue }
            if !pending.isEmpty && displayWidth(scalar) > 0 {
                cells.append(PromptCell(literal: pending, character: scalar))
                pending = ""
            } else {
                cells.append(PromptCell(literal: "", character: scalar))
            }
        }
        // Escape sequences at the very end (typically a colour reset): attach them to the last
        // visible character so they are not lost.
        if !pending.isEmpty, let last = cells.lastIndex(where: { displayWidth($0.character) > 0 }) {
            cells[last].literal += pending
        }
        return cells
    }

    /// Index after the escape sequence starting at `start` (CSI, OSC, or a two-character escape).
    private static func escapeSequenceEnd(_ s: [Unicode.Scalar], from start: Int) -> Int {
        var i = start + 1
        guard i < s.count else { return i }
        switch s[i] {
        case "[":
            i += 1
            while i < s.count, !(0x40...0x7E).contains(s[i].value) { i += 1 }
            return min(i + 1, s.count)
        case "]":
            i += 1
            while i < s.count {
                if s[i] == "\u{7}" { return i + 1 }
                if s[i] == "\u{1B}", i + 1 < s.count, s[i + 1] == "\\" { return i + 2 }
                i += 1
            }
            return i
        default:
            return i + 1
        }
    }

    /// Row (0-based) on which the prompt ends, laid out the way libedit does at `columns` width.
    private func promptEndRow(columns: Int) -> Int {
        guard columns > 0 else { return 0 }
        var row = 0
        var column = 0
        for cell in promptCells {
            if cell.character == "\n" {
                row += 1
                column = 0
                continue
            }
            let width = max(Self.displayWidth(cell.character), 0)
            if column + width > columns {
                row += 1
                column = 0
            }
            column += width
            if column >= columns {
                row += 1
                column = 0
            }
        }
        return row
    }

    static func displayWidth(_ scalar: Unicode.Scalar) -> Int {
        Int(shim_wcwidth(wchar_t(bitPattern: scalar.value)))
    }

    // MARK: Reading characters (EL_GETCFN)

    /// libedit's read function: one character into `character`; 1 = read, 0 = end of input,
    /// -1 = error. Decodes UTF-8 itself, waits on the terminal and the wake pipe, and returns
    /// `internalKey` when messages wait (only between whole characters, never inside one).
    func readCharacter(into character: UnsafeMutablePointer<wchar_t>) -> Int32 {
        while true {
            if let scalar = decodeBufferedInput() {
                if swallowLineFeed {
                    swallowLineFeed = false
                    if scalar == "\n" { continue }
                }
                character.pointee = wchar_t(bitPattern: scalar.value)
                // Pick up a changed window size before libedit draws this key. (libedit's own
                // SIGWINCH handler may run on any thread of a multithreaded process and re-arms
                // only in its built-in read function.)
                if editing, let el { el_resize(el) }
                return 1
            }
            let midCharacter = inputIndex < inputBytes.count
            if editing, !midCharacter, outbox.withLock({ !$0.messages.isEmpty }) {
                step = .idle
                character.pointee = Self.internalKey
                return 1
            }
            var fds = [
                pollfd(fd: inputFD, events: Int16(POLLIN), revents: 0),
                pollfd(fd: wakeRead, events: Int16(POLLIN), revents: 0),
            ]
            let ready = poll(&fds, editing && wakeRead >= 0 ? 2 : 1, -1)
            if ready < 0 {
                if errno == EINTR { continue }
                return -1
            }
            if fds[1].revents != 0 { drainWakePipe() }
            if fds[0].revents != 0 {
                var buffer = [UInt8](repeating: 0, count: 1024)
                let n = buffer.withUnsafeMutableBytes { read(inputFD, $0.baseAddress, $0.count) }
                if n > 0 {
                    if inputIndex >= inputBytes.count {
                        inputBytes.removeAll(keepingCapacity: true)
                        inputIndex = 0
                    }
                    inputBytes.append(contentsOf: buffer[0..<n])
                    continue
                }
                if n == 0 {
                    inputBytes.removeAll()
                    inputIndex = 0
                    character.pointee = 0
                    return 0
                }
                if errno == EINTR || errno == EAGAIN { continue }
                character.pointee = 0
                return -1
            }
        }
    }

    /// The next complete UTF-8 character from the input buffer; nil if empty or incomplete.
    /// Invalid bytes are skipped, as libedit's built-in reader does.
    private func decodeBufferedInput() -> Unicode.Scalar? {
        while inputIndex < inputBytes.count {
            let lead = inputBytes[inputIndex]
            let length: Int
            switch lead {
            case 0x00...0x7F: length = 1
            case 0xC2...0xDF: length = 2
            case 0xE0...0xEF: length = 3
            case 0xF0...0xF4: length = 4
            default:
                inputIndex += 1
                continue
            }
            guard inputBytes.count - inputIndex >= length else { return nil }
            var iterator = inputBytes[inputIndex..<(inputIndex + length)].makeIterator()
            var decoder = Unicode.UTF8()
            if case .scalarValue(let scalar) = decoder.decode(&iterator) {
                inputIndex += length
                return scalar
            }
            inputIndex += 1
        }
        return nil
    }

    private func drainWakePipe() {
        guard wakeRead >= 0 else { return }
        var sink = [UInt8](repeating: 0, count: 64)
        while sink.withUnsafeMutableBytes({ read(wakeRead, $0.baseAddress, $0.count) }) > 0 {}
    }

    // MARK: Key functions

    /// Tab: asks the completer and inserts, or lists the candidates below the line.
    func complete() -> UInt8 {
        guard let el, let info = el_wline(el)?.pointee, let buffer = info.buffer,
              let cursor = info.cursor, let lastchar = info.lastchar
        else { return UInt8(CC_ERROR) }
        guard let completer = completer.withLock({ $0 }) else { return UInt8(CC_REFRESH_BEEP) }

        let before = Self.scalars(from: buffer, to: cursor)
        let after = Self.scalars(from: cursor, to: lastchar)
        let line = String(String.UnicodeScalarView(before + after))
        let cursorCharacters = String(String.UnicodeScalarView(before)).count
        let wordStart = Self.wordStart(before)
        let word = String(String.UnicodeScalarView(before[wordStart...]))

        var seen = Set<String>()
        let candidates = completer(line, cursorCharacters).filter { !$0.isEmpty && seen.insert($0).inserted }
        if candidates.isEmpty { return UInt8(CC_REFRESH_BEEP) }

        if candidates.count == 1, let only = candidates.first {
            replaceWord(word, with: only)
            if after.first == " " {
                _ = el_cursor(el, 1)
            } else {
                insert(" ")
            }
            return UInt8(CC_REFRESH)
        }
        let common = Self.longestCommonPrefix(candidates)
        if common.count > word.count {
            replaceWord(word, with: common)
            return UInt8(CC_REFRESH)
        }
        let toEnd = Int32(after.count)
        _ = el_cursor(el, toEnd)
        step = .listCandidates(candidates, restoreBy: toEnd)
        pushInternalKey()
        return UInt8(CC_CURSOR)
    }

    /// Ctrl-C: moves to the end of the line so "^C" follows it, then ends the line (second step).
    func interrupt() -> UInt8 {
        guard let el, let info = el_wline(el)?.pointee, let cursor = info.cursor, let lastchar = info.lastchar
        else { return UInt8(CC_ERROR) }
        _ = el_cursor(el, Int32(lastchar - cursor))
        interrupted = true
        step = .finishInterrupt
        pushInternalKey()
        return UInt8(CC_CURSOR)
    }

    /// Ctrl-Z: with ISIG off the terminal does not stop us, so do what it would have done.
    func suspend() -> UInt8 {
        guard let el, let info = el_wline(el)?.pointee, let cursor = info.cursor, let lastchar = info.lastchar
        else { return UInt8(CC_ERROR) }
        let toEnd = Int32(lastchar - cursor)
        _ = el_cursor(el, toEnd)
        step = .suspend(restoreBy: toEnd)
        pushInternalKey()
        return UInt8(CC_CURSOR)
    }

    /// Restores the settings found, stops the process group like a terminal-generated SIGTSTP,
    /// and once continued (`fg`) goes back to raw mode and redraws on a fresh line. libedit's own
    /// SIGTSTP/SIGCONT handlers are set aside meanwhile: they would redraw from another thread.
    private func stopProcessGroup() {
        guard var cooked = cookedSettings else { return }
        var raw = termios()
        guard tcgetattr(inputFD, &raw) == 0 else { return }
        writeOut("^Z\n")
        var standard = sigaction()
        #if os(Linux)
        standard.__sigaction_handler.sa_handler = SIG_DFL
        #else
        standard.__sigaction_u.__sa_handler = SIG_DFL
        #endif
        var previousStop = sigaction()
        var previousContinue = sigaction()
        sigaction(SIGTSTP, &standard, &previousStop)
        sigaction(SIGCONT, &standard, &previousContinue)
        _ = tcsetattr(inputFD, TCSADRAIN, &cooked)
        kill(0, SIGTSTP)  // returns once continued; ignored in an orphaned process group
        _ = tcsetattr(inputFD, TCSADRAIN, &raw)
        sigaction(SIGCONT, &previousContinue, nil)
        sigaction(SIGTSTP, &previousStop, nil)
    }

    /// The reserved key: the second half of a step, or the start of printing queued messages.
    func runStep() -> UInt8 {
        guard let el else { return UInt8(CC_NORM) }
        let current = step
        step = .idle
        switch current {
        case .idle:
            guard outbox.withLock({ !$0.messages.isEmpty }),
                  let info = el_wline(el)?.pointee, let buffer = info.buffer, let cursor = info.cursor
            else { return UInt8(CC_NORM) }
            let offset = Int32(cursor - buffer)
            _ = el_cursor(el, -offset)
            step = .printMessages(restoreBy: offset)
            pushInternalKey()
            return UInt8(CC_CURSOR)

        case .printMessages(let offset):
            let text = outbox.withLock { box -> String in
                defer { box.messages.removeAll() }
                return box.messages.map(Self.terminated).joined()
            }
            let up = promptEndRow(columns: Int(shim_el_columns(el)))
            // From the first row of the prompt: clear to the end of the screen, print, redraw.
            writeOut("\r" + (up > 0 ? "\u{1B}[\(up)A" : "") + "\u{1B}[J" + text)
            _ = el_cursor(el, offset)
            _ = shim_el_refresh(el)
            return UInt8(CC_NORM)

        case .finishInterrupt:
            writeOut("^C")
            return UInt8(CC_NEWLINE)

        case .suspend(let offset):
            stopProcessGroup()
            _ = el_cursor(el, -offset)
            _ = shim_el_refresh(el)
            return UInt8(CC_NORM)

        case .listCandidates(let candidates, let offset):
            writeOut("\n" + Self.columns(candidates, width: Int(shim_el_columns(el))))
            _ = el_cursor(el, -offset)
            _ = shim_el_refresh(el)
            return UInt8(CC_NORM)
        }
    }

    private func pushInternalKey() {
        guard let el else { return }
        var key: [wchar_t] = [Self.internalKey, 0]
        el_wpush(el, &key)
    }

    private func replaceWord(_ word: String, with replacement: String) {
        guard let el else { return }
        if replacement.hasPrefix(word) {
            insert(String(replacement.dropFirst(word.count)))
        } else {
            el_deletestr(el, Int32(word.unicodeScalars.count))
            insert(replacement)
        }
    }

    private func insert(_ text: String) {
        guard let el, !text.isEmpty else { return }
        var wide = text.unicodeScalars.map { wchar_t(bitPattern: $0.value) }
        wide.append(0)
        _ = el_winsertstr(el, &wide)
    }

    private static func scalars(from start: UnsafePointer<wchar_t>, to end: UnsafePointer<wchar_t>) -> [Unicode.Scalar] {
        let count = max(end - start, 0)
        return (0..<count).map { Unicode.Scalar(UInt32(bitPattern: Int32(start[$0]))) ?? "\u{FFFD}" }
    }

    /// Start of the word before the cursor: just after the last space outside quotes.
    /// Backslash escapes the next character; quotes are '…' and "…".
    static func wordStart(_ before: [Unicode.Scalar]) -> Int {
        var start = 0
        var quote: Unicode.Scalar?
        var escaped = false
        for (index, scalar) in before.enumerated() {
            if escaped {
                escaped = false
            } else if scalar == "\\" && quote != "'" {
                escaped = true
            } else if let open = quote {
                if scalar == open { quote = nil }
            } else if scalar == "'" || scalar == "\"" {
                quote = scalar
            } else if scalar == " " || scalar == "\t" {
                start = index + 1
            }
        }
        return start
    }

    static func longestCommonPrefix(_ words: [String]) -> String {
        guard var prefix = words.first else { return "" }
        for word in words.dropFirst() {
            prefix = String(zip(prefix, word).prefix { $0 == $1 }.map(\.0))
            if prefix.isEmpty { break }
        }
        return prefix
    }

    /// Candidates in columns, sorted down then across like `ls`, fitting `width` terminal columns.
    static func columns(_ items: [String], width: Int) -> String {
        let widths = items.map { $0.unicodeScalars.reduce(0) { $0 + max(displayWidth($1), 0) } }
        let cell = (widths.max() ?? 0) + 2
        let perRow = max(1, (width > 0 ? width : 80) / max(cell, 1))
        let rows = (items.count + perRow - 1) / perRow
        var out = ""
        for row in 0..<rows {
            var line = ""
            var column = row
            while column < items.count {
                let next = column + rows
                line += items[column]
                if next < items.count {
                    line += String(repeating: " ", count: cell - widths[column])
                }
                column = next
            }
            out += line + "\n"
        }
        return out
    }

    // MARK: printAbove

    func printAbove(_ text: String) {
        let direct = outbox.withLock { box -> Bool in
            guard box.readerActive else {
                // Printed while holding the lock, so a readLine starting now draws its prompt after it.
                writeOut(Self.terminated(text))
                return true
            }
            box.messages.append(text)
            return false
        }
        if !direct, wakeWrite >= 0 {
            var byte: UInt8 = 1
            _ = write(wakeWrite, &byte, 1)  // a full pipe already means "wake up"
        }
    }

    private static func terminated(_ text: String) -> String {
        text.hasSuffix("\n") ? text : text + "\n"
    }

    /// All terminal output goes through C's stdout, the stream libedit writes to, so the order holds.
    private func writeOut(_ text: String) {
        guard !text.isEmpty else { return }
        fputs(text, shim_stdout())
        fflush(shim_stdout())
    }

    // MARK: readSecret

    func readSecret(prompt: String) -> String? {
        var saved = termios()
        guard isatty(inputFD) == 1, tcgetattr(inputFD, &saved) == 0 else {
            return Swift.readLine(strippingNewline: true)
        }
        var quiet = saved
        quiet.c_lflag &= ~tcflag_t(ECHO | ECHONL | ICANON | ISIG | IEXTEN)
        withUnsafeMutableBytes(of: &quiet.c_cc) { cc in
            cc[Int(VMIN)] = 1
            cc[Int(VTIME)] = 0
        }
        let controls = withUnsafeBytes(of: saved.c_cc) { cc in
            (interrupt: cc[Int(VINTR)], eof: cc[Int(VEOF)], erase: cc[Int(VERASE)], kill: cc[Int(VKILL)])
        }
        shim_tty_guard_begin(inputFD, &saved)
        _ = tcsetattr(inputFD, TCSADRAIN, &quiet)
        outbox.withLock { $0.readerActive = true }
        defer {
            _ = tcsetattr(inputFD, TCSADRAIN, &saved)
            shim_tty_guard_end()
            writeOut(finishReading())
        }

        writeOut(prompt)
        var secret: [UInt8] = []
        defer { secret.withUnsafeMutableBufferPointer { $0.update(repeating: 0) } }
        while true {
            var fds = [
                pollfd(fd: inputFD, events: Int16(POLLIN), revents: 0),
                pollfd(fd: wakeRead, events: Int16(POLLIN), revents: 0),
            ]
            if poll(&fds, wakeRead >= 0 ? 2 : 1, -1) < 0 {
                if errno == EINTR { continue }
                return nil
            }
            if fds[1].revents != 0 {
                drainWakePipe()
                let text = outbox.withLock { box -> String in
                    defer { box.messages.removeAll() }
                    return box.messages.map(Self.terminated).joined()
                }
                if !text.isEmpty { writeOut("\r\u{1B}[K" + text + prompt) }
            }
            guard fds[0].revents != 0 else { continue }
            var byte: UInt8 = 0
            let n = read(inputFD, &byte, 1)
            if n < 0, errno == EINTR || errno == EAGAIN { continue }
            if n <= 0 {
                writeOut("\n")
                return nil
            }
            switch byte {
            case controls.interrupt where controls.interrupt != 0:
                writeOut("^C\n")
                return nil
            case 0x0D, 0x0A:
                writeOut("\n")
                return String(decoding: secret, as: UTF8.self)
            case controls.eof where controls.eof != 0:
                if secret.isEmpty {
                    writeOut("\n")
                    return nil
                }
            case controls.erase where controls.erase != 0, 0x7F, 0x08:
                // Remove one whole UTF-8 character.
                while let last = secret.popLast(), last & 0xC0 == 0x80 {}
            case controls.kill where controls.kill != 0:
                secret.removeAll()
            default:
                if byte >= 0x20 || byte == 0x09 { secret.append(byte) }
            }
        }
    }

    // MARK: History

    func addHistory(_ line: String) {
        guard let history, !line.allSatisfy(\.isWhitespace) else { return }
        _ = shim_history_enter(history, line)
        saveHistory()
    }

    /// Writes the whole history to a new file created with mode 0600 and renames it over the old
    /// one: never readable by others, never half-written. Failures are ignored (history is a convenience).
    private func saveHistory() {
        guard let history, let historyFile else { return }
        Self.makeDirectories(Self.parentDirectory(of: historyFile))
        let temporary = "\(historyFile).\(getpid()).tmp"
        unlink(temporary)
        let fd = open(temporary, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0o600)
        guard fd >= 0 else { return }
        guard let file = fdopen(fd, "w") else {
            close(fd)
            unlink(temporary)
            return
        }
        let written = shim_history_save_fp(history, file)
        let closed = fclose(file)
        if written < 0 || closed != 0 || rename(temporary, historyFile) != 0 {
            unlink(temporary)
        }
    }

    private static func parentDirectory(of path: String) -> String {
        guard let slash = path.lastIndex(of: "/") else { return "." }
        return slash == path.startIndex ? "/" : String(path[..<slash])
    }

    /// mkdir -p with mode 0700 for the directories it creates.
    private static func makeDirectories(_ path: String) {
        var status = stat()
        if path.isEmpty || stat(path, &status) == 0 { return }
        makeDirectories(parentDirectory(of: path))
        _ = mkdir(path, 0o700)
    }
}
