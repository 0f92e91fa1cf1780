import Foundation
import GRDB
import SwitchboardCore

struct InterfaceRecord: Codable, FetchableRecord, PersistableRecord {
    static let databaseTableName = "interface"
    var id: String
    var accountId: String
    var system: String
    var name: String
    var description: String?
    var state: String
    var health: String
    var healthReason: String?
    var syncIntervalMinutes: Int
    var settings: [String: String]
    var dataFlow: [String: Bool]
    var credentialsSetAt: [String: Date]
    var sealedCredentials: Data?
    var orderedAt: Date
    var provisionAt: Date?
    var activatedAt: Date?
    var cancelledAt: Date?
    var dataUntil: Date?
    var dataRemovedAt: Date?
    var sourceFingerprint: SourceFingerprint?
    var lastSyncAt: Date?
    var updatedAt: Date

    enum Columns {
        static let id = Column(CodingKeys.id)
        static let accountId = Column(CodingKeys.accountId)
        static let state = Column(CodingKeys.state)
    }

    init(_ i: Interface) {
        id = i.id
        accountId = i.accountId
        system = i.system
        name = i.name
        description = i.description
        state = i.state.rawValue
        health = i.health.rawValue
        healthReason = i.healthReason
        syncIntervalMinutes = i.syncIntervalMinutes
        settings = i.settings
        dataFlow = Dictionary(uniqueKeysWithValues: DataFlow.names.map { ($0, i.dataFlow[$0] ?? false) })
        credentialsSetAt = i.credentialsSetAt
        sealedCredentials = i.sealedCredentials.map { Data($0) }
        orderedAt = i.orderedAt
        provisionAt = i.provisionAt
        activatedAt = i.activatedAt
        cancelledAt = i.cancelledAt
        dataUntil = i.dataUntil
        dataRemovedAt = i.dataRemovedAt
        sourceFingerprint = i.sourceFingerprint
        lastSyncAt = i.lastSyncAt
        updatedAt = i.updatedAt
    }

    var interface: Interface {
        var flow = DataFlow(contactsIn: false)
        for (name, on) in dataFlow { flow[name] = on }
        return Interface(
            id: id, accountId: accountId, system: system, name: name, description: description,
            state: Interface.State(rawValue: state) ?? .ordered, health: Interface.Health(rawValue: health) ?? .ok,
            healthReason: healthReason, syncIntervalMinutes: syncIntervalMinutes, settings: settings, dataFlow: flow,
            credentialsSetAt: credentialsSetAt, sealedCredentials: sealedCredentials.map { Array($0) }, orderedAt: orderedAt,
            provisionAt: provisionAt, activatedAt: activatedAt, cancelledAt: cancelledAt, dataUntil: dataUntil,
            dataRemovedAt: dataRemovedAt, sourceFingerprint: sourceFingerprint, lastSyncAt: lastSyncAt, updatedAt: updatedAt)
    }
}

struct InterfaceEventRecord: Codable, FetchableRecord, PersistableRecord {
    static let databaseTableName = "interfaceEvent"
    var interfaceId: String
    var accountId: String
    var at: Date
    var actor: String
    var action: String
    var detail: String?

    init(_ e: InterfaceEvent) {
        interfaceId = e.interfaceId
        accountId = e.accountId
        at = e.at
        actor = e.actor
        action = e.action
        detail = e.detail
    }

    var event: InterfaceEvent {
        InterfaceEvent(interfaceId: interfaceId, accountId: accountId, at: at, actor: actor, action: action, detail: detail)
    }
}

struct SyncRunRecord: Codable, FetchableRecord, PersistableRecord {
    static let databaseTableName = "syncRun"
    var id: String
    var accountId: String
    var interfaceId: String
    var mode: String
    var trigger: String
    var state: String
    var counts: SyncCounts
    var errors: [RowError]
    var warnings: [String]
    var failure: String?
    var sourceUnchanged: Bool
    var startedAt: Date
    var finishedAt: Date?

    enum Columns {
        static let id = Column(CodingKeys.id)
        static let accountId = Column(CodingKeys.accountId)
        static let interfaceId = Column(CodingKeys.interfaceId)
        static let state = Column(CodingKeys.state)
    }

