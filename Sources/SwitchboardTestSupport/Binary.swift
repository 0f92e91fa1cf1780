import Foundation

/// The built `switchboard` executable, run as a separate process.
public enum Binary {
    public static var url: URL {
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

    public struct Output: Sendable {
        public var status: Int32
        public var stdout: String
        public var stderr: String
    }

    /// Runs `switchboard ARGS` to completion, feeding `stdin`.
    /// With `viaShell`, `arguments` is `["sh", "-c", SCRIPT, ARGS...]` and the script sees the binary as `$0`.
    public static func run(_ arguments: [String], stdin: String = "", environment: [String: String] = [:], viaShell: Bool = false) throws -> Output {
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
