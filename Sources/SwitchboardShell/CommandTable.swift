import Foundation

/// What a command's argument is, for completion and for the usage line.
public enum ArgumentKind: Sendable, Equatable {
    /// Free text (a name, a query, a number).
    case text
    case interfaceId, runId, userId, keyId, accountId
    /// A system of `interfaces.catalog` (`csv`).
    case system
    /// A method of `rpc.discover`.
    case method
    /// One of these words.
    case choice([String])
    /// A field `interface set` can change (name, description, interval, settings, data flows).
    case interfaceField
    /// A credential field of the catalogue's systems (`password`, `apiToken`).
    case credentialField
    /// The value for the field named by the previous argument (choices, on/off).
    case fieldValue
    /// Words of another command (`help interface sync`).
    case command
    /// `key=value` words; the values of the keys listed here are completed with that kind.
    case options([String: ArgumentKind])
}

/// One positional parameter of a command.
public struct Parameter: Sendable {
    public enum Arity: Sendable { case one, optional, rest, oneOrMore }
    public var name: String
    public var kind: ArgumentKind
    public var arity: Arity

    public init(_ name: String, _ kind: ArgumentKind = .text, _ arity: Arity = .one) {
        self.name = name
        self.kind = kind
        self.arity = arity
    }

    var usage: String {
        let shown = if case .choice(let words) = kind { words.joined(separator: "|") } else { name }
        return switch arity {
        case .one: shown
        case .optional: "[\(shown)]"
        case .rest: "[\(shown)…]"
        case .oneOrMore: "\(shown)…"
        }
    }
}

/// A parsed invocation: the command and its arguments.
public struct Invocation: Sendable {
    public var command: ShellCommand
    public var arguments: [String]
    /// For commands that take raw text after their arguments (`call`): that text, trimmed.
    public var rawTail: String?
}

/// One entry of the command table: words, parameters, help and the handler.
public struct ShellCommand: Sendable {
    /// The heading `help` lists the command under.
    public var group: String
    public var words: [String]
    public var parameters: [Parameter]
    /// Extra usage text after the parameters, e.g. `[company=…]`.
    public var usageSuffix: String
    public var summary: String
    public var details: String?
    public var examples: [String]
    /// Everything after the parameters is raw text, not split into words (`call METHOD {json}`).
    public var takesRawTail: Bool
    /// Runs the command; throws `UsageError`, `RPCError` or `ShellFailure` when it fails.
    var handler: @Sendable (Shell, Invocation) async throws -> Void

    public var name: String { words.joined(separator: " ") }
    public var usage: String {
        ([name] + parameters.map(\.usage) + (usageSuffix.isEmpty ? [] : [usageSuffix])).joined(separator: " ")
    }

    var minimumArguments: Int { parameters.filter { $0.arity == .one || $0.arity == .oneOrMore }.count }
    var maximumArguments: Int? {
        parameters.contains { $0.arity == .rest || $0.arity == .oneOrMore } ? nil : parameters.count
    }

    /// The parameter the argument at `index` belongs to.
    func parameter(at index: Int) -> Parameter? {
        if index < parameters.count { return parameters[index] }
        if let last = parameters.last, last.arity == .rest || last.arity == .oneOrMore { return last }
        return nil
    }

    /// The help text of `help COMMAND`.
    public var help: String {
        var lines = ["usage: \(usage)", "", summary]
        if let details { lines += ["", details] }
        if !examples.isEmpty { lines += ["", "examples:"] + examples.map { "  " + $0 } }
        return lines.joined(separator: "\n")
    }
}

/// A command line that does not fit the table.
public struct UsageError: Error, Sendable, Equatable, CustomStringConvertible {
    public var description: String
    public init(_ description: String) { self.description = description }
}

/// The command table: the one list that drives parsing, `help`, completion and the docs.
public struct CommandTable: Sendable {
    public let commands: [ShellCommand]