    init(_ r: SyncRun) {
        id = r.id
        accountId = r.accountId
        interfaceId = r.interfaceId
        mode = r.mode.rawValue
        trigger = r.trigger.rawValue
        state = r.state.rawValue
        counts = r.counts
        errors = r.errors
        warnings = r.warnings
        failure = r.failure
        sourceUnchanged = r.sourceUnchanged
        startedAt = r.startedAt
        finishedAt = r.finishedAt
    }

    var run: SyncRun {
        SyncRun(
            id: id, accountId: accountId, interfaceId: interfaceId, mode: SyncRun.Mode(rawValue: mode) ?? .full,
            trigger: SyncRun.Trigger(rawValue: trigger) ?? .manual, state: SyncRun.State(rawValue: state) ?? .failed, counts: counts,
            errors: errors, warnings: warnings, failure: failure, sourceUnchanged: sourceUnchanged, startedAt: startedAt, finishedAt: finishedAt)
    }
}

extension SQLiteStore {
    public func insertInterface(_ interface: Interface, event: InterfaceEvent) async throws {
        try await write { db in
            try InterfaceRecord(interface).insert(db)
            try InterfaceEventRecord(event).insert(db)
        }
    }

    public func interface(accountId: String, id: String) async throws -> Interface? {
        try await writer.read { db in
            try InterfaceRecord.filter(InterfaceRecord.Columns.accountId == accountId && InterfaceRecord.Columns.id == id).fetchOne(db)?.interface
        }
    }

    public func interfaces(accountId: String, _ page: PageRequest) async throws -> [Interface] {
        try await writer.read { db in
            try InterfaceRecord.filter(InterfaceRecord.Columns.accountId == accountId)
                .after(InterfaceRecord.Columns.id, page).fetchAll(db).map(\.interface)
        }
    }

    public func interfaces(inStates states: [Interface.State]) async throws -> [Interface] {
        try await writer.read { db in
            try InterfaceRecord.filter(states.map(\.rawValue).contains(InterfaceRecord.Columns.state)).fetchAll(db).map(\.interface)
        }
    }

    public func updateInterface(_ interface: Interface, event: InterfaceEvent?) async throws {
        try await write { db in
            try InterfaceRecord(interface).update(db)
            if let event { try InterfaceEventRecord(event).insert(db) }
        }
    }

    public func interfaceEvents(accountId: String, interfaceId: String, limit: Int) async throws -> [InterfaceEvent] {
        try await writer.read { db in
            try InterfaceEventRecord.fetchAll(db, sql: """
                SELECT interfaceId, accountId, at, actor, action, detail FROM interfaceEvent
                WHERE accountId = ? AND interfaceId = ? ORDER BY seq DESC LIMIT ?
                """, arguments: [accountId, interfaceId, limit]).map(\.event)
        }
    }

    public func insertSyncRun(_ run: SyncRun) async throws {
        try await write { db in try SyncRunRecord(run).insert(db) }
    }

    public func updateSyncRun(_ run: SyncRun) async throws {
        try await write { db in try SyncRunRecord(run).update(db) }
    }

    public func syncRun(accountId: String, id: String) async throws -> SyncRun? {
        try await writer.read { db in
            try SyncRunRecord.filter(SyncRunRecord.Columns.accountId == accountId && SyncRunRecord.Columns.id == id).fetchOne(db)?.run
        }
    }

    public func syncRuns(accountId: String, interfaceId: String, _ page: PageRequest) async throws -> [SyncRun] {
        try await writer.read { db in
            var request = SyncRunRecord.filter(SyncRunRecord.Columns.accountId == accountId && SyncRunRecord.Columns.interfaceId == interfaceId)
            if let after = page.after { request = request.filter(SyncRunRecord.Columns.id < after) }
            return try request.order(SyncRunRecord.Columns.id.desc).limit(page.fetchLimit).fetchAll(db).map(\.run)
        }
    }

    public func failUnfinishedSyncRuns(reason: String, at: Date) async throws -> [SyncRun] {
        try await write { db in
            let unfinished = try SyncRunRecord.filter([SyncRun.State.queued.rawValue, SyncRun.State.running.rawValue].contains(SyncRunRecord.Columns.state))
                .fetchAll(db).map(\.run)
            return try unfinished.map { run in
                var run = run
                run.state = .failed
                run.failure = reason
                run.finishedAt = at
                try SyncRunRecord(run).update(db)
                return run
            }
        }
    }
}
