import Dispatch
import Foundation
import Logging
import Synchronization
import SwitchboardCore
import SwitchboardPhone

/// Writes what `CallerIDIndex` keeps for a number: the part of a caller-ID
/// answer that depends only on the entries that match (the wire format is
/// the server's; see `RowAnswers`).
public protocol CallerIDAnswerRenderer: AnyObject {
    /// Keeps what the answer needs of `row` (valid only during the call); returns its tag.
    func capture(_ row: EntryRowView) -> Int
    /// The entries' part of the answer for `outcome`, whose candidates carry the
    /// tags `capture` returned, as bytes valid during `body`. Forgets the captured rows.
    func withMatchPart<R>(_ outcome: LookupOutcome<LookupRow>, _ body: (UnsafeRawBufferPointer) -> R) -> R
}

/// The caller-ID answers of every E.164 number in the phonebooks, kept ready in
/// memory: a lookup of a number that arrives in E.164 ("+4930…", how a PBX
/// hands over a caller ID) is a hash-table probe and a copy, without SQLite.
///
/// **What is kept.** Per account, per E.164 key of `phonebookNumber`: the
/// answer's part that depends on the entries (best entry, candidates, match,
/// ambiguity), rendered by the server's `CallerIDAnswerRenderer` from the same
/// rows, with the same ranking (`LookupSteps.rank`), as a lookup through SQLite.
/// The part that depends on the request (the number as given, the caller's
/// region) is written per request. Only exact E.164 hits are answered here;
/// anything else — another format, a number no entry has, an account not
/// (yet) indexed — goes the SQLite way as before, so the index can only make a
/// lookup faster, never different.
///
/// **Never stale.** The store tells after every committed write which accounts'
/// entries or number keys changed (`ImmediateLookups.observePhonebookChanges`),
/// before the write returns: their tables are dropped at once, and rebuilt in
/// the background once the account has been quiet for `quietPeriod` (a sync
/// changes rows for minutes; its account is rebuilt once, after it). A build
/// reads the account in one snapshot and is kept only if no change was told
/// for the account since it began. See docs/design/caller-id-index.md.
///
/// **Memory.** About the size of the answers (≈ 800 bytes per number); accounts are
/// indexed while the total stays within `memoryLimit`, the rest are answered
/// through SQLite.
public final class CallerIDIndex: Sendable {
    public struct Options: Sendable {
        /// Most bytes all tables may take (0: no index).
        public var memoryLimit: Int
        /// How long an account's phonebook must be unchanged before its table is rebuilt.
        public var quietPeriod: Duration = .milliseconds(500)
        public init(memoryLimit: Int) {
            self.memoryLimit = memoryLimit
        }
    }

    /// Memory the parts are copied into, freed with the last table (or builder) holding it.
    final class Chunks: @unchecked Sendable {  // written only by the builder, before the table is shared
        var list: [UnsafeMutableRawBufferPointer] = []
        deinit { for chunk in list { chunk.deallocate() } }
    }

    /// The kept answers of one account. Immutable once built; a lookup holds it
    /// (see `table(accountId:)`) for as long as it copies from it.
    public final class Table: @unchecked Sendable {  // immutable after init
        /// Open addressing, linear probing, a power of two at most half full: each slot is
        /// (packed key, location) side by side, so a probe is one cache line where a
        /// `Dictionary` touches three. Key 0 marks an empty slot (no packed key is 0).
        /// Location: chunk << 48 | offset << 24 | count.
        private let slots: UnsafeMutableBufferPointer<(key: UInt64, location: UInt64)>
        private let mask: Int
        let chunks: Chunks
        let numbers: Int
        let bytes: Int

        init(_ parts: [(key: UInt64, location: UInt64)], chunks: Chunks, bytes: Int) {
            var capacity = 16
            while capacity < parts.count * 2 { capacity <<= 1 }
            slots = .allocate(capacity: capacity)
            slots.initialize(repeating: (0, 0))
            mask = capacity - 1
            var numbers = 0
            for part in parts {
                var i = Self.slot(part.key, mask)
                while slots[i].key != 0, slots[i].key != part.key { i = (i + 1) & mask }
                if slots[i].key == 0 { numbers += 1 }
                slots[i] = part
            }
            self.chunks = chunks
            self.numbers = numbers
            self.bytes = bytes + capacity * MemoryLayout<(UInt64, UInt64)>.stride
        }

