import Foundation
import SwitchboardCore

/// A CSV phonebook on a URL (http/https, optional Basic auth) or in a local
/// directory the server was allowed to read (PRODUCT.md: the column codes).
public struct CSVConnector: ContactSource {
    public static let descriptor = ConnectorDescriptor(
        system: "csv", label: "CSV file",
        summary: "A phonebook as a CSV file on a URL or in the server's CSV directory; the header row names the columns by code.",
        fields: [
            FieldSpec("url", "File URL", required: false, example: "https://intranet.example.com/phonebook.csv",
                      help: "http or https; redirects are followed. Give either url or path."),
            FieldSpec("path", "Local file", required: false, example: "phonebook.csv",
                      help: "A file in the server's CSV directory (self-hosted installs)."),
            FieldSpec("delimiter", "Delimiter", required: false, example: ";", choices: [",", ";", "tab", "|"],
                      help: "Detected from the header when not set."),
            FieldSpec("encoding", "Encoding", required: false, example: "windows-1252", choices: ["utf-8", "windows-1252"],
                      help: "Detected when not set: UTF-8, or Windows-1252 when the file is not valid UTF-8."),
            FieldSpec("username", "User name", kind: .credential, required: false, example: "phonebook",
                      help: "For a URL behind HTTP Basic authentication."),
            FieldSpec("password", "Password", kind: .credential, required: false),
        ],
        capabilities: [.contactsRead],
        settingsRule: "exactly one of url and path")

    /// Contacts handed to the sink at a time.
    public static let batchSize = 5_000

    public init() {}

    /// Checks `url`/`path` and `delimiter` before they are saved.
    public static func validate(settings: [String: String]) throws(ConnectorError) {
        let url = settings["url"], path = settings["path"]
        if url != nil && path != nil { throw ConnectorError(.configuration, "give either url or path, not both", field: "path") }
        if let url {
            guard let parsed = URL(string: url), let scheme = parsed.scheme?.lowercased(), ["http", "https"].contains(scheme), parsed.host != nil else {
                throw ConnectorError(.configuration, "must be an http or https URL", field: "url")
            }
        }
        if let delimiter = settings["delimiter"], delimiterByte(delimiter) == nil {
            throw ConnectorError(.configuration, "must be one of , ; tab |", field: "delimiter")
        }
    }

    static func delimiterByte(_ text: String) -> UInt8? {
        switch text {
        case ",": UInt8(ascii: ",")
        case ";": UInt8(ascii: ";")
        case "tab", "\t": 0x09
        case "|": UInt8(ascii: "|")
        default: nil
        }
    }

    public func test(_ context: ConnectorContext) async throws -> String {
        let file = try await fetch(context, previous: nil)!
        defer { if file.isTemporary { try? FileManager.default.removeItem(atPath: file.path) } }
        let counter = CountingSink()
        try await Self.parse(file.path, settings: context.settings, into: counter)
        let (rows, rejected, warnings) = await counter.totals()
        var report = "read \(file.isTemporary ? context.settings["url"] ?? "" : context.settings["path"] ?? ""): \(rows) contacts"
        if rejected > 0 { report += ", \(rejected) rows would be rejected" }
        if !warnings.isEmpty { report += "; " + warnings.joined(separator: "; ") }
        return report
    }

    public func read(_ context: ConnectorContext, previous: SourceFingerprint?, into sink: any ContactSink) async throws -> ReadResult {
        guard let file = try await fetch(context, previous: previous) else { return .unchanged }
        defer { if file.isTemporary { try? FileManager.default.removeItem(atPath: file.path) } }
        if let previous, previous.contentHash != nil, previous.contentHash == file.fingerprint.contentHash { return .unchanged }
        try await Self.parse(file.path, settings: context.settings, into: sink)
        return .complete(file.fingerprint)
    }

    /// The file on disk: downloaded, or the local one. nil: not modified since `previous`.
    func fetch(_ context: ConnectorContext, previous: SourceFingerprint?) async throws -> FetchedFile? {
        try Self.validate(settings: context.settings)
        if let url = context.settings["url"] {
            let auth = context.credentials["username"].map { ($0, context.credentials["password"] ?? "") }
            return try await Fetch.download(url, basicAuth: auth, previous: previous, context: context)
        }
        if let path = context.settings["path"] { return try Fetch.local(path, context: context) }
        throw ConnectorError(.configuration, "set url (a file on the web) or path (a file in the server's CSV directory)", field: "url")
    }

