import AsyncHTTPClient
import Foundation
import Synchronization
import SwitchboardConnectors
import SwitchboardCore

/// Interfaces: order, provision, configure, credentials, test, cancel
/// (PRODUCT.md §1). Every change is recorded with who made it.
public final class InterfaceService: Sendable {
    public struct Options: Sendable {
        /// How long an order waits before it becomes active by itself (0: at once).
        public var provisioningDelay: Duration
        /// Per request to a remote system.
        public var remoteTimeout: Duration
        /// Local CSV files may only be read below this directory (nil: refused).
        public var localDirectory: String?
        /// Where downloads are spooled.
        public var temporaryDirectory: String
        /// Largest download a connector may spool (2 GiB: some 30 million CSV rows).
        public var maximumDownloadBytes: Int = 2 << 30

        public init(provisioningDelay: Duration = .zero, remoteTimeout: Duration = .seconds(30), localDirectory: String? = nil,
                    temporaryDirectory: String = NSTemporaryDirectory()) {
            self.provisioningDelay = provisioningDelay
            self.remoteTimeout = remoteTimeout
            self.localDirectory = localDirectory
            self.temporaryDirectory = temporaryDirectory
        }
    }

    let store: any SwitchboardStore
    let vault: CredentialVault
    let http: HTTPClient
    let options: Options
    let clock: WallClock
    /// One per interface that has a rate, kept for the server's life: syncs and write-throughs share it.
    private let limiters = Mutex<[String: (rate: Double, limiter: RateLimiter)]>([:])

    public init(store: any SwitchboardStore, vault: CredentialVault, http: HTTPClient, options: Options, clock: WallClock = .system) {
        self.store = store
        self.vault = vault
        self.http = http
        self.options = options
        self.clock = clock
    }

    public var catalog: [ConnectorDescriptor] { Connectors.catalog }

    // MARK: lifecycle

    public func order(accountId: String, system: String, name: String?, actor: String) async throws -> Interface {
        guard let descriptor = Connectors.descriptor(system: system) else {
            throw SwitchboardError.invalid("system", "unknown system \"\(system)\" (known: \(Connectors.catalog.map(\.system).joined(separator: ", ")))")
        }
        let now = clock.now()
        let immediate = options.provisioningDelay <= .zero
        var interface = Interface(
            id: Identifier.make("ifc"), accountId: accountId, system: system, name: try Self.name(name) ?? descriptor.label,
            dataFlow: DataFlow(contactsIn: descriptor.capabilities.contains(.contactsRead)), orderedAt: now,
            provisionAt: immediate ? nil : now.addingTimeInterval(options.provisioningDelay.seconds), updatedAt: now)
        try await store.insertInterface(interface, event: event(interface, actor, "ordered", system))
        if immediate { interface = try await activate(interface, actor: actor, at: now) }
        return interface
    }

    /// Operator: activates an ordered interface now.
    public func provision(accountId: String, id: String, actor: String) async throws -> Interface {
        let interface = try await get(accountId: accountId, id: id)
        guard interface.state == .ordered else {
            throw SwitchboardError.conflict("interface \(id) is \(interface.state.rawValue); only ordered interfaces can be provisioned")
        }
        return try await activate(interface, actor: actor, at: clock.now())
    }

    func activate(_ interface: Interface, actor: String, at now: Date) async throws -> Interface {
        var interface = interface
        interface.state = .active
        interface.activatedAt = now
        interface.provisionAt = nil
        interface.updatedAt = now
        try await store.updateInterface(interface, event: event(interface, actor, "provisioned", nil))
        return interface
    }

    /// Cancels: synced data stays until the end of the current month in the
    /// account's time zone (`dataUntil`), then the scheduler removes it.
    public func cancel(accountId: String, id: String, actor: String) async throws -> Interface {
        var interface = try await get(accountId: accountId, id: id)
        guard interface.state != .cancelled else { throw SwitchboardError.conflict("interface \(id) is already cancelled") }
        let now = clock.now()
        let timeZone = try await store.account(id: accountId).flatMap { TimeZone(identifier: $0.timeZone) } ?? .gmt
        interface.state = .cancelled
        interface.cancelledAt = now
        interface.dataUntil = Self.endOfMonth(containing: now, in: timeZone)
        interface.provisionAt = nil
        interface.updatedAt = now
        try await store.updateInterface(interface, event: event(interface, actor, "cancelled", "data until \(RFC3339.string(interface.dataUntil!))"))
        return interface
    }

    /// The last second of the month `date` falls in, in `timeZone`.
    static func endOfMonth(containing date: Date, in timeZone: TimeZone) -> Date {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = timeZone
        let start = calendar.dateInterval(of: .month, for: date)!
        return start.end.addingTimeInterval(-1)
    }

    // MARK: reads

    public func get(accountId: String, id: String) async throws -> Interface {
        guard let interface = try await store.interface(accountId: accountId, id: id) else { throw SwitchboardError.notFound("interface", id: id) }
        return interface
    }

    public func list(accountId: String, _ page: PageRequest) async throws -> Page<Interface> {
        Page(items: try await store.interfaces(accountId: accountId, page), request: page)
    }

