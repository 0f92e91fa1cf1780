import Foundation
import JSONRPC
import SwitchboardShell
import SwitchboardTestSupport
import Testing

/// `switchboard shell` as a separate process: options, stdin scripts, exit status. And the guide.
@Suite struct ShellCommandLineTests {
    typealias Result = Binary.Output

    func shell(_ arguments: [String], stdin: String = "") throws -> Result {
        try Binary.run(["shell"] + arguments, stdin: stdin)
    }

    @Test func scriptsOneCommandJSONAndExitStatus() async throws {
        try await withTestServer { server in
            // The token comes from the data directory's operator.token, as for `call`.
            let common = ["--connect", "127.0.0.1:\(server.port)", "--data-dir", server.dataDirectory]

            let script = try shell(common, stdin: "call system.ping\nstatus\n")
            #expect(script.status == 0)
            #expect(script.stdout.hasPrefix("\"pong\"\n"))
            #expect(script.stdout.contains("session: operator"))
            #expect(!script.stdout.contains("\u{1B}["))  // no colour in a pipe
            #expect(script.stderr == "")

            let failing = try shell(common, stdin: "bogus\ncall system.ping\n")
            #expect(failing.status == 1)
            #expect(failing.stderr.contains("unknown command \"bogus\""))
            #expect(failing.stdout == "")
            let going = try shell(common + ["--keep-going"], stdin: "bogus\ncall system.ping\n")
            #expect(going.status == 1)
            #expect(going.stdout == "\"pong\"\n")

            let one = try shell(common + ["--json", "-c", "call auth.whoami"])
            #expect(one.status == 0)
            #expect(try JSONParser.parse(one.stdout)["role"] == "operator")

            let wrongToken = try shell(["--connect", "127.0.0.1:\(server.port)", "--token", "key_x.y", "-c", "status"])
            #expect(wrongToken.status == 1)
            #expect(wrongToken.stderr.hasPrefix("error -32001: "))

            let nobody = try shell(["--connect", "127.0.0.1:1", "--token", "key_x.y", "-c", "status"])
            #expect(nobody.status == 1)
            #expect(nobody.stderr.contains("cannot reach the server at 127.0.0.1:1: Connection refused"))

            // help needs no server.
            let help = try shell(["--connect", "127.0.0.1:1", "--token", "key_x.y", "-c", "help interface sync"])
            #expect(help.status == 0)
            #expect(help.stdout.hasPrefix("usage: interface sync ID [full|incremental]"))
        }
    }

    /// docs/shell.md lists every command of the table with its usage line.
    @Test func theGuideListsEveryCommand() throws {
        let guide = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("docs/shell.md")
        let text = try String(contentsOf: guide, encoding: .utf8)
        for command in CommandTable.standard.commands {
            #expect(text.contains("`\(command.usage)`"), "docs/shell.md lacks `\(command.usage)`")
        }
    }
}
