import Foundation
import SwitchboardTestSupport

/// `switchboard serve` as a child process on a free port.
final class ServerProcess {
    let process = Process()
    let dataDirectory: String
    private(set) var port = 0
    private let stderrPipe = Pipe()
    private let log = LogBuffer()

    init(dataDirectory: String = TestServer.makeTemporaryDirectory(), extraArguments: [String] = []) throws {
        self.dataDirectory = dataDirectory
        process.executableURL = try Binary.url
        process.arguments = ["serve", "--data-dir", dataDirectory, "--listen", "127.0.0.1:0", "--log-level", "debug"] + extraArguments
        process.standardError = stderrPipe
        process.standardOutput = FileHandle.nullDevice
        let log = self.log
        stderrPipe.fileHandleForReading.readabilityHandler = { handle in
            let data = handle.availableData
            if !data.isEmpty { log.append(data) }
        }
        try process.run()
        let deadline = Date().addingTimeInterval(30)
        while Date() < deadline {
            if let range = log.text.range(of: #"port=(\d+)"#, options: .regularExpression) {
                port = Int(log.text[range].dropFirst("port=".count))!
                return
            }
            Thread.sleep(forTimeInterval: 0.05)
        }
        process.terminate()
        throw TestSupportError("server did not report its port; log:\n\(log.text)")
    }

    var logText: String { log.text }
    var address: String { "127.0.0.1:\(port)" }

    /// Sends SIGTERM and returns the exit status.
    func terminate() -> Int32 {
        process.terminate()
        process.waitUntilExit()
        Thread.sleep(forTimeInterval: 0.1)
        stderrPipe.fileHandleForReading.readabilityHandler = nil
        return process.terminationStatus
    }
}

final class LogBuffer: @unchecked Sendable {
    // Guarded by `lock`; written from the pipe's handler thread.
    private let lock = NSLock()
    private var data = Data()
    func append(_ chunk: Data) { lock.withLock { data.append(chunk) } }
    var text: String { lock.withLock { String(decoding: data, as: UTF8.self) } }
}
