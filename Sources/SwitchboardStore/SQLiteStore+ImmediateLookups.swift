import SwitchboardCore

extension SQLiteStore: ImmediateLookups {
    public var writeGeneration: UInt64? { lookupConnections?.currentGeneration }

    public func entriesNow(accountId: String, numberKey: String) throws -> [PhonebookEntry]? {
        try lookupConnections?.entries(accountId: accountId, key: numberKey)
    }
}