        deinit { slots.deallocate() }

        /// A multiplicative hash's top bits (keys are decimal numbers: their low bits are not spread).
        @inline(__always)
        private static func slot(_ key: UInt64, _ mask: Int) -> Int {
            Int(truncatingIfNeeded: (key &* 0x9E37_79B9_7F4A_7C15) >> 32) & mask
        }

        /// The kept part for a caller ID in E.164 ("+" and 7 to 15 digits), during `body`; nil when none.
        public func withPart<R>(e164 number: String, _ body: (UnsafeRawBufferPointer) -> R) -> R? {
            var number = number
            guard let key = number.withUTF8({ CallerIDIndex.packedKey($0) }) else { return nil }
            return withPart(key, body)
        }

        func withPart<R>(_ key: UInt64, _ body: (UnsafeRawBufferPointer) -> R) -> R? {
            var i = Self.slot(key, mask)
            while true {
                let slot = slots[i]
                if slot.key == key { break }
                if slot.key == 0 { return nil }
                i = (i + 1) & mask
            }
            let location = slots[i].location
            let chunk = chunks.list[Int(location >> 48)]
            let offset = Int((location >> 24) & 0xFF_FFFF), count = Int(location & 0xFF_FFFF)
            return body(UnsafeRawBufferPointer(start: chunk.baseAddress! + offset, count: count))
        }
    }

    private struct State {
        var tables: [String: Table] = [:]
        /// Changes told per account; a build is kept only if the count did not move while it ran.
        var changes: [String: UInt64] = [:]
        /// Accounts to build, and when (after their quiet period).
        var due: [String: ContinuousClock.Instant] = [:]
        /// The account being built.
        var building: String?
        var closed = false
        var bytes: Int { tables.values.reduce(0) { $0 + $1.bytes } }
    }

    /// What `stats` reports.
    public struct Stats: Sendable, Equatable {
        public var accounts: Int
        public var numbers: Int
        public var bytes: Int
        /// Accounts changed and waiting for (or in) a build.
        public var pending: Int
    }

    private let source: any ImmediateLookups
    private let makeRenderer: @Sendable () -> any CallerIDAnswerRenderer
    private let options: Options
    private let logger: Logger
    private let state = Mutex(State())
    private let wake = DispatchSemaphore(value: 0)
    private let stopped = DispatchSemaphore(value: 0)
    /// Lookups answered from a table (`countAnswered`, `answeredCount`).
    private let answered = Atomic<Int>(0)
    private let closing = Atomic<Bool>(false)
    /// Whether `start` ran (only then is there a builder to wait for).
    private let started = Atomic<Bool>(false)
    /// Moves whenever a table is dropped or installed (see `epoch`).
    private let epochCounter = Atomic<UInt64>(0)

    /// Told after tables were dropped (outside every lock): holders of a table taken
    /// by `table(accountId:)` let go of it, so that its memory is freed now.
    private let onDrop: @Sendable () -> Void

    /// Nil when the store cannot read synchronously or the limit is 0.
    public init?(
        store: any PhonebookStore, options: Options, logger: Logger, renderer: @escaping @Sendable () -> any CallerIDAnswerRenderer,
        onDrop: @escaping @Sendable () -> Void = {}
    ) {
        guard options.memoryLimit > 0, let source = store as? any ImmediateLookups else { return nil }
        self.source = source
        self.options = options
        self.logger = logger
        self.onDrop = onDrop
        makeRenderer = renderer
        source.observePhonebookChanges { [weak self] accounts in self?.changed(accounts) }
    }

    /// Builds every account's table in the background, then keeps them current.
    public func start() throws {
        let accounts = try source.accountIdsNow() ?? []
        guard !started.exchange(true, ordering: .sequentiallyConsistent) else { return }
        let now = ContinuousClock.now
        state.withLock { state in
            for account in accounts where state.due[account] == nil { state.due[account] = now }
        }
        let thread = Thread { [self] in run() }
        thread.name = "caller-ID index"
        thread.start()
    }

