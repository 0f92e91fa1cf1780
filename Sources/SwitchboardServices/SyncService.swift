import Foundation
import Synchronization
#if canImport(Glibc)
import Glibc
#endif
import SwitchboardConnectors
import SwitchboardCore

/// Runs syncs: one run per interface at a time (asking again joins it),
/// contacts streamed from the connector in batches and upserted by their
/// source key, entries not seen removed only at the end of a complete run.
///
/// Durability: each batch is its own transaction, so other writers get turns
/// during a long run and memory stays bounded. A run that fails (or a process
/// that dies) part-way leaves every entry either as it was or as the source
/// has it now — never torn, never deleted; the next complete run finishes the
/// job. See docs/design/sync.md.
public actor SyncService {
    let store: any SwitchboardStore
    let interfaces: InterfaceService
    let phonebook: PhonebookService
    let clock: WallClock
    /// Told of every run's progress (throttled) and of its end.
    let onProgress: @Sendable (SyncRun) -> Void
    /// Progress is published at most this often.
    let progressInterval: Duration

    private var running: [String: (run: SyncRun, task: Task<SyncRun, Never>)] = [:]

    public init(store: any SwitchboardStore, interfaces: InterfaceService, phonebook: PhonebookService, clock: WallClock = .system,
                progressInterval: Duration = .milliseconds(500), onProgress: @escaping @Sendable (SyncRun) -> Void = { _ in }) {
        self.store = store
        self.interfaces = interfaces
        self.phonebook = phonebook
        self.clock = clock
        self.progressInterval = progressInterval
        self.onProgress = onProgress
    }

    /// Runs left unfinished by a previous process are marked failed (call at start).
    @discardableResult
    public func recover() async throws -> [SyncRun] {
        // New entries a run wrote before it stopped stay (as after any failed run), and
        // are indexed for caller ID and listing, which they were still waiting for.
        _ = try await store.publishStagedEntries()
        return try await store.failUnfinishedSyncRuns(
            reason: "interrupted: the server stopped during the run; the previous data was kept", at: clock.now())
    }

    /// Starts a run now, or returns the interface's running one.
    public func start(accountId: String, interfaceId: String, mode: SyncRun.Mode = .incremental, trigger: SyncRun.Trigger = .manual,
                      actor: String) async throws -> SyncRun {
        // The account check comes first: another account's interface id is "not found", running or not.
        var interface = try await interfaces.get(accountId: accountId, id: interfaceId)
        if let current = running[interfaceId] { return current.run }
        guard interface.state == .active else {
            throw SwitchboardError.conflict("interface \(interfaceId) is \(interface.state.rawValue); only active interfaces sync")
        }
        guard interface.dataFlow.contactsIn, let source = Connectors.contactSource(system: interface.system) else {
            throw SwitchboardError.conflict("interface \(interfaceId) does not bring contacts in (data flow contactsIn is off)")
        }
        if let current = running[interfaceId] { return current.run }  // started while we awaited
        let now = clock.now()
        let run = SyncRun(id: Identifier.make("syn"), accountId: accountId, interfaceId: interfaceId, mode: mode, trigger: trigger, startedAt: now)
        interface.lastSyncAt = now
        // The run is this interface's running one from here on, before the next await: a start
        // arriving meanwhile (the scheduler, a second admin) joins it instead of racing it. Its
        // task waits until the run is stored.
        let (stored, markStored) = AsyncStream.makeStream(of: Void.self)
        let task = Task { [interface] in
            var iterator = stored.makeAsyncIterator()
            guard await iterator.next() != nil else { return run }  // storing it failed: nothing ran
            return await self.execute(run, interface: interface, source: source)
        }
        running[interfaceId] = (run, task)
        do {
            try await store.insertSyncRun(run)
            try await store.updateInterface(interface, event: interfaces.event(interface, actor, "sync", "\(trigger.rawValue) \(mode.rawValue) run \(run.id)"))
        } catch {
            markStored.finish()
            running[interfaceId] = nil
            throw error
        }
        markStored.yield()
        markStored.finish()
        onProgress(run)
        return run
    }

    /// One scheduler pass: activates ordered interfaces whose provisioning delay
    /// has passed, starts the syncs that are due, and removes the synced
    /// entries of cancelled interfaces whose `dataUntil` has passed.
    public func tick(now: Date) async throws {
        for interface in try await store.interfaces(inStates: [.ordered]) {
            guard let at = interface.provisionAt, at <= now else { continue }
            _ = try await interfaces.activate(interface, actor: "scheduler", at: now)
        }
        for interface in try await store.interfaces(inStates: [.active]) where running[interface.id] == nil {
            guard interface.dataFlow.contactsIn, Connectors.isReady(system: interface.system, settings: interface.settings,
                                                                           credentials: Set(interface.credentialsSetAt.keys)) else { continue }
            if let last = interface.lastSyncAt, last.addingTimeInterval(Double(interface.syncIntervalMinutes) * 60) > now { continue }
            do {
                _ = try await start(accountId: interface.accountId, interfaceId: interface.id, trigger: .scheduled, actor: "scheduler")
            } catch {
                continue  // changed meanwhile (cancelled, flow switched off): the next pass sees it
            }
        }
        for var interface in try await store.interfaces(inStates: [.cancelled]) {
            guard interface.dataRemovedAt == nil, let until = interface.dataUntil, until <= now else { continue }
            let synced = try await store.syncedEntries(accountId: interface.accountId, interfaceId: interface.id)
            let removed = try await store.deleteEntries(accountId: interface.accountId, seqs: synced.values.map(\.seq))
            interface.dataRemovedAt = now
            interface.updatedAt = now
            try await store.updateInterface(interface, event: interfaces.event(interface, "scheduler", "data removed", "\(removed) synced entries"))
        }
    }

    /// Waits for an interface's running run, if any, and returns how it ended.
    public func wait(interfaceId: String) async -> SyncRun? {
        guard let task = running[interfaceId]?.task else { return nil }
        return await task.value
    }

    /// Stops every run (server shutdown): each is marked failed, data kept.
    public func stopAll() async {
        let tasks = running.values.map(\.task)
        for task in tasks { task.cancel() }
        for task in tasks { _ = await task.value }
    }

    private func finished(_ run: SyncRun) {
        running[run.interfaceId] = nil
    }

    private func execute(_ start: SyncRun, interface: Interface, source: any ContactSource) async -> SyncRun {
        let sink = RunSink(run: start, service: self)
        var run = start
        var interface = interface
        do {
            let context = try interfaces.context(interface)
            // What the store has is loaded while the source is fetched and read (a second or two for
            // a million entries); the sink waits for it at the first batch.
            let store = self.store, accountId = interface.accountId, interfaceId = interface.id
            await sink.prepare(known: Task { try await store.syncedEntries(accountId: accountId, interfaceId: interfaceId) })
            let previous = run.mode == .incremental ? interface.sourceFingerprint : nil
            let result: ReadResult
            do {
                result = try await source.read(context, previous: previous, into: sink)
            } catch {
                try? await sink.flush()  // what was read is written before the run is marked failed
                throw error
            }
            try await sink.flush()
            _ = try await store.publishStagedEntries()
            try Task.checkCancellation()
            run = await sink.current
            switch result {
            case .unchanged:
                run.sourceUnchanged = true
                run.counts.unchanged = try await sink.knownCount()
            case .complete(let fingerprint):
                // Only a complete read may remove what it did not see.
                let unseen = try await sink.unseenSeqs()
                // A source that suddenly lists nobody is far more often a broken export than an
                // empty address book, and removing every entry would take caller ID with it. Only
                // a full run, asked for on purpose, empties the interface.
                if run.counts.seen == 0, !unseen.isEmpty, run.mode != .full {
                    throw SwitchboardError.conflict(Self.emptySourceMessage(kept: unseen.count))
                }
                run.counts.deleted = try await store.deleteEntries(accountId: interface.accountId, seqs: unseen)
                interface.sourceFingerprint = fingerprint
            case .delta(let fingerprint):
                // Only changes were read: what the system said it deleted goes, nothing else.
                run.counts.deleted = try await store.deleteEntries(accountId: interface.accountId, seqs: await sink.removedSeqs())
                interface.sourceFingerprint = fingerprint
            }
            run.state = .succeeded
            interface.health = .ok
            interface.healthReason = nil
        } catch {
            // The new entries it wrote stay (as after any failed run) and are found by caller ID
            // (or, if this fails too, after the next run or start).
            _ = try? await store.publishStagedEntries()
            run = await sink.current
            run.state = .failed
            switch error {
            case let error as ConnectorError:
                run.failure = error.message
                interface.health = error.kind == .unauthorized ? .needsReauth : .failed
                interface.healthReason = error.message
            case is CancellationError:
                run.failure = "stopped: the server is shutting down; the previous data was kept"
            case let error as SwitchboardError:
                run.failure = error.message
                interface.health = .failed
                interface.healthReason = error.message
            default:
                run.failure = "internal error: \(error)"
                interface.health = .failed
                interface.healthReason = run.failure
            }
        }
        run.finishedAt = clock.now()
        run.errors.sort { $0.line < $1.line }
        do {
            // Reload: the interface may have been configured during the run.
            if var latest = try await store.interface(accountId: interface.accountId, id: interface.id) {
                latest.health = interface.health
                latest.healthReason = interface.healthReason
                if run.state == .succeeded { latest.sourceFingerprint = interface.sourceFingerprint }
                latest.updatedAt = clock.now()
                try await store.updateInterface(latest, event: nil)
            }
        } catch {
            run.failure = (run.failure ?? "") + " (and saving the interface failed: \(error))"
        }
        // The interface is free before the run shows as ended: whoever sees it ended and asks
        // for another run gets a new one, never this finished one to "join".
        finished(run)
        if run.counts.seen > 0 { Self.returnFreedMemory() }  // a run that read rows; not one of an unchanged source
        do {
            try await store.updateSyncRun(run)
        } catch {
            run.failure = (run.failure ?? "") + " (and saving the run failed: \(error))"
        }
        onProgress(run)
        return run
    }

    /// Reads one batch from a connector into entries (called by `RunSink`):
    /// what is unchanged is counted and skipped, the rest is parsed (on all
    /// cores). Returns the write to make; the sink makes it while the next
    /// batch is parsed.
    fileprivate func prepare(_ contacts: [SourceContact], known: inout [String: SyncedEntryState], run: inout SyncRun) async throws
        -> (inserts: [KeyedEntry], updates: [KeyedEntry])
    {
        var changed: [SourceContact] = []
        var existing: [String: Int64] = [:]
        for contact in contacts {
            run.counts.seen += 1
            if let state = known.removeValue(forKey: contact.externalId) {
                if run.mode == .incremental, state.sourceHash == contact.contentHash {
                    run.counts.unchanged += 1
                    continue
                }
                existing[contact.externalId] = state.seq
            }
            changed.append(contact)
        }
        guard !changed.isEmpty else { return ([], []) }
        let made = try await phonebook.syncedEntries(
            accountId: run.accountId, interfaceId: run.interfaceId, contacts: changed, existing: existing)
        var inserts: [KeyedEntry] = []
        var updates: [KeyedEntry] = []
        for (contact, result) in zip(changed, made) {
            switch result {
            case .success(let keyed):
                if keyed.seq != nil { updates.append(keyed) } else { inserts.append(keyed) }
            case .failure(let rejected):
                run.reject(RowError(line: contact.line, reason: rejected.reason, externalId: contact.externalId))
                // A row that exists but is now invalid keeps its old entry rather than being deleted.
            }
        }
        run.counts.created += inserts.count
        run.counts.updated += updates.count
        return (inserts, updates)
    }

    /// Why a run that read no contacts at all removed nothing.
    static func emptySourceMessage(kept: Int) -> String {
        "the source listed no contacts; its \(kept) synced entries were kept (if it really is empty, a full sync removes them)"
    }

    /// New entries a run publishes at once, at most: they are staged with each batch (number
    /// keys, place in the order) and published in key order this many at a time (and at the
    /// end of the run), so caller ID and listings show a large import's entries in steps.
    static let entriesPerPublish = 200_000

    /// Writes one batch; `publish`: then publishes the staged entries.
    nonisolated fileprivate func write(_ batch: (inserts: [KeyedEntry], updates: [KeyedEntry]), publish: Bool) async throws {
        try await store.writeSyncBatch(inserts: batch.inserts, updates: batch.updates)
        if publish {
            _ = try await store.publishStagedEntries()
            Self.returnFreedMemory()
        }
    }

    /// Gives the memory a run's batches and publishing freed back to the system. glibc keeps
    /// freed memory for reuse, and after a large import that is tens of MiB the process
    /// holds but does not use (a 1 M-row import and a re-sync peaked ~80 MiB higher in one
    /// process than the re-sync alone).
    static func returnFreedMemory() {
        #if canImport(Glibc)
        _ = mallocTrim?(0)
        #endif
    }

    #if canImport(Glibc)
    /// glibc's `malloc_trim` (not in the Glibc module's headers), looked up once.
    private static let mallocTrim: (@convention(c) (Int) -> Int32)? = {
        guard let symbol = dlsym(UnsafeMutableRawPointer(bitPattern: 0), "malloc_trim") else { return nil }
        return unsafeBitCast(symbol, to: (@convention(c) (Int) -> Int32).self)
    }()
    #endif

    fileprivate func publish(_ run: SyncRun) async {
        try? await store.updateSyncRun(run)
        onProgress(run)
    }
}

