import ArgumentParser
import Foundation
import Logging
import SwitchboardCore
import SwitchboardPhone
import SwitchboardServer
import SwitchboardServices

/// Benchmarks that need the server's internals (run in release builds; see Benchmarks/).
struct Bench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Benchmarks (use a release build).",
        subcommands: [SeedPhonebook.self, LookupLatency.self, InlineRequests.self, SyncCSV.self, NumberParsing.self])
}

/// Fills a data directory's default account with generated synced entries.
struct SeedPhonebook: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "seed-phonebook",
        abstract: "Generate N realistic entries (names and numbers from several countries) into the default account.",
        discussion: "Half the entries get Berlin numbers +4930 followed by the entry's index in 7 digits, so load generators can ask for +4930%07d.")

    @Option var dataDir: String
    @Option var entries: Int = 1_000_000
    @Option var batch: Int = 5_000

    func validate() throws {
        guard entries >= 1 else { throw ValidationError("--entries must be at least 1") }
        guard batch >= 1 else { throw ValidationError("--batch must be at least 1") }
    }

    func run() async throws {
        let (app, accountId) = try await openForBench(dataDir: dataDir)
        let clock = ContinuousClock()
        let start = clock.now
        var generator = PhonebookGenerator(seed: 42)
        var done = 0
        while done < entries {
            let count = min(batch, entries - done)
            let records = (done..<(done + count)).map { generator.record(index: $0) }
            _ = try await app.phonebook.insertSynced(accountId: accountId, interfaceId: "ifc_bench", records: records)
            done += count
            if done % 100_000 == 0 || done == entries {
                let elapsed = clock.now - start
                print("seeded \(done) entries in \(elapsed.formatted(.units(allowed: [.seconds], fractionalPart: .show(length: 1))))")
            }
        }
        let elapsed = seconds(clock.now - start)
        print(String(format: "total: %d entries in %.1f s (%.0f entries/s)", entries, elapsed, Double(entries) / elapsed))
        print("max RSS: \(maxRSSMegabytes()) MiB")
        await app.close()
    }
}

