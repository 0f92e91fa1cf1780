import Foundation
import JSONRPC
import SwitchboardClient
import SwitchboardTestSupport
import Testing

/// The executable end to end: `serve`, `call`, `rpc`, `version`, as separate processes.
@Suite(.serialized) struct CommandLineTests {
    @Test func serveCallRpcAndCleanShutdown() throws {
        let server = try ServerProcess()
        let common = ["--connect", server.address, "--data-dir", server.dataDirectory]

        let version = try Binary.run(["call", "system.version"] + common)
        #expect(version.status == 0)
        #expect(try JSONParser.parse(version.stdout)["version"] != nil)

        let failed = try Binary.run(["call", "users.create", #"{"name":"A","email":"nope"}"#] + common)
        #expect(failed.status == 1)
        #expect(failed.stderr.contains("-32022"))
        #expect(failed.stderr.contains("email"))

        let badJSON = try Binary.run(["call", "users.list", "{"] + common)
        #expect(badJSON.status != 0)

        // rpc: answers in input order, one line each; notifications give none.
        var input = ""
        for i in 0..<300 { input += #"{"jsonrpc":"2.0","id":\#(i),"method":"system.ping"}"# + "\n" }
        input += #"{"jsonrpc":"2.0","method":"system.ping"}"# + "\n"
        input += #"{"jsonrpc":"2.0","id":"last","method":"auth.whoami"}"# + "\n"
        let rpc = try Binary.run(["rpc"] + common, stdin: input)
        #expect(rpc.status == 0)
        let lines = rpc.stdout.split(separator: "\n").map { try? JSONParser.parse(String($0)) }
        #expect(lines.count == 301)
        #expect(lines.prefix(300).enumerated().allSatisfy { $1?["id"] == .int(Int64($0)) })
        #expect(lines.last??["result"]?["role"] == "operator")

        // Bytes pass through as they are: invalid UTF-8 reaches the server and is refused there.
        let invalid = try Binary.run(["rpc"] + common, stdin: String(decoding: [0x7B, 0xFF, 0x7D, 0x0A], as: UTF8.self))
        #expect(try JSONParser.parse(invalid.stdout)["error"]?["code"] == -32700)
        // A reader that stops early (`| head -1`) ends rpc quietly, without a crash.
        let head = try Binary.run(["sh", "-c", "yes '{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"system.ping\"}' | head -5000 | \"$0\" rpc \"$@\" | head -1"] + common, viaShell: true)
        #expect(head.status == 0)
        #expect(head.stdout.split(separator: "\n").count == 1)

        // The token from the environment works too, and a wrong one fails clearly.
        let token = try String(contentsOfFile: server.dataDirectory + "/operator.token", encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines)
        let viaEnv = try Binary.run(["call", "auth.whoami", "--connect", server.address], environment: ["SWITCHBOARD_TOKEN": token])
        #expect(viaEnv.status == 0)
        let wrong = try Binary.run(["call", "auth.whoami", "--connect", server.address, "--token", "key_x.y"])
        #expect(wrong.status == 1)
        #expect(wrong.stderr.contains("-32001"))

        #expect(server.terminate() == 0)
        let log = server.logText
        #expect(log.contains("connection opened"))
        #expect(log.contains("connection closed"))
        #expect(log.contains("server stopped"))
        // Secrets never reach the log.
        let secret = String(token[token.index(after: token.lastIndex(of: ".")!)...])
        #expect(!log.contains(secret))
    }

    @Test func sigtermFinishesRequestsInFlight() throws {
        let server = try ServerProcess()
        let token = try String(contentsOfFile: server.dataDirectory + "/operator.token", encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines)
        // A client logs in, then sends many requests; the server is told to stop while answering them.
        let fd = try LoopbackSocket.connect(port: server.port)
        defer { close(fd) }
        func sendAll(_ text: String) {
            let bytes = Array(text.utf8)
            var offset = 0
            while offset < bytes.count {
                let n = bytes[offset...].withUnsafeBytes { send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
                if n <= 0 { break }
                offset += n
            }
        }
        var received = Data()
        var buffer = [UInt8](repeating: 0, count: 65_536)
        func readSome() -> Bool {
            let n = recv(fd, &buffer, buffer.count, 0)
            if n > 0 { received.append(contentsOf: buffer[0..<n]) }
            return n > 0
        }
        sendAll(#"{"jsonrpc":"2.0","id":0,"method":"auth.login","params":{"token":"\#(token)"}}"# + "\n")
        while !received.contains(0x0A) { if !readSome() { break } }
        var text = ""
        for i in 1...5_000 { text += #"{"jsonrpc":"2.0","id":\#(i),"method":"users.list"}"# + "\n" }
        sendAll(text)
        _ = readSome()  // answers are flowing
        kill(server.process.processIdentifier, SIGTERM)
        while readSome() {}
        server.process.waitUntilExit()
        #expect(server.process.terminationStatus == 0)
        // Every answer that was written is complete and in order (no torn lines).
        let lines = String(decoding: received, as: UTF8.self).split(separator: "\n")
        #expect(!lines.isEmpty)
        for (i, line) in lines.enumerated() {
            #expect((try? JSONParser.parse(String(line)))?["id"] == .int(Int64(i)))
        }
    }

    @Test func configurationFromFileAndEnvironment() throws {
        let directory = TestServer.makeTemporaryDirectory()
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let configPath = directory + "/switchboard.json"
        try Data(#"{"region":"NL","maxBatch":2}"#.utf8).write(to: URL(fileURLWithPath: configPath))
        let server = try ServerProcess(dataDirectory: directory + "/data", extraArguments: ["--config", configPath])
        let common = ["--connect", server.address, "--data-dir", server.dataDirectory]
        #expect(try JSONParser.parse(Binary.run(["call", "accounts.get"] + common).stdout)["region"] == "NL")
        let batch = try Binary.run(["rpc"] + common, stdin: #"[{"jsonrpc":"2.0","id":1,"method":"system.ping"},{"jsonrpc":"2.0","id":2,"method":"system.ping"},{"jsonrpc":"2.0","id":3,"method":"system.ping"}]"# + "\n")
        #expect(try JSONParser.parse(batch.stdout)["error"]?["data"]?["maxBatch"] == 2)
        #expect(server.terminate() == 0)

        let bad = try Binary.run(["serve", "--data-dir", directory + "/data", "--listen", "nonsense"])
        #expect(bad.status != 0)
        #expect(bad.stderr.contains("listen"))
    }

    /// One server per data directory: a second `serve` on it stops at once with an error that
    /// names the running one, and leaves its files alone; once the first has stopped (even
    /// killed), the directory can be served again.
    @Test func aSecondServerOnTheSameDataDirectoryIsRefused() async throws {
        let directory = TestServer.makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let first = try ServerProcess(dataDirectory: directory)
        let token = try String(contentsOfFile: directory + "/operator.token", encoding: .utf8)
        let client = try await SwitchboardClient.connect(host: "127.0.0.1", port: first.port)
        _ = try await client.login(token: token.trimmingCharacters(in: .whitespacesAndNewlines))
        _ = try await client.call("phonebook.create", ["name": "Kept", "numbers": [["number": "+49 30 5557777"]]])

        // (Under `timeout`: a second server that did start would otherwise keep the test waiting.)
        let second = try Binary.run(
            ["sh", "-c", #"exec timeout 20 "$0" serve --data-dir "$1" --listen 127.0.0.1:0"#, directory], viaShell: true)
        #expect(second.status == 1, "refused at once, not stopped by the timeout (124)")
        #expect(second.stderr.contains("is in use by another Switchboard server (process \(first.process.processIdentifier))"), "\(second.stderr)")
        // The first server is untouched and still answers from its data.
        #expect(try await client.call("phonebook.lookup", ["number": "+49305557777"])["entry"]?["name"] == "Kept")
        client.close()

        kill(first.process.processIdentifier, SIGKILL)  // no clean shutdown: the kernel drops the lock
        first.process.waitUntilExit()
        let third = try ServerProcess(dataDirectory: directory)
        defer { _ = third.terminate() }
        let again = try await SwitchboardClient.connect(host: "127.0.0.1", port: third.port)
        _ = try await again.login(token: token.trimmingCharacters(in: .whitespacesAndNewlines))
        #expect(try await again.call("phonebook.lookup", ["number": "+49305557777"])["entry"]?["name"] == "Kept")
        again.close()
    }

    @Test func versionCommand() throws {
        let output = try Binary.run(["version"])
        #expect(output.status == 0)
        #expect(output.stdout.hasPrefix("switchboard "))
    }

    /// Benchmark arguments that would divide by zero, index an empty list or never finish are refused up front.
    @Test func benchRefusesArgumentsItCannotRunWith() throws {
        let dataDir = TestServer.makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: dataDir) }
        for (arguments, message) in [
            (["bench", "inline", "--requests", "0"], "--requests must be at least 1"),
            (["bench", "inline", "--entries", "1"], "--entries must be at least 2"),
            (["bench", "lookup", "--lookups", "0"], "--lookups must be at least 1"),
            (["bench", "seed-phonebook", "--batch", "0"], "--batch must be at least 1"),
            (["bench", "sync-csv", "--changed-percent", "0"], "--changed-percent must be 1 to 100"),
        ] {
            let output = try Binary.run(arguments + ["--data-dir", dataDir])
            #expect(output.status != 0, "\(arguments)")
            #expect(output.stderr.contains(message), "\(arguments): \(output.stderr)")
        }
        // Refused before anything was opened or written.
        #expect(try FileManager.default.contentsOfDirectory(atPath: dataDir).isEmpty)
        let refused = try Binary.run(["bench", "numbers", "--rows", "0"])
        #expect(refused.status != 0)
        #expect(refused.stderr.contains("--rows must be at least 1"), "\(refused.stderr)")
    }

    /// The number-parsing benchmark needs no data directory and reports both passes over the generated numbers.
    @Test func benchNumbersTimesTheGeneratedNumbers() throws {
        let output = try Binary.run(["bench", "numbers", "--rows", "300"])
        #expect(output.status == 0, "\(output.stderr)")
        let lines = output.stdout.split(separator: "\n")
        #expect(lines.first?.hasPrefix("300 rows, ") == true, "\(output.stdout)")
        #expect(lines.contains { $0.hasPrefix("stored number (parse, E.164, display form, lookup keys): ") && $0.contains(" µs per number") })
        #expect(lines.contains { $0.hasPrefix("parse and E.164 only: ") && $0.contains(" µs per number") })
    }

    /// The lookup benchmark on a small seeded book: every E.164 caller ID is found, through the
    /// service and as a request line answered from the caller-ID index.
    @Test func benchLookupFindsTheSeededCallerIDsBothWays() throws {
        let dataDir = FileManager.default.temporaryDirectory.appendingPathComponent("bench-lookup-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: dataDir) }
        let seeded = try Binary.run(["bench", "seed-phonebook", "--data-dir", dataDir, "--entries", "40"])
        #expect(seeded.status == 0, "\(seeded.stderr)")
        let output = try Binary.run(["bench", "lookup", "--data-dir", dataDir, "--entries", "40", "--lookups", "30"])
        #expect(output.status == 0, "\(output.stderr)")
        let lines = output.stdout.split(separator: "\n")
        #expect(lines.contains { $0.hasPrefix("E.164 caller ID (+4930…): lookups 30  hits 30  p50 ") }, "\(output.stdout)")
        #expect(lines.contains {
            $0.hasPrefix("E.164 caller ID as a request line (parse to answer; from the caller-ID index): lookups 30  hits 30  p50 ")
        }, "\(output.stdout)")
    }
}