    /// Stops the builder (a build in progress stops within a few thousand rows).
    public func close() {
        closing.store(true, ordering: .relaxed)
        let wasClosed = state.withLock { state in
            defer {
                state.closed = true
                state.tables = [:]
                epochCounter.add(1, ordering: .sequentiallyConsistent)
            }
            return state.closed
        }
        guard !wasClosed else { return }
        onDrop()
        guard started.load(ordering: .sequentiallyConsistent) else { return }
        wake.signal()
        stopped.wait()
    }

    /// Moves (before the store's write returns) whenever any account's table is
    /// dropped or a new one installed: a table taken by `table(accountId:)` may be
    /// used again, without asking, while the epoch is the one read before taking it.
    public var epoch: UInt64 { epochCounter.load(ordering: .sequentiallyConsistent) }

    /// The account's table, if it is kept now.
    public func table(accountId: String) -> Table? {
        state.withLock { $0.tables[accountId] }
    }

    /// Counts a lookup answered from a table (for tests and benchmarks).
    public func countAnswered() {
        answered.add(1, ordering: .relaxed)
    }

    public var stats: Stats {
        state.withLock { state in
            Stats(accounts: state.tables.count, numbers: state.tables.values.reduce(0) { $0 + $1.numbers }, bytes: state.bytes,
                  pending: state.due.count)
        }
    }

    /// Lookups answered from the index so far.
    public var answeredCount: Int { answered.load(ordering: .relaxed) }

    /// Whether a table is being built now.
    public var isBuilding: Bool { state.withLock { $0.building != nil } }

    /// Whether `accountId` is answered from memory now.
    public func isIndexed(accountId: String) -> Bool {
        state.withLock { $0.tables[accountId] != nil }
    }

    /// Told by the store after a commit: those accounts' tables are stale (nil: every account's).
    private func changed(_ changedAccounts: Set<String>?) {
        let due = ContinuousClock.now + options.quietPeriod
        let dropped: [Table] = state.withLock { state in
            let accounts = changedAccounts ?? Set(state.tables.keys).union(state.due.keys).union(state.changes.keys)
            var dropped: [Table] = []
            for account in accounts {
                state.changes[account, default: 0] &+= 1
                if let table = state.tables.removeValue(forKey: account) {
                    dropped.append(table)
                    epochCounter.add(1, ordering: .sequentiallyConsistent)
                }
                state.due[account] = due
            }
            return dropped
        }
        if !dropped.isEmpty { onDrop() }
        _ = dropped  // freed here, outside the lock
        wake.signal()
    }

    /// The builder's loop: builds each due account, or waits for the next.
    private func run() {
        defer { stopped.signal() }
        while true {
            enum Next { case build(String), wait(Duration?), stop }
            let now = ContinuousClock.now
            let next: Next = state.withLock { state in
                if state.closed { return .stop }
                if let (account, _) = state.due.first(where: { $0.value <= now }) {
                    state.due[account] = nil
                    state.building = account
                    return .build(account)
                }
                return .wait(state.due.values.min().map { $0 - now })
            }
            switch next {
            case .stop: return
            case .build(let account): build(account)
            case .wait(let delay):
                if let delay {
                    let nanoseconds = max(1_000_000, delay.components.seconds * 1_000_000_000 + delay.components.attoseconds / 1_000_000_000)
                    _ = wake.wait(timeout: .now() + .nanoseconds(Int(nanoseconds)))
                } else {
                    wake.wait()
                }
            }
        }
    }

