import Foundation

/// A tenant: one company. Accounts never see each other's data.
public struct Account: Sendable, Hashable, Identifiable {
    public var id: String
    public var name: String
    /// ISO 3166-1 alpha-2 region used to read national phone numbers (e.g. `DE`).
    public var region: String
    /// IANA time zone, used for "end of the paid month" and schedules.
    public var timeZone: String
    public var createdAt: Date

    public init(id: String, name: String, region: String, timeZone: String = "UTC", createdAt: Date) {
        self.id = id
        self.name = name
        self.region = region
        self.timeZone = timeZone
        self.createdAt = createdAt
    }
}
