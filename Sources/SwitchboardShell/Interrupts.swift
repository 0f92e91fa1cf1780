import Dispatch
import Foundation
import Synchronization

/// Ctrl-C while the shell waits for something long (a sync run).
public protocol InterruptSource: Sendable {
    /// Calls `handler` for each interrupt until the returned handle is cancelled.
    func install(_ handler: @escaping @Sendable () -> Void) -> InterruptHandle
}

/// Undoes `InterruptSource.install`.
public struct InterruptHandle: Sendable {
    private let onCancel: @Sendable () -> Void
    public init(onCancel: @escaping @Sendable () -> Void) { self.onCancel = onCancel }
    public func cancel() { onCancel() }
}

/// SIGINT through a handler that writes to a pipe, read by a dispatch source. While installed,
/// the signal's default action (ending the process) is off; cancelling restores the previous
/// disposition, e.g. the line editor's or the default.
///
/// Not a `DispatchSource.makeSignalSource`: on Linux libdispatch installs its own SIGINT handler
/// only for the first source of the process, so once that disposition was put back, a later
/// source (or SIG_IGN, which drops the signal) never saw Ctrl-C again.
public struct SignalInterrupts: InterruptSource {
    public init() {}

    public func install(_ handler: @escaping @Sendable () -> Void) -> InterruptHandle {
        let pipe = SignalPipe.shared
        let id = pipe.add(handler)
        var action = sigaction()
        #if os(Linux)
        action.__sigaction_handler.sa_handler = { _ in SignalPipe.shared.signalled() }
        #else
        action.__sigaction_u.__sa_handler = { _ in SignalPipe.shared.signalled() }
        #endif
        sigemptyset(&action.sa_mask)
        action.sa_flags = SA_RESTART
        var previous = sigaction()
        sigaction(SIGINT, &action, &previous)
        let saved = SavedAction(previous)
        return InterruptHandle {
            saved.restore()
            pipe.remove(id)
        }
    }

    /// The disposition found at `install`, put back once.
    private final class SavedAction: Sendable {
        private let action: Mutex<sigaction?>
        init(_ action: sigaction) { self.action = Mutex(action) }
        func restore() {
            action.withLock { saved in
                guard var previous = saved else { return }
                sigaction(SIGINT, &previous, nil)
                saved = nil
            }
        }
    }
}

/// The process's one SIGINT pipe (never closed, so the handler never writes to a reused
/// descriptor): the handler writes a byte (async-signal-safe), a dispatch source reads it and
/// calls the handlers installed now.
private final class SignalPipe: Sendable {
    static let shared = SignalPipe()

    private let readEnd: Int32
    private let writeEnd: Int32
    private let handlers = Mutex<(next: Int, byId: [Int: @Sendable () -> Void])>((0, [:]))
    /// Kept for the life of the process.
    nonisolated(unsafe) private let source: (any DispatchSourceRead)?

    private init() {
        var fds: [Int32] = [-1, -1]
        if pipe(&fds) == 0 {
            for fd in fds {
                _ = fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK)
                _ = fcntl(fd, F_SETFD, FD_CLOEXEC)
            }
        }
        readEnd = fds[0]
        writeEnd = fds[1]
        source = readEnd >= 0 ? DispatchSource.makeReadSource(fileDescriptor: readEnd, queue: .global()) : nil
        source?.setEventHandler { [self] in
            guard drain() else { return }
            for handler in handlers.withLock({ Array($0.byId.values) }) { handler() }
        }
        source?.resume()
    }

    /// Called in the signal handler: only `write(2)`.
    func signalled() {
        var byte: UInt8 = 1
        _ = write(writeEnd, &byte, 1)  // a full pipe already means "interrupted"
    }

    func add(_ handler: @escaping @Sendable () -> Void) -> Int {
        _ = drain()  // a Ctrl-C from before does not count
        return handlers.withLock { state in
            state.next += 1
            state.byId[state.next] = handler
            return state.next
        }
    }

    func remove(_ id: Int) {
        _ = handlers.withLock { $0.byId.removeValue(forKey: id) }
    }

    /// Empties the pipe; true if it held anything.
    private func drain() -> Bool {
        guard readEnd >= 0 else { return false }
        var any = false
        var sink = [UInt8](repeating: 0, count: 64)
        while sink.withUnsafeMutableBytes({ read(readEnd, $0.baseAddress, $0.count) }) > 0 { any = true }
        return any
    }
}

/// Interrupts fired by hand (tests).
public final class ManualInterrupts: InterruptSource {
    private let handlers = Mutex<[Int: @Sendable () -> Void]>([:])
    private let nextId = Mutex(0)

    public init() {}

    public func install(_ handler: @escaping @Sendable () -> Void) -> InterruptHandle {
        let id = nextId.withLock { id in
            id += 1
            return id
        }
        handlers.withLock { $0[id] = handler }
        return InterruptHandle { [self] in _ = handlers.withLock { $0.removeValue(forKey: id) } }
    }

    /// True while something waits for an interrupt.
    public var isInstalled: Bool { handlers.withLock { !$0.isEmpty } }

    /// Sends an interrupt to whatever is installed now.
    public func fire() {
        for handler in handlers.withLock({ Array($0.values) }) { handler() }
    }
}
