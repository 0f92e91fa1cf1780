import ArgumentParser
import Foundation
import JSONRPC

struct RPC: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "rpc",
        abstract: "Pipe NDJSON requests from stdin to the server; answers go to stdout in order.",
        discussion: "Logs in first. Notifications get no answer. Server events, if subscribed, are printed too.")

    @OptionGroup var client: ClientOptions

    func run() async throws {
        let connection: SwitchboardClientHandle
        do {
            connection = SwitchboardClientHandle(try await client.connectAndLogin())
        } catch let error as RPCError {
            printError("login failed: error \(error.code.rawValue): \(error.message)")
            throw ExitCode(1)
        } catch let exit as CleanExit {
            printError("\(exit)")
            throw ExitCode(1)
        }
        let client = connection.client
        client.startPassthrough()
        let printer = Task {
            let stdout = FileHandle.standardOutput
            for await line in client.rawLines {
                var bytes = Array(line.readableBytesView)
                bytes.append(0x0A)
                stdout.write(Data(bytes))
            }
        }
        // Read stdin on a plain thread: it blocks.
        await withCheckedContinuation { (done: CheckedContinuation<Void, Never>) in
            Thread.detachNewThread {
                while let line = readLine(strippingNewline: true) {
                    client.sendRaw(line.utf8)
                }
                client.finishSending()
                done.resume()
            }
        }
        await printer.value
    }
}

import SwitchboardClient

/// Lets a non-Sendable-looking capture cross into the reader thread.
struct SwitchboardClientHandle: Sendable {
    let client: SwitchboardClient
    init(_ client: SwitchboardClient) { self.client = client }
}
