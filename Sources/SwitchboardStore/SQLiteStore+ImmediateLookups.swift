import SwitchboardCore

extension SQLiteStore: ImmediateLookups {
    public var writeGeneration: UInt64? { lookupConnections?.currentGeneration }

    public func visitEntriesNow(accountId: String, numberKey: String, _ visit: (EntryRowView) throws -> Void) throws -> Bool {
        guard let lookupConnections else { return false }
        return try lookupConnections.visit(accountId: accountId, key: numberKey, visit)
    }

    public func visitKeyedEntriesNow(accountId: String, keyPrefix: String, _ visit: (UTF8Text, EntryRowView) throws -> Void) throws -> Bool {
        guard let lookupConnections else { return false }
        return try lookupConnections.scan(accountId: accountId, keyPrefix: keyPrefix, visit)
    }

    public func accountIdsNow() throws -> [String]? {
        try lookupConnections?.accountIds()
    }
}
