import AsyncHTTPClient
import Foundation
import SwitchboardCore

/// What a system's connector can do (PRODUCT.md: capabilities per system).
public enum Capability: String, Sendable, CaseIterable {
    /// List contacts; `contactChanges`: later runs read only what changed (a change feed or sync token).
    case contactsRead, contactChanges, contactsWrite, callLog, notes, todos, surveyTriggers
}

/// One field an interface of a system needs, as the catalogue shows it.
public struct FieldSpec: Sendable {
    public enum Kind: String, Sendable {
        /// Stored in the interface's settings, shown by `interfaces.get`.
        case setting
        /// Write-only: encrypted at rest, never returned.
        case credential
    }

    public var name: String
    public var label: String
    public var kind: Kind
    public var required: Bool
    public var example: String?
    /// Allowed values, when the field is a choice.
    public var choices: [String]?
    public var help: String?

    public var secret: Bool { kind == .credential }

    public init(_ name: String, _ label: String, kind: Kind = .setting, required: Bool = false, example: String? = nil,
                choices: [String]? = nil, help: String? = nil) {
        self.name = name
        self.label = label
        self.kind = kind
        self.required = required
        self.example = example
        self.choices = choices
        self.help = help
    }
}

/// A system in the catalogue.
public struct ConnectorDescriptor: Sendable {
    public var system: String
    public var label: String
    public var summary: String
    public var fields: [FieldSpec]
    public var capabilities: [Capability]
    /// Settings that must be valid together (e.g. exactly one of `url` and `path`), checked by the connector.
    public var settingsRule: String?
    /// The vendor's published request rate (per second), nil when it has none; an interface's
    /// `requestsPerSecond` setting overrides it.
    public var requestsPerSecond: Double?

    public init(system: String, label: String, summary: String, fields: [FieldSpec], capabilities: [Capability], settingsRule: String? = nil,
                requestsPerSecond: Double? = nil) {
        self.system = system
        self.label = label
        self.summary = summary
        self.fields = fields
        self.capabilities = capabilities
        self.settingsRule = settingsRule
        self.requestsPerSecond = requestsPerSecond
    }

    public func field(_ name: String) -> FieldSpec? { fields.first { $0.name == name } }
}

/// Everything a connector gets to do its work. Connectors never touch the store.
public struct ConnectorContext: Sendable {
    public var settings: [String: String]
    /// Decrypted credentials, only for the duration of the call.
    public var credentials: [String: String]
    public var http: HTTPClient
    /// Per request to a remote system.
    public var timeout: Duration
    /// Local files may only be read below this directory (nil: local files are refused).
    public var localDirectory: String?
    /// Where downloads are spooled while they are read.
    public var temporaryDirectory: String
    /// A larger download fails the run (the spool must not fill the disk).
    public var maximumDownloadBytes: Int
    /// The interface's own limiter (kept across runs and write-throughs), set to the
    /// vendor's published limit or the interface's `requestsPerSecond` setting.
    public var limiter: RateLimiter?
    /// Stores credentials a connector changed (rotated OAuth tokens), sealed, before they are used.
    public var saveCredentials: @Sendable ([String: String]) async throws -> Void

    public init(settings: [String: String], credentials: [String: String], http: HTTPClient, timeout: Duration,
                localDirectory: String?, temporaryDirectory: String, maximumDownloadBytes: Int = 2 << 30, limiter: RateLimiter? = nil,
                saveCredentials: @escaping @Sendable ([String: String]) async throws -> Void = { _ in }) {
        self.settings = settings
        self.credentials = credentials
        self.http = http
        self.timeout = timeout
        self.localDirectory = localDirectory
        self.temporaryDirectory = temporaryDirectory
        self.maximumDownloadBytes = maximumDownloadBytes
        self.limiter = limiter
        self.saveCredentials = saveCredentials
    }
}

/// Why a connector could not do its work, in words an admin can act on.
public struct ConnectorError: Error, Sendable, CustomStringConvertible {
    public enum Kind: String, Sendable {
        /// The system refused the credentials: the interface needs new ones.
        case unauthorized
        /// The system could not be reached or did not answer in time.
        case unreachable
        /// The system answered with an error (its status and words are in the message).
        case remote
        /// The data is not usable (e.g. a CSV file without a mandatory column).
        case invalidSource
        /// A setting is missing or wrong.
        case configuration
    }

    public var kind: Kind
    public var message: String
    /// For `configuration`: the setting at fault.
    public var field: String?
    /// The HTTP status the system answered, when it answered.
    public var status: Int?
    /// The system's name ("Pipedrive") and its own words, verbatim, for the protocol's error data.
    public var system: String?
    public var systemMessage: String?

    public init(_ kind: Kind, _ message: String, field: String? = nil, status: Int? = nil, system: String? = nil, systemMessage: String? = nil) {
        self.kind = kind
        self.message = message
        self.field = field
        self.status = status
        self.system = system
        self.systemMessage = systemMessage
    }

    public var description: String { message }
}

