import Foundation
import Synchronization

/// What completion knows from the server (fetched by the shell, cached briefly).
public struct CompletionData: Sendable, Equatable {
    public var methods: [String] = []
    public var interfaceIds: [String] = []
    public var runIds: [String] = []
    public var userIds: [String] = []
    public var keyIds: [String] = []
    public var accountIds: [String] = []
    public var systems: [String] = []
    /// Setting fields of the catalogue's systems (`url`, `delimiter`, …).
    public var settingFields: [String] = []
    /// Credential fields of the catalogue's systems (`username`, `password`): never typed on a command line.
    public var credentialFields: [String] = []
    /// Allowed values of setting fields that are choices (`delimiter`: `,` `;` `tab` `|`).
    public var settingChoices: [String: [String]] = [:]

    public init() {}

    /// The parts of the data a completion may need, fetched separately.
    public enum Part: Sendable, Hashable, CaseIterable {
        case methods, interfaces, runs, users, keys, accounts, catalog
    }
}

/// Data-flow names of `interfaces.configure`'s `dataFlow`.
public let dataFlowNames = ["contactsIn", "callsOut", "notesOut", "todosOut", "meetingReportsOut", "surveysIn"]
/// Fields of `interface set` besides the system's settings and the data flows.
public let interfaceFieldNames = ["name", "description", "interval"]

/// The completion data, refreshed when older than `maxAge` (5 s): shared by
/// the shell (which fetches) and the completer (which runs on the input thread).
final class CompletionCache: Sendable {
    private struct State {
        var data = CompletionData()
        var fetchedAt: [CompletionData.Part: ContinuousClock.Instant] = [:]
    }
    private let state = Mutex(State())
    let maxAge: Duration = .seconds(5)

    var data: CompletionData { state.withLock { $0.data } }

    /// Credential names to keep out of the history: the catalogue's, plus the usual ones before it is fetched.
    var credentialNames: Set<String> {
        Set(data.credentialFields).union(["password", "username", "secret", "token", "apiKey", "clientSecret"])
    }

    func store(_ part: CompletionData.Part, _ update: (inout CompletionData) -> Void) {
        state.withLock { state in
            update(&state.data)
            state.fetchedAt[part] = .now
        }
    }

    func clear() { state.withLock { $0 = State() } }

    /// Blocking (it runs on the input thread, never on the cooperative pool): fetches `part`
    /// when it is missing or stale, waiting at most `timeout` for the answer.
    func refreshIfStale(_ part: CompletionData.Part, timeout: Double = 1.5, fetch: @escaping @Sendable () async -> Void) {
        let fresh = state.withLock { state in state.fetchedAt[part].map { $0.duration(to: .now) < maxAge } ?? false }
        guard !fresh else { return }
        let done = DispatchSemaphore(value: 0)
        Task {
            await fetch()
            done.signal()
        }
        _ = done.wait(timeout: .now() + timeout)
    }
}

/// Completion as a pure function of the line, the cursor and the data.
public enum Completer {
    /// Where the cursor is: the words before it and the (partial) word under it.
    struct Context {
        var words: [String]
        var partial: String
    }

    static func context(_ line: String, cursor: Int) -> Context {
        let scalars = line.unicodeScalars
        let end = scalars.index(scalars.startIndex, offsetBy: min(max(cursor, 0), scalars.count))
        let scan = Tokenizer.scan(String(scalars[..<end]))
        var words = scan.words.map(\.text)
        var partial = ""
        if scan.endsInWord || scan.openQuote != nil, let last = words.popLast() { partial = last }
        return Context(words: words, partial: partial)
    }

    /// The full words that could stand at the cursor, sorted.
    public static func candidates(line: String, cursor: Int, table: CommandTable, data: CompletionData) -> [String] {
        let context = context(line, cursor: cursor)
        return values(words: context.words, partial: context.partial, table: table, data: data)
            .filter { $0.hasPrefix(context.partial) }
            .sorted()
    }

    /// Which server data the completion at the cursor needs, if any.
    public static func neededPart(line: String, cursor: Int, table: CommandTable) -> CompletionData.Part? {
        let context = context(line, cursor: cursor)
        guard let kind = argumentKind(words: context.words, partial: context.partial, table: table) else { return nil }
        return part(for: kind, partial: context.partial)
    }

    private static func part(for kind: ArgumentKind, partial: String) -> CompletionData.Part? {
        switch kind {
        case .method: .methods
        case .interfaceId: .interfaces
        case .runId: .runs
        case .userId: .users
        case .keyId: .keys
        case .accountId: .accounts
        case .system, .interfaceField, .fieldValue, .credentialField: .catalog
        case .options(let keys):
            partial.firstIndex(of: "=").flatMap { keys[String(partial[..<$0])] }.flatMap { part(for: $0, partial: "") }
        case .text, .choice, .command: nil
        }
    }

    /// The next command words after `words` (`interface` → `show`, `sync`, …); empty when `words` name a command.
    static func commandWords(after words: [String], table: CommandTable) -> [String] {
        unique(table.commands(startingWith: words).filter { $0.words.count > words.count }.map { $0.words[words.count] })
    }

    /// The command `words` name and the arguments typed after it, when the cursor is on an argument.
    static func argumentPosition(words: [String], table: CommandTable) -> (ShellCommand, [String])? {
        guard commandWords(after: words, table: table).isEmpty, let command = table.lookup(words) else { return nil }
        let arguments = Array(words.dropFirst(command.words.count))
        if command.takesRawTail, arguments.count >= command.parameters.count { return nil }  // raw JSON
        return (command, arguments)
    }

    /// The kind of the argument under the cursor, nil for a command word.
    static func argumentKind(words: [String], partial: String, table: CommandTable) -> ArgumentKind? {
        guard let (command, arguments) = argumentPosition(words: words, table: table) else { return nil }
        if case .command? = command.parameter(at: arguments.count)?.kind {
            return argumentKind(words: arguments, partial: partial, table: table) == nil ? nil : .command
        }
        return command.parameter(at: arguments.count)?.kind
    }

    static func values(words: [String], partial: String, table: CommandTable, data: CompletionData) -> [String] {
        let next = commandWords(after: words, table: table)
        if !next.isEmpty { return next }
        guard let (command, arguments) = argumentPosition(words: words, table: table),
              let kind = command.parameter(at: arguments.count)?.kind
        else { return [] }
        if case .command = kind { return commandWords(after: arguments, table: table) }
        return values(of: kind, previous: arguments.last ?? "", partial: partial, data: data)
    }

    private static func values(of kind: ArgumentKind, previous: String, partial: String, data: CompletionData) -> [String] {
        switch kind {
        case .text, .command: return []
        case .interfaceId: return data.interfaceIds
        case .runId: return data.runIds
        case .userId: return data.userIds
        case .keyId: return data.keyIds
        case .accountId: return data.accountIds
        case .system: return data.systems
        case .method: return data.methods
        case .choice(let words): return words
        case .interfaceField: return interfaceFieldNames + data.settingFields + dataFlowNames
        case .credentialField: return data.credentialFields
        case .fieldValue:
            if dataFlowNames.contains(previous) { return ["on", "off"] }
            return data.settingChoices[previous] ?? []
        case .options(let keys):
            if let equals = partial.firstIndex(of: "=") {
                let key = String(partial[..<equals])
                guard let valueKind = keys[key] else { return [] }
                return values(of: valueKind, previous: key, partial: "", data: data).map { key + "=" + $0 }
            }
            return keys.keys.map { $0 + "=" }
        }
    }
}
