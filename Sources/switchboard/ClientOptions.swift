import ArgumentParser
import Foundation
import SwitchboardClient

/// How the command-line tools find and log in to a server.
struct ClientOptions: ParsableArguments {
    @Option(help: "Server address HOST:PORT (env SWITCHBOARD_CONNECT; default 127.0.0.1:7701).") var connect: String?
    @Option(help: "API token (env SWITCHBOARD_TOKEN; default: the operator token file in the data directory).") var token: String?
    @Option(help: "Account to work in (operators only).") var account: String?
    @Option(help: "Data directory holding operator.token (env SWITCHBOARD_DATA_DIR; default ./switchboard-data).") var dataDir: String?

    func resolveToken() throws -> String {
        let environment = ProcessInfo.processInfo.environment
        if let token { return token }
        if let token = environment["SWITCHBOARD_TOKEN"], !token.isEmpty { return token }
        let dir = dataDir ?? environment["SWITCHBOARD_DATA_DIR"] ?? "./switchboard-data"
        let path = (dir as NSString).appendingPathComponent("operator.token")
        guard let data = FileManager.default.contents(atPath: path), let text = String(data: data, encoding: .utf8) else {
            throw ValidationError("no token: pass --token, set SWITCHBOARD_TOKEN, or run where \(path) is readable")
        }
        return text.trimmingCharacters(in: .whitespacesAndNewlines)
    }

    func address() throws -> (host: String, port: Int) {
        let text = connect ?? ProcessInfo.processInfo.environment["SWITCHBOARD_CONNECT"] ?? "127.0.0.1:7701"
        guard let colon = text.lastIndex(of: ":"), let port = Int(text[text.index(after: colon)...]) else {
            throw ValidationError("--connect must be HOST:PORT, got \(text)")
        }
        var host = String(text[..<colon])
        if host.hasPrefix("["), host.hasSuffix("]") { host = String(host.dropFirst().dropLast()) }
        return (host.isEmpty ? "127.0.0.1" : host, port)
    }

    /// Connects and logs in; errors are printed for humans by the caller.
    func connectAndLogin() async throws -> SwitchboardClient {
        let (host, port) = try address()
        let token = try resolveToken()
        let client: SwitchboardClient
        do {
            client = try await SwitchboardClient.connect(host: host, port: port)
        } catch {
            throw CleanExit.message("cannot reach the server at \(host):\(port): \(error)")
        }
        try await client.login(token: token, account: account)
        return client
    }
}

/// Writes to standard error.
func printError(_ text: String) {
    FileHandle.standardError.write(Data((text + "\n").utf8))
}