/// In-process caller-ID lookups against a seeded data directory: p50/p99.
struct LookupLatency: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "lookup",
        abstract: "Time phonebook lookups in-process (no network) with numbers in mixed formats.")

    @Option var dataDir: String
    @Option var lookups: Int = 100_000
    @Option(help: "Entries seeded (lookups pick numbers among them).") var entries: Int = 1_000_000

    func validate() throws {
        guard lookups >= 1 else { throw ValidationError("--lookups must be at least 1") }
        guard entries >= 2 else { throw ValidationError("--entries must be at least 2 (lookups ask for numbers of the first half)") }
    }

    func run() async throws {
        let (app, accountId) = try await openForBench(dataDir: dataDir)
        let region = try await app.phonebook.region(accountId: accountId, userId: nil)
        var generator = PhonebookGenerator(seed: 7)
        for (label, format) in [("E.164 caller ID (+4930…)", 0), ("national (030 …)", 1), ("international with spaces", 2), ("unknown number", 3)] {
            var latencies = Latencies(capacity: lookups)
            for _ in 0..<lookups {
                let index = Int.random(in: 0..<(entries / 2), using: &generator.random)
                let number: String = switch format {
                case 0: String(format: "+4930%07d", index)
                case 1: String(format: "030 %07d", index)
                case 2: String(format: "+49 30 %07d", index)
                default: String(format: "+1 555 %07d", index)
                }
                let start = latencies.clock.now
                let result = try await app.phonebook.lookup(accountId: accountId, number: number, region: region)
                latencies.record(since: start, hit: result.best != nil)
            }
            latencies.report(label)
        }
        // What a connection does with a caller ID in E.164: the request line in, the answer out,
        // from the caller-ID index (the lookups above call the service, which reads the database).
        let bench = try await InlineBench(app: app, token: try operatorToken(dataDir: dataDir))
        var out: [UInt8] = []
        // Until the caller's region is kept (the login's own write makes it stale once): a request
        // is answered on the event loop only then, as in a connection.
        let warm = Array(#"{"jsonrpc":"2.0","id":0,"method":"phonebook.lookup","params":{"number":"+49300000000"}}"#.utf8)
        for _ in 0..<200 where !warm.withUnsafeBytes({ bench.answer($0, into: &out) }) {
            await bench.answerAsync(warm, into: &out)
            try await Task.sleep(for: .milliseconds(10))
        }
        var latencies = Latencies(capacity: lookups)
        for i in 0..<lookups {
            let index = Int.random(in: 0..<(entries / 2), using: &generator.random)
            let line = Array(String(format: #"{"jsonrpc":"2.0","id":%d,"method":"phonebook.lookup","params":{"number":"+4930%07d"}}"#, i, index).utf8)
            out.removeAll(keepingCapacity: true)
            let start = latencies.clock.now
            let answered = line.withUnsafeBytes { bench.answer($0, into: &out) }
            latencies.record(since: start, hit: answered && out.count > 300)
        }
        let indexed = app.callerIDIndex?.isIndexed(accountId: accountId) == true ? "from the caller-ID index" : "not indexed: from the database"
        latencies.report("E.164 caller ID as a request line (parse to answer; \(indexed))")
        print("max RSS: \(maxRSSMegabytes()) MiB")
        await app.close()
    }
}

/// The server's per-request CPU for requests answered on the event loop,
/// without sockets or a load generator: the part of `Benchmarks/phonebook.sh`'s
/// cost that is Switchboard's own code (request lines in, answer bytes out).
struct InlineRequests: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "inline",
        abstract: "Time requests answered on the event loop (phonebook.lookup, system.ping) in-process, on one thread, without sockets.")

    enum Kind: String, ExpressibleByArgument, CaseIterable {
        case hit, miss, missUS = "miss-us", ping
    }

    @Option var dataDir: String
    @Option var requests: Int = 500_000
    @Option(help: "Entries seeded (hits ask for +4930 numbers among the first half).") var entries: Int = 1_000_000
    @Option(help: "hit: seeded +4930 numbers; miss: unknown +4931 numbers; miss-us: unknown +1 202 numbers; ping: system.ping.") var kind: Kind = .hit
    @Option(help: "Memory for the caller-ID index in MiB, as `serve` takes it (0: lookups read the database).") var callerIdMemoryMib: Int = ServerConfiguration().callerIdMemoryMiB

    func validate() throws {
        guard callerIdMemoryMib >= 0 else { throw ValidationError("--caller-id-memory-mib must be 0 or more") }
        guard requests >= 1 else { throw ValidationError("--requests must be at least 1") }
        guard entries >= 2 else { throw ValidationError("--entries must be at least 2 (hits ask for numbers of the first half)") }
    }

    func run() async throws {
        let (app, _) = try await openForBench(dataDir: dataDir) { $0.callerIdMemoryMiB = callerIdMemoryMib }
        let bench = try await InlineBench(app: app, token: try operatorToken(dataDir: dataDir))
        let lines: [[UInt8]] = (0..<requests).map { i in
            let request = switch kind {
            case .hit: String(format: #"{"jsonrpc":"2.0","id":%d,"method":"phonebook.lookup","params":{"number":"+4930%07d"}}"#, i, i % (entries / 2))
            case .miss: String(format: #"{"jsonrpc":"2.0","id":%d,"method":"phonebook.lookup","params":{"number":"+4931%07d"}}"#, i, i)
            case .missUS: String(format: #"{"jsonrpc":"2.0","id":%d,"method":"phonebook.lookup","params":{"number":"+1202%07d"}}"#, i, i)
            case .ping: String(format: #"{"jsonrpc":"2.0","id":%d,"method":"system.ping","params":{}}"#, i)
            }
            return Array(request.utf8)
        }
        let noMatch = Array(#""match":null"#.utf8)
        var out: [UInt8] = []
        out.reserveCapacity(1 << 20)
        await bench.answerAsync(lines[0], into: &out)  // as a connection's first request: fills the region cache
        var inline = 0, found = 0, bytes = 0
        var elapsed = Duration.zero
        let clock = ContinuousClock()
        let cpuStart = threadCPUSeconds()
        var next = 0
        while next < lines.count {
            // Timed in chunks; the answers are checked between them.
            let end = min(next + 1_000, lines.count)
            out.removeAll(keepingCapacity: true)
            let start = clock.now
            for i in next..<end where lines[i].withUnsafeBytes({ bench.answer($0, into: &out) }) { inline += 1 }
            elapsed += clock.now - start
            bytes += out.count
            if kind != .ping {
                found += (end - next) - out.withUnsafeBytes { occurrences(of: noMatch, in: $0) }
            }
            next = end
        }
        let cpu = threadCPUSeconds() - cpuStart
        let perRequest = seconds(elapsed) / Double(requests) * 1e6
        print(String(format: "%@: %d requests, %d answered inline, %d matched, %.0f bytes/answer", kind.rawValue, requests, inline, found, Double(bytes) / Double(max(inline, 1))))
        print(String(format: "%.2f µs/request wall (%.0f requests/s on one thread); thread CPU %.2f µs/request incl. checks", perRequest, 1e6 / perRequest, cpu / Double(requests) * 1e6))
        print("max RSS: \(maxRSSMegabytes()) MiB")
        await app.close()
    }
}

/// How many times `needle` occurs in `haystack`.
func occurrences(of needle: [UInt8], in haystack: UnsafeRawBufferPointer) -> Int {
    guard var rest = haystack.baseAddress, let first = needle.first else { return 0 }
    let end = rest + haystack.count
    var count = 0
    while end - rest >= needle.count, let hit = memchr(rest, Int32(first), end - rest) {
        let at = UnsafeRawPointer(hit)
        if end - at >= needle.count, memcmp(at, needle, needle.count) == 0 { count += 1 }
        rest = at + 1
    }
    return count
}

/// CPU time of the calling thread.
func threadCPUSeconds() -> Double {
    var t = timespec()
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t)
    return Double(t.tv_sec) + Double(t.tv_nsec) / 1e9
}

/// Latencies of one kind of lookup, in µs, and how many found something.
struct Latencies {
    let clock = ContinuousClock()
    private var samples: [Double] = []
    private var hits = 0

    init(capacity: Int) {
        samples.reserveCapacity(capacity)
    }

    mutating func record(since start: ContinuousClock.Instant, hit: Bool) {
        let elapsed = clock.now - start
        if hit { hits += 1 }
        samples.append(Double(elapsed.components.attoseconds) / 1e12 + Double(elapsed.components.seconds) * 1e6)
    }

    /// Prints "LABEL: lookups N  hits H  p50 … µs  p99 … µs".
    mutating func report(_ label: String) {
        samples.sort()
        let p50 = samples[samples.count / 2], p99 = samples[samples.count * 99 / 100]
        print("\(label): lookups \(samples.count)  hits \(hits)  p50 \(String(format: "%.1f", p50)) µs  p99 \(String(format: "%.1f", p99)) µs")
    }
}

/// The operator token a data directory holds (for benchmarks that log in as a connection would).
func operatorToken(dataDir: String) throws -> String {
    try String(contentsOfFile: (dataDir as NSString).appendingPathComponent("operator.token"), encoding: .utf8)
        .trimmingCharacters(in: .whitespacesAndNewlines)
}

/// Opens a data directory quietly; returns the app and its default (oldest) account.
func openForBench(dataDir: String, configure: (inout ServerConfiguration) -> Void = { _ in }) async throws -> (Application, String) {
    var configuration = ServerConfiguration()
    configuration.dataDirectory = dataDir
    configure(&configuration)
    var logger = Logger(label: "bench")
    logger.logLevel = .warning
    let app = try await Application.open(configuration, logger: logger)
    // A data directory from an older build first gets its entries' stored answers: what is
    // timed then is the server's steady state, not the catching up.
    let started = ContinuousClock.now
    await app.answersRendered()
    if ContinuousClock.now - started > .seconds(1) {
        print(String(format: "rendered the stored answers first, in %.1f s", seconds(ContinuousClock.now - started)))
    }
    let indexing = ContinuousClock.now
    await app.callerIDIndexBuilt()
    if let stats = app.callerIDIndex?.stats, stats.numbers > 0 {
        print(String(format: "caller-ID index built in %.1f s: %d numbers, %d MiB",
                     seconds(ContinuousClock.now - indexing), stats.numbers, stats.bytes >> 20))
    }
    return (app, try await app.accounts.list(PageRequest(limit: 1)).items[0].id)
}

func seconds(_ d: Duration) -> Double { Double(d.components.seconds) + Double(d.components.attoseconds) / 1e18 }

func maxRSSMegabytes() -> Int {
    var usage = rusage()
    getrusage(__rusage_who_t(RUSAGE_SELF.rawValue), &usage)
    return Int(usage.ru_maxrss / 1024)
}

/// A CSV phonebook imported end to end through a real CSV interface: the file
/// is generated, read by the CSV connector, upserted by the sync engine.
struct SyncCSV: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sync-csv",
        abstract: "Import a generated CSV phonebook through a CSV interface, then re-sync it with 1% of the rows changed.")

    @Option var dataDir: String
    @Option var rows: Int = 1_000_000
    @Option(help: "Per cent of rows changed for the re-sync.") var changedPercent: Int = 1
    @Flag(help: "Reuse a data directory imported by an earlier run: only the re-sync runs.") var resyncOnly = false
    @Option(help: "Appended to the company of the changed rows (use a new one for each --resync-only run, so that each changes rows).")
    var changeMark = " (moved)"

    func validate() throws {
        guard rows >= 1 else { throw ValidationError("--rows must be at least 1") }
        guard (1...100).contains(changedPercent) else { throw ValidationError("--changed-percent must be 1 to 100") }
    }

    func run() async throws {
        let csvDirectory = (dataDir as NSString).appendingPathComponent("csv")
        try FileManager.default.createDirectory(atPath: csvDirectory, withIntermediateDirectories: true)
        let path = csvDirectory + "/phonebook.csv"
        let clock = ContinuousClock()
        var start = clock.now
        if !resyncOnly {
            try writeCSV(path: path, changedEvery: nil)
            let size = (try FileManager.default.attributesOfItem(atPath: path)[.size] as? Int) ?? 0
            print(String(format: "generated %d rows, %.1f MB in %.1f s", rows, Double(size) / 1e6, seconds(clock.now - start)))
        }

        // Without the caller-ID index: what is timed is the sync, and its peak memory the sync's. (A
        // server rebuilds the account's index once the sync is over: ~8 s of one core and ~1 GB for
        // 1,000,000 entries; see docs/design/caller-id-index.md.)
        let (app, accountId) = try await openForBench(dataDir: dataDir) {
            $0.sync.csvDirectory = csvDirectory
            $0.callerIdMemoryMiB = 0
        }
        let interface: Interface
        if resyncOnly, let existing = try await app.interfaces.list(accountId: accountId, PageRequest()).items.first(where: { $0.name == "bench" }) {
            interface = existing
        } else {
            interface = try await app.interfaces.order(accountId: accountId, system: "csv", name: "bench", actor: "bench")
            _ = try await app.interfaces.configure(
                accountId: accountId, id: interface.id, .init(settings: ["path": "phonebook.csv"]), actor: "bench")
        }
        var phases: [(String, Int?)] = [("first import", nil), ("re-sync, \(changedPercent)% changed", 100 / max(changedPercent, 1))]
        if resyncOnly { phases.removeFirst() }
        for (label, changedEvery) in phases {
            if let changedEvery { try writeCSV(path: path, changedEvery: changedEvery) }
            start = clock.now
            _ = try await app.syncs.start(accountId: accountId, interfaceId: interface.id, actor: "bench")
            guard let run = await app.syncs.wait(interfaceId: interface.id) else { throw ValidationError("the run did not start") }
            let elapsed = seconds(clock.now - start)
            let c = run.counts
            print(String(format: "%@: %@ in %.1f s (%.0f rows/s); seen %d created %d updated %d unchanged %d deleted %d rejected %d%@; peak RSS so far %d MiB",
                         label, run.state.rawValue, elapsed, Double(rows) / elapsed, c.seen, c.created, c.updated, c.unchanged, c.deleted,
                         c.rejected, run.failure.map { " — " + $0 } ?? "", maxRSSMegabytes()))
        }
        start = clock.now
        let hits = try await app.phonebook.search(accountId: accountId, query: "müller", limit: 5).count
        print(String(format: "searchable: \"müller\" → %d hits in %.1f ms", hits, seconds(clock.now - start) * 1_000))
        print("max RSS: \(maxRSSMegabytes()) MiB")
        await app.close()
    }

    /// The generated phonebook as CSV; with `changedEvery`, every n-th row gets another company.
    func writeCSV(path: String, changedEvery: Int?) throws {
        FileManager.default.createFile(atPath: path, contents: nil)
        let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: path))
        defer { try? handle.close() }
        var generator = PhonebookGenerator(seed: 42)
        var text = "id,firstname,lastname,company,phone,mobile,email\n"
        for index in 0..<rows {
            let record = generator.record(index: index)
            let f = record.fields
            let phone = f.numbers?.first { $0.kind == .phone }?.text ?? ""
            let mobile = f.numbers?.first { $0.kind == .mobile }?.text ?? ""
            var company = f.company ?? ""
            if let changedEvery, index % changedEvery == 0 { company += changeMark }
            text += CSV.line([record.externalId, f.firstName ?? "", f.lastName ?? "", company, phone, mobile, f.email ?? ""]).dropLast(2) + "\n"
            if text.utf8.count > 1 << 20 {
                try handle.write(contentsOf: Data(text.utf8))
                text = ""
            }
        }
        try handle.write(contentsOf: Data(text.utf8))
    }

}

