import Foundation

/// A connection from an account to one external system (PRODUCT.md §1).
///
/// Lifecycle: `ordered → active → cancelled`. `health` says how an active
/// interface is doing: `needsReauth` when the system refused the
/// credentials, `failed` when the last sync failed for another reason.
public struct Interface: Sendable, Equatable {
    public enum State: String, Sendable, CaseIterable {
        case ordered, active, cancelled
    }

    public enum Health: String, Sendable, CaseIterable {
        case ok
        case needsReauth = "needs_reauth"
        case failed
    }

    public var id: String
    public var accountId: String
    /// The catalogue's system id (`csv`, …).
    public var system: String
    public var name: String
    public var description: String?
    public var state: State
    public var health: Health
    /// Why the health is not `ok` (the remote system's own words where there are any).
    public var healthReason: String?
    public var syncIntervalMinutes: Int
    /// Non-secret settings named by the catalogue (e.g. the CSV `url`).
    public var settings: [String: String]
    public var dataFlow: DataFlow
    /// Secret fields that are set, and when. The values are only in `sealedCredentials`.
    public var credentialsSetAt: [String: Date]
    /// The credentials as one AES-GCM sealed box (opaque here; see `CredentialVault`).
    public var sealedCredentials: [UInt8]?
    public var orderedAt: Date
    /// When an ordered interface becomes active by itself (the provisioning delay).
    public var provisionAt: Date?
    public var activatedAt: Date?
    public var cancelledAt: Date?
    /// After cancelling: synced data stays until then, then the scheduler removes it.
    public var dataUntil: Date?
    /// Set once the synced data of a cancelled interface was removed.
    public var dataRemovedAt: Date?
    /// What the source looked like at the last complete sync (to finish at once when unchanged).
    public var sourceFingerprint: SourceFingerprint?
    public var lastSyncAt: Date?
    public var updatedAt: Date

    public init(
        id: String, accountId: String, system: String, name: String, description: String? = nil, state: State = .ordered,
        health: Health = .ok, healthReason: String? = nil, syncIntervalMinutes: Int = 60, settings: [String: String] = [:],
        dataFlow: DataFlow = DataFlow(), credentialsSetAt: [String: Date] = [:], sealedCredentials: [UInt8]? = nil,
        orderedAt: Date, provisionAt: Date? = nil, activatedAt: Date? = nil, cancelledAt: Date? = nil, dataUntil: Date? = nil,
        dataRemovedAt: Date? = nil, sourceFingerprint: SourceFingerprint? = nil, lastSyncAt: Date? = nil, updatedAt: Date
    ) {
        self.id = id
        self.accountId = accountId
        self.system = system
        self.name = name
        self.description = description
        self.state = state
        self.health = health
        self.healthReason = healthReason
        self.syncIntervalMinutes = syncIntervalMinutes
        self.settings = settings
        self.dataFlow = dataFlow
        self.credentialsSetAt = credentialsSetAt
        self.sealedCredentials = sealedCredentials
        self.orderedAt = orderedAt
        self.provisionAt = provisionAt
        self.activatedAt = activatedAt
        self.cancelledAt = cancelledAt
        self.dataUntil = dataUntil
        self.dataRemovedAt = dataRemovedAt
        self.sourceFingerprint = sourceFingerprint
        self.lastSyncAt = lastSyncAt
        self.updatedAt = updatedAt
    }

    public static let minimumSyncIntervalMinutes = 1
    public static let maximumSyncIntervalMinutes = 7 * 24 * 60
}

/// Which data crosses an interface (PRODUCT.md: the data-flow setting).
/// Only the flows the system's connector supports can be switched on.
public struct DataFlow: Sendable, Equatable {
    public var contactsIn: Bool
    public var callsOut: Bool
    public var notesOut: Bool
    public var todosOut: Bool
    public var meetingReportsOut: Bool
    public var surveysIn: Bool

    public init(contactsIn: Bool = true, callsOut: Bool = false, notesOut: Bool = false, todosOut: Bool = false,
                meetingReportsOut: Bool = false, surveysIn: Bool = false) {
        self.contactsIn = contactsIn
        self.callsOut = callsOut
        self.notesOut = notesOut
        self.todosOut = todosOut
        self.meetingReportsOut = meetingReportsOut
        self.surveysIn = surveysIn
    }

    /// Each flow's wire name, in a fixed order: the one table names and the subscript use.
    static let flows: [(name: String, path: WritableKeyPath<DataFlow, Bool> & Sendable)] = [
        ("contactsIn", \.contactsIn), ("callsOut", \.callsOut), ("notesOut", \.notesOut), ("todosOut", \.todosOut),
        ("meetingReportsOut", \.meetingReportsOut), ("surveysIn", \.surveysIn),
    ]

    public static let names = flows.map(\.name)

    /// A flow by wire name; nil for a name that is not a flow (setting it then does nothing).
    public subscript(name: String) -> Bool? {
        get { Self.flows.first { $0.name == name }.map { self[keyPath: $0.path] } }
        set {
            guard let newValue, let path = Self.flows.first(where: { $0.name == name })?.path else { return }
            self[keyPath: path] = newValue
        }
    }
}

/// How a source looked when it was last read completely: an HTTP validator
/// or a hash of the bytes. Equal fingerprints mean nothing changed.
public struct SourceFingerprint: Sendable, Equatable, Codable {
    public var etag: String?
    public var lastModified: String?
    public var contentHash: String?
    /// Where a change feed continues (a CardDAV sync-token, a Pipedrive `since` time), kept between runs.
    public var cursor: String?

    public init(etag: String? = nil, lastModified: String? = nil, contentHash: String? = nil, cursor: String? = nil) {
        self.etag = etag
        self.lastModified = lastModified
        self.contentHash = contentHash
        self.cursor = cursor
    }
}

/// One entry of an interface's history: who did what, when.
public struct InterfaceEvent: Sendable, Equatable {
    public var interfaceId: String
    public var accountId: String
    public var at: Date
    /// The API key id of the caller, or `scheduler`.
    public var actor: String
    /// `ordered`, `provisioned`, `configured`, `credentials`, `cancelled`, `sync`, `data removed`.
    public var action: String
    public var detail: String?

    public init(interfaceId: String, accountId: String, at: Date, actor: String, action: String, detail: String? = nil) {
        self.interfaceId = interfaceId
        self.accountId = accountId
        self.at = at
        self.actor = actor
        self.action = action
        self.detail = detail
    }
}
