import Foundation
import JSONRPC

/// Output, questions and the history rule.
extension Shell {
    // MARK: output

    /// A line (or lines) of results on standard output.
    func say(_ text: String) {
        write(text.hasSuffix("\n") || text.isEmpty ? text : text + "\n")
    }

    /// Standard output as is (the live progress bar).
    func write(_ text: String) {
        if isLive { output.standardOutput(text) }
    }

    func writeError(_ text: String) {
        if isLive { output.standardError(text.hasSuffix("\n") ? text : text + "\n") }
    }

    /// Prints a result: one line of JSON with `--json`, else the text made by `render`.
    func emit(_ value: JSONValue, _ render: () -> String) {
        if options.json { say(JSONWriter.string(value)) } else { say(render()) }
    }

    /// Asks a question and reads the answer from the input (the next line of a script).
    func ask(_ question: String) async -> String? {
        if !interactive { writeError(question) }
        let prompt = interactive ? question : ""
        let read = await inputThread.run { [input] in input.readLine(prompt: prompt) }
        guard isLive, case .line(let answer) = read else { return nil }
        return answer
    }

    /// Reads a secret without echo; never added to the history.
    func askSecret(_ question: String) async -> String? {
        if !interactive { writeError(question) }
        let prompt = interactive ? question : ""
        let secret = await inputThread.run { [input] in input.readSecret(prompt: prompt) }
        return isLive ? secret : nil
    }

    // MARK: history

    /// False for lines that may hold a secret: `call auth.login`, `call interfaces.setCredentials`,
    /// `interface set ID <credential> …` (a credential of the catalogue, or a name that sounds
    /// like one), and any word that looks like an API token (`key_….…`).
    public static func isSafeForHistory(_ line: String, credentials: Set<String>) -> Bool {
        let words = Tokenizer.scan(line).words.map(\.text)
        if words.count >= 2, words[0] == "call", ["auth.login", "interfaces.setCredentials"].contains(words[1]) { return false }
        if words.count >= 4, words[0] == "interface", words[1] == "set", credentials.contains(words[3]) || looksSecret(words[3]) { return false }
        if line.contains("key_"), line.range(of: #"key_[0-9a-z]+\.[A-Za-z0-9_-]{8,}"#, options: .regularExpression) != nil { return false }
        return true
    }

    private static func looksSecret(_ field: String) -> Bool {
        let name = field.lowercased()
        return ["password", "secret", "token", "apikey", "credential"].contains { name.contains($0) }
    }
}