/// Receives what a source reads, batch by batch (the sync engine).
public protocol ContactSink: Sendable {
    /// A batch of contacts (a few thousand at most) and rows the source rejected.
    func accept(_ contacts: [SourceContact], rejected: [RowError]) async throws
    /// Contacts the system reports deleted (delta reads); their entries go when the run ends well.
    func remove(_ externalIds: [String]) async throws
    /// Something the admin should know that does not stop the run (e.g. unknown columns).
    func warn(_ warning: String) async
}

public enum ReadResult: Sendable, Equatable {
    /// The source is as it was at `previous`: nothing was read.
    case unchanged
    /// Everything was read; this is what the source looked like. Entries not seen are removed.
    case complete(SourceFingerprint)
    /// Only the changes since `previous` were read (a change feed, a sync token): deletions came
    /// through `ContactSink.remove`, and entries not seen stay. `cursor` says where the next run starts.
    case delta(SourceFingerprint)
}

/// A system contacts can be written to (write-through): the system first, then the phonebook.
public protocol ContactWriter: Sendable {
    /// Creates the contact (shared where the system distinguishes) and returns it as the system stored it.
    func create(_ context: ConnectorContext, _ fields: PhonebookFields) async throws -> SourceContact
    /// Replaces the contact's fields; `version` (an ETag) guards against overwriting someone else's change.
    /// `scope` is the contact's scope as last read (systems that need it on every write, like sipgate).
    func update(_ context: ConnectorContext, externalId: String, version: String?, scope: ContactScope?, _ fields: PhonebookFields) async throws
        -> SourceContact
    func delete(_ context: ConnectorContext, externalId: String, version: String?) async throws
}

/// A system the phonebook can sync contacts from.
public protocol ContactSource: Sendable {
    /// Reaches the system with the settings and credentials and says what it found.
    func test(_ context: ConnectorContext) async throws -> String
    /// Reads every contact into `sink`, in batches; or returns `.unchanged` at once
    /// when the source still matches `previous`.
    func read(_ context: ConnectorContext, previous: SourceFingerprint?, into sink: any ContactSink) async throws -> ReadResult
}

/// The catalogue: every system the product knows, and its connector.
public enum Connectors {
    public static let catalog: [ConnectorDescriptor] = [
        CSVConnector.descriptor, CardDAVConnector.descriptor, SipgateConnector.descriptor, PipedriveConnector.descriptor,
    ]

    public static func descriptor(system: String) -> ConnectorDescriptor? {
        catalog.first { $0.system == system }
    }

    /// Checks a system's settings together (a setting alone is checked against its field spec).
    public static func validate(system: String, settings: [String: String]) throws(SwitchboardError) {
        do {
            switch system {
            case CSVConnector.descriptor.system: try CSVConnector.validate(settings: settings)
            case PipedriveConnector.descriptor.system: try PipedriveConnector.validate(settings: settings)
            case SipgateConnector.descriptor.system: try SipgateConnector.validate(settings: settings)
            case CardDAVConnector.descriptor.system: try CardDAVConnector.validate(settings: settings)
            default: break
            }
        } catch {
            throw SwitchboardError.invalid("settings." + (error.field ?? "settings"), error.message)
        }
    }

    /// Whether an interface has what its connector needs to run (scheduled syncs wait until then).
    /// `credentials` are the names of the credentials set.
    public static func isReady(system: String, settings: [String: String], credentials: Set<String>) -> Bool {
        switch system {
        case CSVConnector.descriptor.system: settings["url"] != nil || settings["path"] != nil
        case PipedriveConnector.descriptor.system: credentials.contains("apiToken") || credentials.contains("accessToken")
        case SipgateConnector.descriptor.system: SipgateConnector.isReady(credentials: credentials)
        case CardDAVConnector.descriptor.system: settings["url"] != nil && (settings["username"] == nil || credentials.contains("password"))
        default: false
        }
    }

    /// Whether a system's connector can carry a data flow (`DataFlow.names`).
    public static func supports(_ descriptor: ConnectorDescriptor, flow: String) -> Bool {
        let needs: Capability? = switch flow {
        case "contactsIn": .contactsRead
        case "callsOut": .callLog
        case "notesOut", "meetingReportsOut": .notes
        case "todosOut": .todos
        case "surveysIn": .surveyTriggers
        default: nil
        }
        return needs.map(descriptor.capabilities.contains) ?? false
    }

    /// The writer of a system whose contacts can be changed from here, nil otherwise.
    public static func contactWriter(system: String) -> (any ContactWriter)? {
        switch system {
        case PipedriveConnector.descriptor.system: PipedriveConnector()
        case SipgateConnector.descriptor.system: SipgateConnector()
        case CardDAVConnector.descriptor.system: CardDAVConnector()
        default: nil
        }
    }

    /// The contact source of a system, nil when the system has none.
    public static func contactSource(system: String) -> (any ContactSource)? {
        switch system {
        case CSVConnector.descriptor.system: CSVConnector()
        case PipedriveConnector.descriptor.system: PipedriveConnector()
        case SipgateConnector.descriptor.system: SipgateConnector()
        case CardDAVConnector.descriptor.system: CardDAVConnector()
        default: nil
        }
    }
}
