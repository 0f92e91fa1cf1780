/// Who a session is. Decided at `auth.login` from the API key used.
public enum Role: String, Sendable, Hashable, CaseIterable, Codable {
    /// Runs the installation: every account, provisioning.
    case `operator`
    /// Everything inside one account.
    case admin
    /// The phone system: call events and lookups for one account.
    case pbx
    /// One person: reads the phonebook, own calls, contacts, meetings.
    case user
}