    public func history(accountId: String, id: String, limit: Int = 50) async throws -> [InterfaceEvent] {
        _ = try await get(accountId: accountId, id: id)
        return try await store.interfaceEvents(accountId: accountId, interfaceId: id, limit: limit)
    }

    // MARK: configuration

    public struct Changes: Sendable {
        public var name: String?
        /// `.some(nil)` clears the description.
        public var description: String??
        public var syncIntervalMinutes: Int?
        /// Merged into the settings; a nil value removes the setting.
        public var settings: [String: String?]?
        public var dataFlow: [String: Bool]?
        public init(name: String? = nil, description: String?? = nil, syncIntervalMinutes: Int? = nil,
                    settings: [String: String?]? = nil, dataFlow: [String: Bool]? = nil) {
            self.name = name
            self.description = description
            self.syncIntervalMinutes = syncIntervalMinutes
            self.settings = settings
            self.dataFlow = dataFlow
        }
    }

    public func configure(accountId: String, id: String, _ changes: Changes, actor: String) async throws -> Interface {
        var interface = try await changeable(accountId: accountId, id: id)
        let descriptor = try descriptor(interface)
        var changed: [String] = []
        if let name = changes.name {
            interface.name = try Self.name(name) ?? interface.name
            changed.append("name")
        }
        if let description = changes.description {
            let text = description?.nonEmpty
            if let text, text.count > 2_000 { throw SwitchboardError.invalid("description", "longer than 2000 characters") }
            interface.description = text
            changed.append("description")
        }
        if let minutes = changes.syncIntervalMinutes {
            guard (Interface.minimumSyncIntervalMinutes...Interface.maximumSyncIntervalMinutes).contains(minutes) else {
                throw SwitchboardError.invalid(
                    "syncIntervalMinutes", "must be \(Interface.minimumSyncIntervalMinutes) to \(Interface.maximumSyncIntervalMinutes) minutes")
            }
            interface.syncIntervalMinutes = minutes
            changed.append("syncIntervalMinutes")
        }
        if let settings = changes.settings {
            for (name, value) in settings.sorted(by: { $0.key < $1.key }) {
                guard let field = descriptor.field(name) else {
                    throw SwitchboardError.invalid("settings.\(name)", "unknown setting for \(descriptor.system) (known: \(descriptor.fields.filter { !$0.secret }.map(\.name).joined(separator: ", ")))")
                }
                // The value is never echoed: someone may have typed a password here.
                guard !field.secret else { throw SwitchboardError.invalid("settings.\(name)", "is a credential: set it with interfaces.setCredentials") }
                if let value = value?.nonEmpty {
                    guard value.count <= 2_000 else { throw SwitchboardError.invalid("settings.\(name)", "longer than 2000 characters") }
                    if let choices = field.choices, !choices.contains(value) {
                        throw SwitchboardError.invalid("settings.\(name)", "must be one of \(choices.joined(separator: " "))")
                    }
                    interface.settings[name] = value
                } else {
                    interface.settings[name] = nil
                }
            }
            try Connectors.validate(system: descriptor.system, settings: interface.settings)
            // Another file, or the same file read differently: the next run must read it.
            interface.sourceFingerprint = nil
            changed.append("settings " + settings.keys.sorted().joined(separator: ","))
        }
        if let flows = changes.dataFlow {
            for (name, on) in flows.sorted(by: { $0.key < $1.key }) {
                guard interface.dataFlow[name] != nil else {
                    throw SwitchboardError.invalid("dataFlow.\(name)", "unknown data flow (known: \(DataFlow.names.joined(separator: ", ")))")
                }
                if on, !Connectors.supports(descriptor, flow: name) {
                    throw SwitchboardError.invalid("dataFlow.\(name)", "\(descriptor.label) does not support it")
                }
                interface.dataFlow[name] = on
            }
            changed.append("dataFlow")
        }
        interface.updatedAt = clock.now()
        try await store.updateInterface(interface, event: event(interface, actor, "configured", changed.joined(separator: "; ")))
        return interface
    }

    /// Write-only. Values are sealed at once; only the names (and when they
    /// were set) are ever shown. A nil value removes that credential.
    public func setCredentials(accountId: String, id: String, _ values: [String: String?], actor: String) async throws -> Interface {
        var interface = try await changeable(accountId: accountId, id: id)
        let descriptor = try descriptor(interface)
        guard !values.isEmpty else { throw SwitchboardError.invalid("credentials", "name at least one credential") }
        // Credentials sealed under a key this server no longer has cannot be read:
        // they are replaced by what is set now (the only way out of a lost key).
        var current = (try? credentials(interface)) ?? [:]
        let now = clock.now()
        for (name, value) in values.sorted(by: { $0.key < $1.key }) {
            guard let field = descriptor.field(name), field.secret else {
                throw SwitchboardError.invalid(name, "not a credential of \(descriptor.system) (credentials: \(descriptor.fields.filter(\.secret).map(\.name).joined(separator: ", ")))")
            }
            if let value, !value.isEmpty {
                guard value.utf8.count <= 8_192 else { throw SwitchboardError.invalid(name, "longer than 8192 bytes") }
                current[name] = value
                interface.credentialsSetAt[name] = now
            } else {
                current[name] = nil
                interface.credentialsSetAt[name] = nil
            }
        }
        interface.sealedCredentials = current.isEmpty ? nil : try vault.seal(current, interfaceId: interface.id)
        if interface.health == .needsReauth {
            interface.health = .ok
            interface.healthReason = nil
        }
        interface.updatedAt = now
        try await store.updateInterface(interface, event: event(interface, actor, "credentials", values.keys.sorted().joined(separator: ", ")))
        return interface
    }

