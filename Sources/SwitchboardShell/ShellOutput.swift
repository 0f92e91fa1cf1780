import Foundation

/// Where the shell writes: results to standard output, errors and notes to
/// standard error. Tests pass closures that capture the text.
public struct ShellOutput: Sendable {
    public var standardOutput: @Sendable (String) -> Void
    public var standardError: @Sendable (String) -> Void

    public init(standardOutput: @escaping @Sendable (String) -> Void, standardError: @escaping @Sendable (String) -> Void) {
        self.standardOutput = standardOutput
        self.standardError = standardError
    }

    /// File descriptors 1 and 2, unbuffered (so output and errors keep their order).
    public static let standard = ShellOutput(
        standardOutput: { writeAll(1, Array($0.utf8)) },
        standardError: { writeAll(2, Array($0.utf8)) })
}

/// How the shell presents things.
public struct ShellOptions: Sendable {
    /// Print each result as one line of JSON instead of tables.
    public var json = false
    /// Script mode: run every command even after one failed (exit 1 at the end if any did).
    public var keepGoing = false
    /// ANSI colours for states and errors (interactive, `NO_COLOR` unset).
    public var colour = false
    /// Standard output is a terminal: `interface sync` redraws a live progress bar.
    public var liveProgress = false

    public init(json: Bool = false, keepGoing: Bool = false, colour: Bool = false, liveProgress: Bool = false) {
        self.json = json
        self.keepGoing = keepGoing
        self.colour = colour
        self.liveProgress = liveProgress
    }

    /// The options for a terminal session: colour unless `NO_COLOR` is set (any value, https://no-color.org).
    public static func deciding(interactive: Bool, stdoutIsTerminal: Bool, json: Bool, keepGoing: Bool,
                                environment: [String: String] = ProcessInfo.processInfo.environment) -> ShellOptions {
        let noColour = environment["NO_COLOR"].map { !$0.isEmpty } ?? false
        return ShellOptions(
            json: json, keepGoing: keepGoing,
            colour: interactive && stdoutIsTerminal && !noColour && !json,
            liveProgress: stdoutIsTerminal && !json)
    }
}

/// ANSI styling, or none.
public struct Style: Sendable {
    public var enabled: Bool
    public init(enabled: Bool) { self.enabled = enabled }

    public enum Colour: String, Sendable {
        case red = "31", green = "32", yellow = "33", blue = "34", cyan = "36", dim = "2", bold = "1"
    }

    public func paint(_ text: String, _ colour: Colour?) -> String {
        guard enabled, let colour, !text.isEmpty else { return text }
        return "\u{1B}[\(colour.rawValue)m\(text)\u{1B}[0m"
    }

    /// The colour of a state or health word: good green, bad red, attention yellow, in between cyan.
    public static func colour(forState state: String) -> Colour? {
        switch state {
        case "active", "ok", "succeeded", "true": .green
        case "failed", "revoked": .red
        case "needs_reauth": .yellow
        case "ordered", "running", "queued": .cyan
        case "cancelled": .dim
        default: nil
        }
    }

    public func state(_ text: String) -> String { paint(text, Self.colour(forState: text)) }
}
