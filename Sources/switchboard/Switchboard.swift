import ArgumentParser

@main
struct Switchboard: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "switchboard",
        abstract: "Telephony-to-CRM hub: JSON-RPC 2.0 server and its tools.",
        subcommands: [Serve.self, ShellSubcommand.self, RPC.self, Call.self, Version.self, Bench.self],
        defaultSubcommand: nil)
}