    private func build(_ account: String) {
        defer { state.withLock { $0.building = nil } }
        let (version, budget) = state.withLock { state in
            (state.changes[account, default: 0], options.memoryLimit - state.bytes)
        }
        let began = ContinuousClock.now
        var builder = TableBuilder(budget: budget)
        let renderer = makeRenderer()
        var groupKey: [UInt8] = []
        var group: [LookupRow] = []
        func finishGroup() {
            guard !group.isEmpty else { return }
            let outcome = LookupOutcome(query: "", normalized: nil, match: .e164, candidates: LookupSteps.rank(group), user: nil)
            renderer.withMatchPart(outcome) { builder.add(key: groupKey, part: $0) }
            group.removeAll(keepingCapacity: true)
        }
        do {
            var rows = 0
            let complete = try source.visitKeyedEntriesNow(accountId: account, keyPrefix: Self.keyPrefix) { key, row in
                rows += 1
                if rows & 4_095 == 0, closing.load(ordering: .relaxed) { throw CancellationError() }
                guard !builder.full else { return }
                if !key.bytes.elementsEqual(groupKey) {
                    finishGroup()
                    groupKey = Array(key.bytes)
                }
                group.append(LookupRow(row, tag: renderer.capture(row), readingNumbers: false))
            }
            finishGroup()
            guard complete else {
                // Rows whose answers are still being rendered: their rendering is a write, which will tell.
                logger.debug("caller-ID index: \(account) waits for rendered answers")
                return
            }
        } catch is CancellationError {
            return
        } catch {
            logger.error("caller-ID index: reading the phonebook failed", metadata: ["account": "\(account)", "error": "\(error)"])
            return
        }
        guard !builder.full else {
            logger.warning("caller-ID index: account left out, over the memory limit; its lookups read the database", metadata: [
                "account": "\(account)", "limit": "\(options.memoryLimit)",
            ])
            return
        }
        let table = builder.table()
        let kept = state.withLock { state -> Bool in
            guard !state.closed, state.changes[account, default: 0] == version else { return false }
            if table.numbers > 0 {
                state.tables[account] = table
                epochCounter.add(1, ordering: .sequentiallyConsistent)
            }
            return true
        }
        if kept, table.numbers > 0 {
            logger.log(level: table.numbers >= 10_000 ? .info : .debug, "caller-ID index: account ready", metadata: [
                "account": "\(account)", "numbers": "\(table.numbers)", "bytes": "\(table.bytes)",
                "duration": "\(ContinuousClock.now - began)",
            ])
        }
    }

    static let keyPrefix = LookupKey.Kind.e164.rawValue + ":"

    /// "+" and 7 to 15 digits (no leading 0) as one integer: the digits' value, and
    /// their count in the top byte. Nil for anything else.
    static func packedKey<C: Collection<UInt8>>(_ text: C) -> UInt64? {
        var value: UInt64 = 0, count: UInt64 = 0
        var iterator = text.makeIterator()
        guard iterator.next() == UInt8(ascii: "+") else { return nil }
        while let byte = iterator.next() {
            let digit = byte &- 48
            guard digit <= 9, count < 15, !(count == 0 && digit == 0) else { return nil }
            value = value * 10 + UInt64(digit)
            count += 1
        }
        guard count >= 7 else { return nil }
        return count << 56 | value
    }

    /// Collects a table's parts in chunks (growing to 16 MiB), within a budget.
    struct TableBuilder {
        var parts: [(key: UInt64, location: UInt64)] = []
        let chunks = Chunks()
        var used = 0
        var bytes = 0
        let budget: Int
        var full = false
        static let maxChunk = 1 << 24
        /// A number's slots in the table (at most half full: up to four 16-byte slots) and
        /// while building, counted against the budget.
        static let overheadPerNumber = 80

        init(budget: Int) {
            self.budget = budget
        }

        mutating func add(key text: [UInt8], part: UnsafeRawBufferPointer) {
            // Keys are "e164:+…"; a part over 1 MiB (thousands of candidates) stays in the database.
            guard let key = packedKey(text.dropFirst(CallerIDIndex.keyPrefix.utf8.count)), let source = part.baseAddress, part.count < 1 << 20
            else { return }
            if chunks.list.isEmpty || used + part.count > chunks.list[chunks.list.count - 1].count {
                guard chunks.list.count < 1 << 16 else { full = true; return }
                let size = max(part.count, min(Self.maxChunk, 65_536 << min(chunks.list.count, 8)))
                guard bytes + size + (parts.count + 1) * Self.overheadPerNumber <= budget else { full = true; return }
                chunks.list.append(.allocate(byteCount: size, alignment: 8))
                bytes += size
                used = 0
            }
            chunks.list[chunks.list.count - 1].baseAddress!.advanced(by: used).copyMemory(from: source, byteCount: part.count)
            parts.append((key, UInt64(chunks.list.count - 1) << 48 | UInt64(used) << 24 | UInt64(part.count)))
            used += part.count
        }

        func table() -> Table {
            Table(parts, chunks: chunks, bytes: bytes)
        }
    }
}
