/// Splits a command line into words, shell-style: whitespace separates words;
/// `"double"` and `'single'` quotes group them; a backslash escapes the next
/// character (inside double quotes only `\"` and `\\`). Quoted pieces next to
/// each other join into one word (`a"b c"` is `ab c`); `""` is an empty word.
public enum Tokenizer {
    /// One word and where it starts in the line (so `call` can take the rest raw).
    public struct Word: Sendable, Equatable {
        public var text: String
        public var start: String.Index
    }

    public struct Error: Swift.Error, Sendable, Equatable, CustomStringConvertible {
        public var description: String
    }

    /// The words of `line`; throws on an unterminated quote or a trailing backslash.
    public static func words(_ line: String) throws(Error) -> [Word] {
        let scan = scan(line)
        if let open = scan.openQuote { throw Error(description: "unterminated \(open) quote") }
        if scan.danglingEscape { throw Error(description: "a backslash at the end of the line escapes nothing") }
        return scan.words
    }

    /// What a line scan found; lenient, for completion (the last word may be cut off).
    struct Scan {
        var words: [Word] = []
        var openQuote: Character? = nil
        var danglingEscape = false
        /// True when the line ends inside a word (no whitespace after the last word).
        var endsInWord = false
    }

    static func scan(_ line: String) -> Scan {
        var result = Scan()
        var current: String? = nil
        var start = line.startIndex
        var quote: Character? = nil
        var index = line.startIndex
        func begin(_ at: String.Index) {
            if current == nil {
                current = ""
                start = at
            }
        }
        while index < line.endIndex {
            let c = line[index]
            let next = line.index(after: index)
            switch quote {
            case "'"?:
                if c == "'" { quote = nil } else { current!.append(c) }
            case "\""?:
                if c == "\"" {
                    quote = nil
                } else if c == "\\", next < line.endIndex, line[next] == "\"" || line[next] == "\\" {
                    current!.append(line[next])
                    index = line.index(after: next)
                    continue
                } else {
                    current!.append(c)
                }
            default:
                if c.isWhitespace {
                    if let word = current { result.words.append(Word(text: word, start: start)) }
                    current = nil
                } else if c == "'" || c == "\"" {
                    begin(index)
                    quote = c
                } else if c == "\\" {
                    begin(index)
                    guard next < line.endIndex else {
                        result.danglingEscape = true
                        break
                    }
                    current!.append(line[next])
                    index = line.index(after: next)
                    continue
                } else {
                    begin(index)
                    current!.append(c)
                }
            }
            index = next
        }
        if let word = current {
            result.words.append(Word(text: word, start: start))
            result.endsInWord = true
        }
        result.openQuote = quote
        return result
    }

    /// True while `{` or `[` are open outside JSON strings: the shell then reads
    /// more lines (continuation prompt) and joins them. Outside brackets, shell
    /// quotes (`'…'`, `"…"`) are skipped too, so `entry add "Firma {Nord}"` is complete.
    public static func needsMoreInput(_ text: String) -> Bool {
        var depth = 0
        var quote: Character? = nil
        var escaped = false
        for c in text {
            if let q = quote {
                if escaped {
                    escaped = false
                } else if c == "\\" && q == "\"" {
                    escaped = true
                } else if c == q {
                    quote = nil
                }
                continue
            }
            switch c {
            case "\"": quote = c
            case "'" where depth == 0: quote = c  // inside JSON only double quotes make strings
            case "{", "[": depth += 1
            case "}", "]": depth -= 1
            default: break
            }
        }
        return depth > 0
    }

    /// Quotes a word for display in a command line when it needs it.
    public static func quoted(_ word: String) -> String {
        if !word.isEmpty, !word.contains(where: { $0.isWhitespace || "\"'\\".contains($0) }) { return word }
        return "\"" + word.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"") + "\""
    }
}