    public init(_ commands: [ShellCommand]) { self.commands = commands }

    /// The distinct first words, in table order.
    public var topWords: [String] { unique(commands.map { $0.words[0] }) }

    /// The command named by the longest prefix of `words`.
    public func lookup(_ words: [String]) -> ShellCommand? {
        commands.filter { $0.words.count <= words.count && Array(words.prefix($0.words.count)) == $0.words }
            .max { $0.words.count < $1.words.count }
    }

    /// Commands whose words start with `words` (`["interface"]` → every `interface …`).
    public func commands(startingWith words: [String]) -> [ShellCommand] {
        commands.filter { $0.words.count >= words.count && Array($0.words.prefix(words.count)) == words }
    }

    /// Parses a whole command line.
    public func parse(_ line: String) throws(UsageError) -> Invocation {
        // Scanned leniently first: the raw tail of `call` is JSON, not shell words.
        let scan = Tokenizer.scan(line)
        guard !scan.words.isEmpty else { throw UsageError("empty command") }
        let texts = scan.words.map(\.text)
        guard let command = lookup(texts) else { throw unknown(texts) }
        var arguments = Array(texts.dropFirst(command.words.count))
        var rawTail: String? = nil
        let fixed = command.words.count + command.parameters.count
        if command.takesRawTail, scan.words.count > fixed {
            rawTail = String(line[scan.words[fixed].start...]).trimmingCharacters(in: .whitespacesAndNewlines)
            arguments = Array(texts[command.words.count..<fixed])
        } else {
            do { _ = try Tokenizer.words(line) } catch { throw UsageError(error.description) }
        }
        if arguments.count < command.minimumArguments || arguments.count > (command.maximumArguments ?? .max) {
            throw UsageError("usage: \(command.usage)")
        }
        if let error = invalidChoice(command, arguments) { throw error }
        return Invocation(command: command, arguments: arguments, rawTail: rawTail)
    }

    private func invalidChoice(_ command: ShellCommand, _ arguments: [String]) -> UsageError? {
        for (index, argument) in arguments.enumerated() {
            if case .choice(let allowed)? = command.parameter(at: index)?.kind, !allowed.contains(argument) {
                return UsageError("\(command.name): \"\(argument)\" is not one of \(allowed.joined(separator: ", "))\nusage: \(command.usage)")
            }
        }
        return nil
    }

    private func unknown(_ words: [String]) -> UsageError {
        let group = commands(startingWith: [words[0]])
        if !group.isEmpty {
            let list = group.map { "  " + $0.usage }.joined(separator: "\n")
            let what = words.count > 1 ? "unknown command \"\(words[0]) \(words[1])\"" : "\"\(words[0])\" needs more"
            return UsageError("\(what); one of:\n\(list)")
        }
        var message = "unknown command \"\(words[0])\""
        if let close = suggestion(for: words[0]) { message += " (did you mean \"\(close)\"?)" }
        return UsageError(message + "; type help for the list of commands")
    }

    /// The top word closest to `word`, if it is close enough to be a typo.
    func suggestion(for word: String) -> String? {
        let scored = topWords.map { ($0, editDistance($0, word)) }.min { $0.1 < $1.1 }
        guard let (best, distance) = scored, distance <= max(1, word.count / 3) else { return nil }
        return best
    }
}

func unique(_ values: [String]) -> [String] {
    var seen = Set<String>()
    return values.filter { seen.insert($0).inserted }
}

/// Levenshtein distance, for "did you mean".
func editDistance(_ a: String, _ b: String) -> Int {
    let a = Array(a), b = Array(b)
    var previous = Array(0...b.count)
    for (i, x) in a.enumerated() {
        var row = [i + 1]
        for (j, y) in b.enumerated() {
            row.append(Swift.min(previous[j + 1] + 1, row[j] + 1, previous[j] + (x == y ? 0 : 1)))
        }
        previous = row
    }
    return previous[b.count]
}