extension SyncRun {
    mutating func reject(_ error: RowError) {
        counts.rejected += 1
        if errors.count < SyncRun.maxErrors { errors.append(error) }
    }
}

/// The sink a connector writes into during one run.
actor RunSink: ContactSink {
    private(set) var current: SyncRun
    private var known: [String: SyncedEntryState] = [:]
    private var loading: Task<[String: SyncedEntryState], any Error>?
    private let service: SyncService
    private var lastPublished = ContinuousClock.now
    private var pendingWrite: Task<Void, any Error>?
    private var processing: Task<Void, any Error>?
    private var buffered: (inserts: [KeyedEntry], updates: [KeyedEntry]) = ([], [])
    private var removed: [Int64] = []
    /// New entries written since staged entries were last published.
    private var staged = 0

    init(run: SyncRun, service: SyncService) {
        current = run
        self.service = service
    }

    func prepare(known loading: Task<[String: SyncedEntryState], any Error>) { self.loading = loading }

    /// The store's entries of the interface, once loaded (the first call waits).
    private func loadKnown() async throws {
        guard let loading else { return }
        self.loading = nil
        known = try await loading.value
    }

    func knownCount() async throws -> Int {
        try await loadKnown()
        return known.count
    }

    /// Takes a batch and returns at once (after the previous batch is done), so the
    /// connector reads the next batch while this one is matched, parsed and written.
    func accept(_ contacts: [SourceContact], rejected: [RowError]) async throws {
        try Task.checkCancellation()
        try await processing?.value  // one batch at a time, in order; its error stops the read
        processing = Task { try await self.process(contacts, rejected: rejected) }
    }

    private func process(_ contacts: [SourceContact], rejected: [RowError]) async throws {
        try await loadKnown()
        for error in rejected {
            current.reject(error)
            // Still in the source, only unreadable now: its entry stays as it was.
            if let key = error.externalId { known.removeValue(forKey: key) }
        }
        var run = current
        var known = self.known
        self.known = [:]
        defer { self.known = known }
        let batch = try await service.prepare(contacts, known: &known, run: &run)
        current = run
        // Changes are gathered until a write is worth a transaction (a re-sync changes
        // few rows per batch: one commit for thousands of them, not one per batch).
        buffered.inserts += batch.inserts
        buffered.updates += batch.updates
        if buffered.inserts.count + buffered.updates.count * Self.updateWeight >= Self.rowsPerWrite { try await startWrite() }
        if ContinuousClock.now - lastPublished >= service.progressInterval {
            lastPublished = .now
            await service.publish(current)
        }
    }

    static let rowsPerWrite = 5_000
    /// Updates are written in transactions of a fifth the size: a re-sync's changes are
    /// spread over the whole file, and whatever is still gathered when the read ends is
    /// written after it, on the run's critical path (5,000 updates took ~1 s there).
    static let updateWeight = 5

    /// One write at a time, in order; a write overlaps the parsing of the next batch.
    private func startWrite() async throws {
        try await pendingWrite?.value
        let batch = buffered
        buffered = ([], [])
        staged += batch.inserts.count
        let publish = staged >= SyncService.entriesPerPublish
        if publish { staged = 0 }
        let service = self.service
        pendingWrite = Task { try await service.write(batch, publish: publish) }
    }

    /// Writes what is gathered and waits for it (before the run ends; an error fails the run).
    func flush() async throws {
        try await processing?.value
        processing = nil
        if !buffered.inserts.isEmpty || !buffered.updates.isEmpty { try await startWrite() }
        try await pendingWrite?.value
        pendingWrite = nil
    }

    func warn(_ warning: String) async {
        if current.warnings.count < SyncRun.maxErrors { current.warnings.append(warning) }
    }

    /// The system says these contacts were deleted (a delta read): their entries go at the end of the run.
    func remove(_ externalIds: [String]) async throws {
        try await processing?.value
        try await loadKnown()
        for id in externalIds {
            if let state = known.removeValue(forKey: id) { removed.append(state.seq) }
        }
    }

    /// Entries to delete after a delta read.
    func removedSeqs() -> [Int64] { removed }

    /// Entries of the interface the run did not see (after a complete read).
    func unseenSeqs() async throws -> [Int64] {
        try await loadKnown()
        return known.values.map(\.seq)
    }
}
