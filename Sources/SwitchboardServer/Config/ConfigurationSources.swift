import Foundation
import JSONRPC

/// Builds a `ServerConfiguration` from, in rising precedence: defaults, a
/// JSON config file, `SWITCHBOARD_*` environment variables, command-line flags.
///
/// The keys are the same everywhere: `dataDir`, `listen`, `region`,
/// `maxLineBytes`, `maxConnections`, `idleBeforeLoginSeconds`,
/// `requestTimeoutSeconds`, `maxBatch`, `slowReaderSeconds`, `logLevel`, `provisioningDelaySeconds`,
/// `remoteTimeoutSeconds`, `csvDirectory`, `schedulerIntervalSeconds`, `callerIdMemoryMib` (env: upper snake
/// case with the prefix, e.g. `SWITCHBOARD_MAX_LINE_BYTES`).
public enum ConfigurationSources {
    public struct Invalid: Error, CustomStringConvertible {
        public let description: String
    }

    public static let keys = [
        "dataDir", "listen", "region", "maxLineBytes", "maxConnections", "idleBeforeLoginSeconds",
        "requestTimeoutSeconds", "maxBatch", "slowReaderSeconds", "logLevel",
        "provisioningDelaySeconds", "remoteTimeoutSeconds", "csvDirectory", "schedulerIntervalSeconds",
        "callerIdMemoryMib",
    ]

    public static func envName(_ key: String) -> String {
        "SWITCHBOARD_" + key.reduce(into: "") { result, c in
            if c.isUppercase { result += "_" }
            result += c.uppercased()
        }
    }

    /// - Parameters:
    ///   - file: contents of the config file, if one was given.
    ///   - environment: the process environment.
    ///   - flags: values given on the command line, by key.
    public static func resolve(file: [UInt8]?, environment: [String: String], flags: [String: String]) throws -> ServerConfiguration {
        var values: [String: String] = [:]
        if let file {
            let json: JSONValue
            do { json = try JSONParser.parse(file) } catch { throw Invalid(description: "config file: \(error)") }
            guard let object = json.objectValue else { throw Invalid(description: "config file: expected a JSON object") }
            for (key, value) in object {
                guard keys.contains(key) else { throw Invalid(description: "config file: unknown key \"\(key)\" (known: \(keys.joined(separator: ", ")))") }
                switch value {
                case .string(let s): values[key] = s
                case .int(let i): values[key] = String(i)
                default: throw Invalid(description: "config file: \(key) must be a string or an integer")
                }
            }
        }
        for key in keys { if let value = environment[envName(key)] { values[key] = value } }
        for (key, value) in flags { values[key] = value }

        var config = ServerConfiguration()
        func int(_ key: String, _ range: ClosedRange<Int>) throws -> Int? {
            guard let text = values[key] else { return nil }
            guard let value = Int(text), range.contains(value) else {
                throw Invalid(description: "\(key) must be an integer in \(range.lowerBound)...\(range.upperBound), got \"\(text)\"")
            }
            return value
        }
        if let dir = values["dataDir"] { config.dataDirectory = dir }
        if let listen = values["listen"] {
            guard let (host, port) = ServerConfiguration.parseListen(listen) else {
                throw Invalid(description: "listen must be HOST:PORT (e.g. 127.0.0.1:7701), got \"\(listen)\"")
            }
            config.host = host
            config.port = port
        }
        if let region = values["region"] { config.region = region }
        if let level = values["logLevel"] {
            let levels = ["trace", "debug", "info", "notice", "warning", "error", "critical"]
            guard levels.contains(level) else { throw Invalid(description: "logLevel must be one of \(levels.joined(separator: ", ")), got \"\(level)\"") }
            config.logLevel = level
        }
        if let v = try int("maxLineBytes", 1_024...(64 << 20)) { config.limits.maxLineBytes = v }
        if let v = try int("maxConnections", 1...1_000_000) { config.limits.maxConnections = v }
        if let v = try int("idleBeforeLoginSeconds", 1...86_400) { config.limits.idleBeforeLoginSeconds = v }
        if let v = try int("requestTimeoutSeconds", 1...3_600) { config.limits.requestTimeoutSeconds = v }
        if let v = try int("maxBatch", 1...100_000) { config.limits.maxBatch = v }
        if let v = try int("slowReaderSeconds", 1...3_600) { config.limits.slowReaderSeconds = v }
        if let v = try int("provisioningDelaySeconds", 0...30 * 86_400) { config.sync.provisioningDelaySeconds = v }
        if let v = try int("remoteTimeoutSeconds", 1...3_600) { config.sync.remoteTimeoutSeconds = v }
        if let v = try int("schedulerIntervalSeconds", 1...3_600) { config.sync.schedulerIntervalSeconds = v }
        if let v = try int("callerIdMemoryMib", 0...1_048_576) { config.callerIdMemoryMiB = v }
        if let dir = values["csvDirectory"], !dir.isEmpty { config.sync.csvDirectory = dir }
        return config
    }
}