    /// Reads the file in 1 MiB chunks and hands contacts to `sink` in batches.
    /// A header without the mandatory columns throws before anything is handed over.
    static func parse(_ path: String, settings: [String: String], into sink: any ContactSink) async throws {
        guard let handle = FileHandle(forReadingAtPath: path) else { throw ConnectorError(.remote, "cannot read the downloaded file") }
        defer { try? handle.close() }
        let encoding: CSVDecoder.Encoding? = switch settings["encoding"] {
        case "utf-8": .utf8
        case "windows-1252": .windows1252
        default: nil
        }
        var decoder = CSVDecoder(delimiter: settings["delimiter"].flatMap(Self.delimiterByte), encoding: encoding)
        var reader = RowReader()
        let fileSize = (try? FileManager.default.attributesOfItem(atPath: path)[.size] as? Int) ?? 0
        var first = true
        while true {
            let chunk = try handle.read(upToCount: 1 << 20) ?? Data()
            let rows: [CSV.Row]
            if chunk.isEmpty {
                do { rows = try decoder.finish() } catch { throw ConnectorError(.invalidSource, "line \(error.line): \(error.reason)") }
            } else {
                rows = chunk.withUnsafeBytes { decoder.feed($0) }
            }
            if first, !chunk.isEmpty, !rows.isEmpty {
                // The whole file's row count, guessed from its first MiB: the duplicate-key table is
                // sized once instead of growing (and rehashing every key) twenty times on the way to a million.
                reader.expect(rows: Int(Double(rows.count) * Double(fileSize) / Double(chunk.count) * 1.05))
            }
            first = false
            try await reader.take(rows, rejected: decoder.takeRejected(), into: sink)
            if chunk.isEmpty { break }
        }
        try await reader.flush(into: sink)
        if reader.columns == nil { throw ConnectorError(.invalidSource, "the file is empty: it needs a header row naming the columns") }
    }

    /// Turns decoded rows into contacts: header checks, row checks, duplicate keys.
    struct RowReader {
        var columns: PhonebookCSV.Columns?
        var batch: [SourceContact] = []
        var rejected: [RowError] = []
        /// Keys seen so far, with their line (a key that repeats is rejected).
        var seen: [String: Int] = [:]

        /// Sizes the key table for about `rows` rows (bounded: a guess must not reserve gigabytes).
        mutating func expect(rows: Int) {
            seen.reserveCapacity(min(max(rows, 0), 10_000_000))
        }

        mutating func take(_ rows: [CSV.Row], rejected decoderRejected: [CSV.Error], into sink: any ContactSink) async throws {
            for error in decoderRejected { rejected.append(RowError(line: error.line, reason: error.reason)) }
            for row in rows {
                guard let columns else {
                    let header = PhonebookCSV.Columns(header: row.fields)
                    if let missing = header.missingMandatory {
                        throw ConnectorError(.invalidSource,
                            "missing mandatory column: the header needs \(missing) (it has: \(row.fields.joined(separator: ", ")))")
                    }
                    for (code, column) in header.unknown { await sink.warn("unknown column \"\(code)\" (column \(column)) ignored") }
                    for code in header.repeated { await sink.warn("column \"\(code)\" appears more than once; the last one is used") }
                    columns = header
                    continue
                }
                let (key, fields) = columns.read(row.fields)
                if let reason = Self.problem(fields) {
                    rejected.append(RowError(line: row.line, reason: reason, externalId: key))
                    continue
                }
                let externalId = key ?? Self.derivedKey(fields)
                // One hash for the common case (a new key); a repeated key gets its first line back.
                if let first = seen.updateValue(row.line, forKey: externalId) {
                    seen[externalId] = first
                    let what = key != nil ? "id \"\(externalId)\"" : "the same name and numbers"
                    rejected.append(RowError(line: row.line, reason: "duplicate: \(what) already at line \(first)"))
                    continue
                }
                batch.append(SourceContact(externalId: externalId, fields: fields, line: row.line))
                if batch.count >= CSVConnector.batchSize { try await flush(into: sink) }
            }
        }

        mutating func flush(into sink: any ContactSink) async throws {
            guard !batch.isEmpty || !rejected.isEmpty else { return }
            try await sink.accept(batch, rejected: rejected)
            batch.removeAll(keepingCapacity: true)
            rejected.removeAll()
        }

        static func problem(_ f: PhonebookFields) -> String? {
            if f.displayName == nil && f.firstName == nil && f.lastName == nil && f.company == nil {
                return "no name: fill name, firstname, lastname or company"
            }
            if f.numbers?.isEmpty ?? true { return "no phone number" }
            return nil
        }

        /// Rows of a file without an `id` column are keyed by name and numbers.
        static func derivedKey(_ f: PhonebookFields) -> String {
            let numbers = (f.numbers ?? []).map { "\($0.kind.rawValue)=\($0.text)" }.joined(separator: ",")
            return "row:" + [f.displayName, f.firstName, f.lastName, f.company].map { $0 ?? "" }.joined(separator: "|") + "|" + numbers
        }
    }
}

/// Counts what a read would deliver (for `interfaces.test`).
actor CountingSink: ContactSink {
    var rows = 0
    var rejected = 0
    var warnings: [String] = []

    func accept(_ contacts: [SourceContact], rejected: [RowError]) async throws {
        rows += contacts.count
        self.rejected += rejected.count
    }

    func remove(_ externalIds: [String]) async throws {}

    func warn(_ warning: String) async { warnings.append(warning) }

    func totals() -> (Int, Int, [String]) { (rows, rejected, warnings) }
}
