// A minimal terminal emulator for tests: enough of xterm for what line editors and shells print
// (printable text, wrap, CR/LF/BS/TAB, cursor movement, erase, insert/delete characters, insert
// mode), so a test can check what a user would *see* rather than the raw escape sequences.

/// What the screen shows at one moment.
public struct ScreenSnapshot: Sendable, CustomStringConvertible {
    /// The visible rows, trailing spaces removed.
    public var lines: [String]
    /// Rows that scrolled off the top, oldest first.
    public var scrollback: [String]
    /// 0-based cursor position on the visible screen.
    public var cursorRow: Int
    public var cursorColumn: Int

    /// Scrollback and visible rows, one line each.
    public var text: String { (scrollback + lines).joined(separator: "\n") }
    /// The row the cursor is on.
    public var cursorLine: String { lines.indices.contains(cursorRow) ? lines[cursorRow] : "" }
    /// The visible rows up to and including the cursor's row, without trailing empty rows.
    public var linesToCursor: [String] { Array(lines.prefix(cursorRow + 1)) }

    public var description: String {
        var out = "screen (cursor at row \(cursorRow), column \(cursorColumn)):\n"
        for (index, line) in lines.enumerated() {
            out += (index == cursorRow ? "> " : "| ") + line + "\n"
        }
        return out
    }
}

/// Interprets terminal output into a grid of cells.
struct TerminalScreen {
    private(set) var columns: Int
    private(set) var rows: Int
    private var grid: [[Unicode.Scalar]]
    private var scrollback: [String] = []
    private var row = 0
    private var column = 0
    private var wrapPending = false
    private var insertMode = false
    private var saved = (row: 0, column: 0)
    private var parser = Parser.ground
    private var parameters = ""
    private var decoder = UTF8Decoder()

    private enum Parser { case ground, escape, csi, osc, oscEscape, charset }

    init(columns: Int, rows: Int) {
        self.columns = max(columns, 1)
        self.rows = max(rows, 1)
        grid = Array(repeating: Array(repeating: " ", count: max(columns, 1)), count: max(rows, 1))
    }

    var snapshot: ScreenSnapshot {
        ScreenSnapshot(
            lines: grid.map(Self.trimmed), scrollback: scrollback,
            cursorRow: row, cursorColumn: min(column, columns - 1)
        )
    }

    mutating func resize(columns newColumns: Int, rows newRows: Int) {
        let newColumns = max(newColumns, 1)
        let newRows = max(newRows, 1)
        grid = (0..<newRows).map { r in
            (0..<newColumns).map { c in r < grid.count && c < columns ? grid[r][c] : " " }
        }
        columns = newColumns
        rows = newRows
        row = min(row, rows - 1)
        column = min(column, columns - 1)
        wrapPending = false
    }

    mutating func feed(_ bytes: some Sequence<UInt8>) {
        for byte in bytes {
            if let scalar = decoder.next(byte) { handle(scalar) }
        }
    }

    private mutating func handle(_ c: Unicode.Scalar) {
        switch parser {
        case .ground:
            break
        case .escape:
            parser = .ground
            switch c {
            case "[": parser = .csi; parameters = ""
            case "]": parser = .osc
            case "(", ")", "*", "+": parser = .charset
            case "7": saved = (row, column)
            case "8": row = saved.row; column = saved.column; wrapPending = false
            case "D": lineFeed()
            case "M": if row > 0 { row -= 1 }
            case "E": column = 0; lineFeed()
            default: break
            }
            return
        case .csi:
            if (0x40...0x7E).contains(c.value) {
                parser = .ground
                csi(final: c)
            } else {
                parameters.unicodeScalars.append(c)
            }
            return
        case .osc:
            if c == "\u{7}" { parser = .ground } else if c == "\u{1B}" { parser = .oscEscape }
            return
        case .oscEscape:
            parser = c == "\\" ? .ground : .osc
            return
        case .charset:
            parser = .ground
            return
        }
        switch c {
        case "\u{1B}": parser = .escape
        case "\r": column = 0; wrapPending = false
        case "\n", "\u{0B}", "\u{0C}": lineFeed()
        case "\u{8}":
            if wrapPending { wrapPending = false } else if column > 0 { column -= 1 }
        case "\t":
            column = min((column / 8 + 1) * 8, columns - 1)
            wrapPending = false
        case "\u{7}", "\u{0}", "\u{E}", "\u{F}": break
        default:
            if c.value < 0x20 || c.value == 0x7F { break }
            put(c)
        }
    }

    private mutating func put(_ c: Unicode.Scalar) {
        let width = Self.width(c)
        if width == 0 { return }  // combining marks: keep the base character
        if wrapPending || column + width > columns {
            column = 0
            lineFeed()
        }
        if insertMode {
            grid[row].insert(contentsOf: Array(repeating: " ", count: width), at: column)
            grid[row].removeLast(width)
        }
        grid[row][column] = c
        if width == 2 && column + 1 < columns { grid[row][column + 1] = "\u{0}" }
        if column + width >= columns {
            column = columns - 1
            wrapPending = true
        } else {
            column += width
        }
    }

    private mutating func lineFeed() {
        wrapPending = false
        if row == rows - 1 {
            scrollback.append(Self.trimmed(grid.removeFirst()))
            grid.append(Array(repeating: " ", count: columns))
        } else {
            row += 1
        }
    }

