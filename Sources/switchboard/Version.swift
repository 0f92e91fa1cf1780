import ArgumentParser
import SwitchboardServer

struct Version: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Print the version.")
    func run() {
        print("switchboard \(SwitchboardVersion.current) (protocol \(SwitchboardVersion.protocolVersion))")
    }
}
