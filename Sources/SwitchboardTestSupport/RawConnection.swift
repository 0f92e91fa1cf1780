import Foundation
import JSONRPC
import NIOCore
import SwitchboardClient

/// Sends bytes exactly as given and reads back lines, for framing tests.
public final class RawConnection: Sendable {
    let client: SwitchboardClient
    private let lines: LineReader

    init(client: SwitchboardClient) {
        self.client = client
        client.startPassthrough()
        lines = LineReader(client.rawLines)
    }

    /// Sends `text` followed by `\n`.
    public func send(_ text: String) { client.sendRaw(Array(text.utf8)) }
    /// Sends bytes followed by `\n`.
    public func send(bytes: [UInt8]) { client.sendRaw(bytes) }
    /// Sends bytes with no newline added.
    public func sendUnterminated(_ bytes: [UInt8]) { client.sendBytes(bytes) }
    /// Half-closes the sending side.
    public func finishSending() { client.finishSending() }
    public func close() { client.close() }

    /// The next line the server sent, parsed; nil if the connection ended or
    /// nothing came within `timeout`.
    public func next(timeout: Duration = .seconds(10)) async -> JSONValue? {
        guard let line = await nextLine(timeout: timeout) else { return nil }
        return try? JSONParser.parse(line)
    }

    public func nextLine(timeout: Duration = .seconds(10)) async -> [UInt8]? {
        await lines.next(timeout: timeout)
    }

    /// Sends one request line and returns the answer line.
    public func roundTrip(_ text: String) async -> JSONValue? {
        send(text)
        return await next()
    }

    /// Whether the server closed the connection within `timeout`.
    public func waitForClose(timeout: Duration = .seconds(10)) async -> Bool {
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            if await lines.isFinished(within: .milliseconds(100)) { return true }
        }
        return false
    }
}

/// Pulls lines from an AsyncStream with a timeout.
actor LineReader {
    private var iterator: AsyncStream<ByteBuffer>.AsyncIterator?
    private var buffered: [[UInt8]] = []
    private var finished = false
    private let stream: AsyncStream<ByteBuffer>
    private var pump: Task<Void, Never>?
    private var waiters: [CheckedContinuation<Void, Never>] = []

    init(_ stream: AsyncStream<ByteBuffer>) {
        self.stream = stream
    }

    private func startPump() {
        guard pump == nil else { return }
        let stream = self.stream
        pump = Task {
            for await line in stream { self.deliver(Array(line.readableBytesView)) }
            self.end()
        }
    }

    private func deliver(_ line: [UInt8]) {
        buffered.append(line)
        wake()
    }

    private func end() {
        finished = true
        wake()
    }

    private func wake() {
        let current = waiters
        waiters = []
        for waiter in current { waiter.resume() }
    }

    func next(timeout: Duration) async -> [UInt8]? {
        startPump()
        let deadline = ContinuousClock.now + timeout
        while buffered.isEmpty && !finished && ContinuousClock.now < deadline {
            await waitForChange(until: deadline)
        }
        return buffered.isEmpty ? nil : buffered.removeFirst()
    }

    func isFinished(within timeout: Duration) async -> Bool {
        startPump()
        let deadline = ContinuousClock.now + timeout
        while !finished && ContinuousClock.now < deadline {
            buffered.removeAll()
            await waitForChange(until: deadline)
        }
        return finished
    }

    private func waitForChange(until deadline: ContinuousClock.Instant) async {
        let timer = Task { [weak self] in
            try? await Task.sleep(until: deadline)
            await self?.wakeAll()
        }
        await withCheckedContinuation { waiters.append($0) }
        timer.cancel()
    }

    private func wakeAll() { wake() }
}