    private mutating func csi(final: Unicode.Scalar) {
        let privateMode = parameters.hasPrefix("?")
        let numbers = parameters.drop { $0 == "?" || $0 == ">" }.split(separator: ";", omittingEmptySubsequences: false).map { Int($0) }
        func arg(_ index: Int, _ fallback: Int) -> Int {
            guard index < numbers.count, let value = numbers[index], value > 0 else { return fallback }
            return value
        }
        let blank: Unicode.Scalar = " "
        wrapPending = false
        switch final {
        case "A": row = max(row - arg(0, 1), 0)
        case "B", "e": row = min(row + arg(0, 1), rows - 1)
        case "C", "a": column = min(column + arg(0, 1), columns - 1)
        case "D": column = max(column - arg(0, 1), 0)
        case "E": row = min(row + arg(0, 1), rows - 1); column = 0
        case "F": row = max(row - arg(0, 1), 0); column = 0
        case "G", "`": column = min(arg(0, 1) - 1, columns - 1)
        case "d": row = min(arg(0, 1) - 1, rows - 1)
        case "H", "f":
            row = min(arg(0, 1) - 1, rows - 1)
            column = min(arg(1, 1) - 1, columns - 1)
        case "J":
            let mode = numbers.first.flatMap { $0 } ?? 0
            if mode == 0 {
                for c in column..<columns { grid[row][c] = blank }
                for r in (row + 1)..<max(rows, row + 1) { grid[r] = Array(repeating: blank, count: columns) }
            } else if mode == 1 {
                for r in 0..<row { grid[r] = Array(repeating: blank, count: columns) }
                for c in 0...min(column, columns - 1) { grid[row][c] = blank }
            } else {
                grid = Array(repeating: Array(repeating: blank, count: columns), count: rows)
            }
        case "K":
            let mode = numbers.first.flatMap { $0 } ?? 0
            let range = mode == 0 ? column..<columns : mode == 1 ? 0..<min(column + 1, columns) : 0..<columns
            for c in range { grid[row][c] = blank }
        case "P":
            let n = min(arg(0, 1), columns - column)
            grid[row].removeSubrange(column..<(column + n))
            grid[row].append(contentsOf: Array(repeating: blank, count: n))
        case "@":
            let n = min(arg(0, 1), columns - column)
            grid[row].insert(contentsOf: Array(repeating: blank, count: n), at: column)
            grid[row].removeLast(n)
        case "X":
            for c in column..<min(column + arg(0, 1), columns) { grid[row][c] = blank }
        case "L":
            for _ in 0..<min(arg(0, 1), rows - row) {
                grid.insert(Array(repeating: blank, count: columns), at: row)
                grid.removeLast()
            }
        case "M":
            for _ in 0..<min(arg(0, 1), rows - row) {
                grid.remove(at: row)
                grid.append(Array(repeating: blank, count: columns))
            }
        case "h", "l":
            if !privateMode && numbers.contains(4) { insertMode = final == "h" }
        case "s": saved = (row, column)
        case "u": row = saved.row; column = saved.column
        default: break  // colours (m), modes, scroll regions: no effect on the text
        }
    }

    private static func trimmed(_ cells: [Unicode.Scalar]) -> String {
        var view = String.UnicodeScalarView()
        for cell in cells where cell != "\u{0}" { view.append(cell) }
        var line = String(view)
        while line.last == " " { line.removeLast() }
        return line
    }

    /// Terminal columns of a character: 0 for combining marks, 2 for East Asian wide ones and
    /// emoji, 1 otherwise. An approximation of wcwidth that needs no C locale.
    static func width(_ c: Unicode.Scalar) -> Int {
        switch c.properties.generalCategory {
        case .nonspacingMark, .enclosingMark, .format: return 0
        default: break
        }
        switch c.value {
        case 0x1100...0x115F, 0x2E80...0x303E, 0x3041...0x33FF, 0x3400...0x4DBF, 0x4E00...0x9FFF,
             0xA000...0xA4CF, 0xAC00...0xD7A3, 0xF900...0xFAFF, 0xFE30...0xFE4F, 0xFF00...0xFF60,
             0xFFE0...0xFFE6, 0x1F300...0x1F64F, 0x1F900...0x1F9FF, 0x20000...0x3FFFD:
            return 2
        default:
            return 1
        }
    }
}

/// Incremental UTF-8 decoding, byte by byte, so characters split across reads decode whole.
/// Invalid input becomes U+FFFD.
struct UTF8Decoder {
    private var pending: [UInt8] = []

    mutating func next(_ byte: UInt8) -> Unicode.Scalar? {
        if pending.isEmpty {
            if byte < 0x80 { return Unicode.Scalar(byte) }
            if byte < 0xC2 || byte > 0xF4 { return "\u{FFFD}" }
            pending = [byte]
            return nil
        }
        guard byte & 0xC0 == 0x80 else {
            pending = []  // drop the broken sequence, decode this byte afresh
            return next(byte)
        }
        pending.append(byte)
        let needed = pending[0] >= 0xF0 ? 4 : pending[0] >= 0xE0 ? 3 : 2
        guard pending.count == needed else { return nil }
        defer { pending = [] }
        var iterator = pending.makeIterator()
        var utf8 = Unicode.UTF8()
        if case .scalarValue(let scalar) = utf8.decode(&iterator) { return scalar }
        return "\u{FFFD}"
    }
}