    // MARK: connectors

    public struct TestReport: Sendable {
        public var ok: Bool
        /// `ConnectorError.Kind` when not ok.
        public var problem: String?
        public var message: String
    }

    /// Reaches the system with the interface's settings and credentials.
    public func test(accountId: String, id: String) async throws -> TestReport {
        let interface = try await get(accountId: accountId, id: id)
        guard let source = Connectors.contactSource(system: interface.system) else {
            return TestReport(ok: false, problem: "configuration", message: "\(interface.system) has nothing to test yet")
        }
        do {
            return TestReport(ok: true, problem: nil, message: try await source.test(try context(interface)))
        } catch let error as ConnectorError {
            return TestReport(ok: false, problem: error.kind.rawValue, message: error.message)
        }
    }

    /// Records what a remote call found out about the interface's health (e.g. credentials rejected).
    func setHealth(_ interface: Interface, _ health: Interface.Health, reason: String?) async throws {
        guard var latest = try await store.interface(accountId: interface.accountId, id: interface.id) else { return }
        latest.health = health
        latest.healthReason = reason
        latest.updatedAt = clock.now()
        try await store.updateInterface(latest, event: nil)
    }

    /// What a connector needs, credentials decrypted for the call.
    func context(_ interface: Interface) throws -> ConnectorContext {
        let store = self.store, vault = self.vault, clock = self.clock
        let accountId = interface.accountId, interfaceId = interface.id
        return ConnectorContext(
            settings: interface.settings, credentials: try credentials(interface), http: http, timeout: options.remoteTimeout,
            localDirectory: options.localDirectory, temporaryDirectory: options.temporaryDirectory,
            maximumDownloadBytes: options.maximumDownloadBytes, limiter: limiter(interface),
            saveCredentials: { changed in
                // Read again: an admin may have set credentials meanwhile; only the connector's names change.
                guard var latest = try await store.interface(accountId: accountId, id: interfaceId) else { return }
                var values = try latest.sealedCredentials.map { try vault.open($0, interfaceId: interfaceId) } ?? [:]
                let now = clock.now()
                for (name, value) in changed {
                    values[name] = value
                    latest.credentialsSetAt[name] = now
                }
                latest.sealedCredentials = try vault.seal(values, interfaceId: interfaceId)
                latest.updatedAt = now
                try await store.updateInterface(latest, event: nil)
            })
    }

    /// The interface's rate limiter: its `requestsPerSecond` setting, else its system's published rate.
    func limiter(_ interface: Interface) -> RateLimiter? {
        let rate = interface.settings["requestsPerSecond"].flatMap(Double.init) ?? Connectors.descriptor(system: interface.system)?.requestsPerSecond
        guard let rate, rate > 0 else { return nil }
        return limiters.withLock { limiters in
            if let existing = limiters[interface.id], existing.rate == rate { return existing.limiter }
            let limiter = RateLimiter(perSecond: rate, burst: max(1, Int(rate * 2)))
            limiters[interface.id] = (rate, limiter)
            return limiter
        }
    }

    func credentials(_ interface: Interface) throws -> [String: String] {
        guard let sealed = interface.sealedCredentials else { return [:] }
        return try vault.open(sealed, interfaceId: interface.id)
    }

    // MARK: helpers

    private func changeable(accountId: String, id: String) async throws -> Interface {
        let interface = try await get(accountId: accountId, id: id)
        guard interface.state != .cancelled else { throw SwitchboardError.conflict("interface \(id) is cancelled and can no longer be changed") }
        return interface
    }

    private func descriptor(_ interface: Interface) throws -> ConnectorDescriptor {
        guard let descriptor = Connectors.descriptor(system: interface.system) else {
            throw SwitchboardError.conflict("this server no longer knows the system \(interface.system)")
        }
        return descriptor
    }

    static func name(_ text: String?) throws -> String? {
        guard let text = text?.nonEmpty else { return nil }
        guard text.count <= 200 else { throw SwitchboardError.invalid("name", "longer than 200 characters") }
        return text
    }

    func event(_ interface: Interface, _ actor: String, _ action: String, _ detail: String?) -> InterfaceEvent {
        InterfaceEvent(interfaceId: interface.id, accountId: interface.accountId, at: clock.now(), actor: actor, action: action, detail: detail)
    }
}

extension Duration {
    var seconds: TimeInterval { Double(components.seconds) + Double(components.attoseconds) / 1e18 }
}