/// What libphonenumber costs a sync per number, on one thread: the floor under
/// `sync-csv`'s first import, which parses every number of every new row.
struct NumberParsing: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "numbers",
        abstract: "Time the number parsing a sync does per number (libphonenumber), on one thread, on the numbers sync-csv generates.")

    @Option var rows: Int = 200_000
    @Option(help: "The account's default region.") var region = "DE"

    func validate() throws {
        guard rows >= 1 else { throw ValidationError("--rows must be at least 1") }
    }

    func run() throws {
        var generator = PhonebookGenerator(seed: 42)
        var numbers: [(kind: EntryNumber.Kind, text: String)] = []
        for index in 0..<rows { numbers += generator.record(index: index).fields.numbers ?? [] }
        let perRow = Double(numbers.count) / Double(rows)
        print(String(format: "%d rows, %d numbers (%.2f per row), region %@", rows, numbers.count, perRow, region))
        let clock = ContinuousClock()
        // What a sync stores per number (PhoneNumbers.entryNumber), and the parse alone (E.164
        // without a display form), each timed over all numbers after one warm-up pass.
        let passes: [(String, (String) -> Int)] = [
            ("stored number (parse, E.164, display form, lookup keys)", { PhoneNumbers.entryNumber($0, kind: .phone, region: region).lookupKeys.count }),
            ("parse and E.164 only", { PhoneNumberParser.parse($0, region: region, options: []).e164?.utf8.count ?? 0 }),
        ]
        for (label, work) in passes {
            var check = 0
            for number in numbers.prefix(10_000) { check &+= work(number.text) }
            let start = clock.now
            for number in numbers { check &+= work(number.text) }
            let micros = seconds(clock.now - start) * 1e6 / Double(numbers.count)
            print(String(format: "%@: %.2f µs per number; %.1f s of CPU for a 1,000,000-row import (checksum %d)",
                         label, micros, micros * perRow, check))
        }
    }
}
