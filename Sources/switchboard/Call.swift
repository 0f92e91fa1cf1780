import ArgumentParser
import Foundation
import JSONRPC

struct Call: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Call one method and print its result.",
        discussion: "Example: switchboard call users.create '{\"name\":\"Ann\",\"email\":\"ann@example.com\"}'. Exit code 1 and the error on stderr on failure.")

    @OptionGroup var client: ClientOptions
    @Argument(help: "Method name, e.g. system.version.") var method: String
    @Argument(help: "Params as a JSON object (default {}).") var params: String = "{}"

    func run() async throws {
        let object: JSONObject
        do {
            guard let parsed = try JSONParser.parse(params).objectValue else { throw ValidationError("params must be a JSON object") }
            object = parsed
        } catch let error as JSONParser.Error {
            throw ValidationError("params are not valid JSON: \(error)")
        }
        do {
            let connection = try await client.connectAndLogin()
            defer { connection.close() }
            let result = try await connection.call(method, object)
            print(JSONWriter.pretty(result))
        } catch let error as RPCError {
            printError("error \(error.code.rawValue): \(error.message)")
            if let data = error.data { printError(JSONWriter.pretty(data)) }
            throw ExitCode(1)
        } catch let exit as CleanExit {
            printError("\(exit)")
            throw ExitCode(1)
        }
    }
}
