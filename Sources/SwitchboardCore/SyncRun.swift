import Foundation

/// One run of an interface's sync: what it did and how it ended.
public struct SyncRun: Sendable, Equatable {
    public enum State: String, Sendable, CaseIterable {
        case queued, running, succeeded, failed
    }

    public enum Mode: String, Sendable, CaseIterable {
        case full, incremental
    }

    public enum Trigger: String, Sendable, CaseIterable {
        case manual, scheduled
    }

    public var id: String
    public var accountId: String
    public var interfaceId: String
    public var mode: Mode
    public var trigger: Trigger
    public var state: State
    public var counts: SyncCounts
    /// The first `maxErrors` rejected rows, with their line numbers.
    public var errors: [RowError]
    public var warnings: [String]
    /// Why the run failed (the source's own words where it has any).
    public var failure: String?
    /// The source had not changed since the last complete run: nothing was read.
    public var sourceUnchanged: Bool
    public var startedAt: Date
    public var finishedAt: Date?

    public static let maxErrors = 100

    public init(id: String, accountId: String, interfaceId: String, mode: Mode, trigger: Trigger, state: State = .running,
                counts: SyncCounts = SyncCounts(), errors: [RowError] = [], warnings: [String] = [], failure: String? = nil,
                sourceUnchanged: Bool = false, startedAt: Date, finishedAt: Date? = nil) {
        self.id = id
        self.accountId = accountId
        self.interfaceId = interfaceId
        self.mode = mode
        self.trigger = trigger
        self.state = state
        self.counts = counts
        self.errors = errors
        self.warnings = warnings
        self.failure = failure
        self.sourceUnchanged = sourceUnchanged
        self.startedAt = startedAt
        self.finishedAt = finishedAt
    }
}

public struct SyncCounts: Sendable, Equatable, Codable {
    public var seen = 0
    public var created = 0
    public var updated = 0
    public var unchanged = 0
    public var deleted = 0
    public var rejected = 0
    public init() {}
}

/// A source row that could not be imported.
public struct RowError: Sendable, Equatable, Codable {
    /// 1-based line in the source file (0 when the source has no lines).
    public var line: Int
    public var reason: String
    /// The row's source key when it could be read: an entry with that key is kept, not deleted as unseen.
    public var externalId: String?
    public init(line: Int, reason: String, externalId: String? = nil) {
        self.line = line
        self.reason = reason
        self.externalId = externalId
    }
}
extension Interface: Identifiable {}
extension SyncRun: Identifiable {}
