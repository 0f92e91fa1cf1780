import Foundation
import SwitchboardTestSupport

/// The built `switchboard` executable, run as a separate process.
enum Binary {
    static var url: URL {
        get throws {
            // Test bundles and executables share the build products folder.
            var directory = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
            for _ in 0..<4 {
                let candidate = directory.appendingPathComponent("switchboard")
                if FileManager.default.isExecutableFile(atPath: candidate.path) { return candidate }
                directory = directory.deletingLastPathComponent()
            }
            if let path = ProcessInfo.processInfo.environment["SWITCHBOARD_BIN"] { return URL(fileURLWithPath: path) }
            throw TestSupportError("switchboard executable not found next to \(CommandLine.arguments[0])")
        }
    }

    struct Output {
        var status: Int32
        var stdout: String
        var stderr: String
    }

    /// Runs `switchboard ARGS` to completion, feeding `stdin`.
    /// With `viaShell`, `arguments` is `["sh", "-c", SCRIPT, ARGS...]` and the script sees the binary as `$0`.
    static func run(_ arguments: [String], stdin: String = "", environment: [String: String] = [:], viaShell: Bool = false) throws -> Output {
        let process = Process()
        if viaShell {
            process.executableURL = URL(fileURLWithPath: "/bin/sh")
            process.arguments = ["-c", arguments[2], try url.path] + arguments.dropFirst(3)
        } else {
            process.executableURL = try url
            process.arguments = arguments
        }
        var env = ProcessInfo.processInfo.environment
        env.removeValue(forKey: "SWITCHBOARD_TOKEN")
        for (k, v) in environment { env[k] = v }
        process.environment = env
        let input = Pipe(), output = Pipe(), error = Pipe()
        process.standardInput = input
        process.standardOutput = output
        process.standardError = error
        try process.run()
        input.fileHandleForWriting.write(Data(stdin.utf8))
        try input.fileHandleForWriting.close()
        let out = output.fileHandleForReading.readDataToEndOfFile()
        let err = error.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return Output(status: process.terminationStatus, stdout: String(decoding: out, as: UTF8.self), stderr: String(decoding: err, as: UTF8.self))
    }
}

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
