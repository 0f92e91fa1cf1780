import SwitchboardShell
import Testing

/// Completion candidates as a pure function of (line, cursor, data).
@Suite struct ShellCompletionTests {
    let table = CommandTable.standard
    let data: CompletionData = {
        var data = CompletionData()
        data.methods = ["system.ping", "system.version", "syncs.get", "users.create"]
        data.interfaceIds = ["ifc_01aaa", "ifc_01abb", "ifc_02ccc"]
        data.runIds = ["syn_01x", "syn_02y"]
        data.userIds = ["usr_01u"]
        data.keyIds = ["key_01k"]
        data.accountIds = ["acc_01a", "acc_02b"]
        data.systems = ["csv"]
        data.settingFields = ["url", "path", "delimiter", "encoding"]
        data.settingChoices = ["delimiter": [",", ";", "tab", "|"]]
        data.credentialFields = ["username", "password", "apiToken"]
        return data
    }()

    func complete(_ line: String, cursor: Int? = nil) -> [String] {
        Completer.candidates(line: line, cursor: cursor ?? line.unicodeScalars.count, table: table, data: data)
    }

    @Test func commandWords() {
        #expect(complete("") == table.topWords.sorted())
        #expect(complete("st") == ["status"])
        #expect(complete("interf") == ["interface", "interfaces"])
        #expect(complete("interface ") == ["cancel", "catalog", "credentials", "order", "provision", "set", "show", "sync", "test"])
        #expect(complete("interface s") == ["set", "show", "sync"])
        #expect(complete("sync ") == ["show"])
        #expect(complete("key ") == ["create", "revoke"])
        #expect(complete("frob ") == [])
    }

    @Test func idsFromTheServer() {
        #expect(complete("interface sync ") == ["ifc_01aaa", "ifc_01abb", "ifc_02ccc"])
        #expect(complete("interface sync ifc_01a") == ["ifc_01aaa", "ifc_01abb"])
        #expect(complete("syncs ifc_02") == ["ifc_02ccc"])
        #expect(complete("sync show ") == ["syn_01x", "syn_02y"])
        #expect(complete("key revoke k") == ["key_01k"])
        #expect(complete("use acc_0") == ["acc_01a", "acc_02b"])
        #expect(complete("interface order ") == ["csv"])
    }

    @Test func choicesFieldsAndValues() {
        #expect(complete("interface sync ifc_01aaa ") == ["full", "incremental"])
        #expect(complete("interface sync ifc_01aaa f") == ["full"])
        #expect(complete("interface set ifc_01aaa d").sorted() == ["delimiter", "description"])
        #expect(complete("interface set ifc_01aaa contactsIn ") == ["off", "on"])
        #expect(complete("interface set ifc_01aaa delimiter ") == [",", ";", "tab", "|"])
        #expect(complete("interface set ifc_01aaa url ") == [])
        #expect(complete("interface credentials ifc_01aaa ") == ["apiToken", "password", "username"])
        #expect(complete("interface credentials ifc_01aaa password a") == ["apiToken"])
        #expect(complete("key create ") == ["admin", "operator", "pbx", "user"])
        #expect(complete("key create user Anna user=") == ["user=usr_01u"])
        #expect(complete("entry add \"Hans Müller\" mob") == ["mobile="])
    }

    @Test func methodsForCall() {
        #expect(complete("call sy") == ["syncs.get", "system.ping", "system.version"])
        #expect(complete("call system.") == ["system.ping", "system.version"])
        #expect(complete("call users.create {\"na") == [])  // raw JSON: nothing to offer
    }

    @Test func helpCompletesCommandNames() {
        #expect(complete("help interface sy") == ["sync"])
        #expect(complete("help sta") == ["status"])
        #expect(complete("help interface sync ") == [])
    }

    @Test func theCursorDecidesTheWord() {
        // Cursor after "interface s" in a longer line: the word under the cursor is "s".
        #expect(complete("interface s ifc_01aaa", cursor: 11) == ["set", "show", "sync"])
        // Unicode scalars, not bytes: "ü" is one.
        #expect(complete("entry add \"Müller\" mob", cursor: 22) == ["mobile="])
    }

    @Test func whatToFetch() {
        #expect(Completer.neededPart(line: "interface sync ", cursor: 15, table: table) == .interfaces)
        #expect(Completer.neededPart(line: "sync show s", cursor: 11, table: table) == .runs)
        #expect(Completer.neededPart(line: "call sys", cursor: 8, table: table) == .methods)
        #expect(Completer.neededPart(line: "interface set ifc_1 ", cursor: 20, table: table) == .catalog)
        #expect(Completer.neededPart(line: "key create user x user=", cursor: 23, table: table) == .users)
        #expect(Completer.neededPart(line: "inter", cursor: 5, table: table) == nil)
        #expect(Completer.neededPart(line: "phonebook search ", cursor: 17, table: table) == nil)
    }
}
