import ArgumentParser
import Foundation
import JSONRPC
import SwitchboardClient
import SwitchboardShell

struct RPC: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "rpc",
        abstract: "Pipe NDJSON requests from stdin to the server; answers go to stdout in order.",
        discussion: """
            Logs in first. Lines are passed through byte for byte. Notifications get no answer. \
            Server events, if subscribed, are printed too. Ends when stdin ends and every answer is in.
            """)

    @OptionGroup var client: ClientOptions

    func run() async throws {
        let connection: SwitchboardClient
        do {
            connection = try await client.connectAndLogin()
        } catch let error as RPCError {
            printError("login failed: error \(error.code.rawValue): \(error.message)")
            throw ExitCode(1)
        } catch let exit as CleanExit {
            printError("\(exit)")
            throw ExitCode(1)
        }
        // A reader that goes away (e.g. `| head`) ends us quietly instead of killing us with SIGPIPE.
        signal(SIGPIPE, SIG_IGN)
        connection.startPassthrough()
        let printer = Task {
            for await line in connection.rawLines {
                var bytes = Array(line.readableBytesView)
                bytes.append(0x0A)
                guard writeAll(1, bytes) else { Foundation.exit(0) }
            }
        }
        // Stdin is read on a plain thread (reads block), in chunks, split on newlines.
        await withCheckedContinuation { (done: CheckedContinuation<Void, Never>) in
            Thread.detachNewThread {
                var buffer = [UInt8](repeating: 0, count: 65_536)
                while true {
                    let n = read(0, &buffer, buffer.count)
                    if n <= 0 { break }
                    connection.sendBytes(Array(buffer[0..<n]))
                }
                connection.finishSending()
                done.resume()
            }
        }
        await printer.value
    }
}
