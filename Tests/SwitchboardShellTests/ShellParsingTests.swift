import SwitchboardShell
import Testing

/// Tokenising, multi-line detection, command lookup and usage errors: pure functions.
@Suite struct ShellParsingTests {
    func words(_ line: String) throws -> [String] { try Tokenizer.words(line).map(\.text) }

    @Test func wordsQuotesAndEscapes() throws {
        #expect(try words("interface   set  ifc_1 url https://x") == ["interface", "set", "ifc_1", "url", "https://x"])
        #expect(try words(#"entry add "Hans Müller" +49301234567"#) == ["entry", "add", "Hans Müller", "+49301234567"])
        #expect(try words("user add 'Anna \"the boss\" V' a@b") == ["user", "add", "Anna \"the boss\" V", "a@b"])
        #expect(try words(#"a\ b c\"d"#) == ["a b", "c\"d"])
        #expect(try words(#"say "a \"quoted\" word" 'it''s'"#) == ["say", "a \"quoted\" word", "its"])
        #expect(try words(#"x"y z"w"#) == ["xy zw"])  // pieces next to each other join
        #expect(try words(#"set path """#) == ["set", "path", ""])  // an empty word, to clear a value
        #expect(try words("  \t ") == [])
        // Inside double quotes a backslash only escapes " and \.
        #expect(try words(#""C:\dir\\x""#) == [#"C:\dir\x"#])
    }

    @Test func unterminatedQuotesAndTrailingBackslashAreErrors() {
        #expect(throws: Tokenizer.Error.self) { try Tokenizer.words("entry add \"Hans") }
        #expect(throws: Tokenizer.Error.self) { try Tokenizer.words("entry add 'Hans") }
        #expect(throws: Tokenizer.Error.self) { try Tokenizer.words("entry add Hans\\") }
    }

    @Test func openBracesAskForMoreLines() {
        #expect(Tokenizer.needsMoreInput("call users.create {"))
        #expect(Tokenizer.needsMoreInput("call users.create {\"numbers\": ["))
        #expect(!Tokenizer.needsMoreInput("call users.create {\"name\": \"A\"}"))
        #expect(!Tokenizer.needsMoreInput("call users.create {\"name\": \"{[\"}"))  // brackets inside a JSON string
        #expect(Tokenizer.needsMoreInput("call users.create {\"name\": \"a\\\"{\""))  // an escaped quote does not end the string
        #expect(!Tokenizer.needsMoreInput("entry add \"Firma {Nord}\" 030 1234"))
        #expect(!Tokenizer.needsMoreInput("entry add 'Firma [Nord' 030 1234"))  // shell quotes outside JSON
        #expect(Tokenizer.needsMoreInput("call x {\"name\": \"O'Brien\", \"a\": ["))  // inside JSON ' is a plain character
        #expect(!Tokenizer.needsMoreInput("call x }"))
    }

    @Test func lookupPrefersTheLongestCommand() throws {
        let table = CommandTable.standard
        #expect(table.lookup(["interface", "sync", "ifc_1"])?.name == "interface sync")
        #expect(table.lookup(["interfaces"])?.name == "interfaces")
        #expect(table.lookup(["syncs", "ifc_1"])?.name == "syncs")
        #expect(table.lookup(["sync", "show", "syn_1"])?.name == "sync show")
        #expect(table.lookup(["interface"]) == nil)
        let invocation = try table.parse("interface sync ifc_1 full")
        #expect(invocation.command.name == "interface sync")
        #expect(invocation.arguments == ["ifc_1", "full"])
    }

    @Test func usageErrors() {
        let table = CommandTable.standard
        func message(_ line: String) -> String {
            do {
                _ = try table.parse(line)
                return ""
            } catch {
                return error.description
            }
        }
        #expect(message("interface sync") == "usage: interface sync ID [full|incremental]")
        #expect(message("interface sync ifc_1 full extra") == "usage: interface sync ID [full|incremental]")
        #expect(message("interface sync ifc_1 partial").contains("\"partial\" is not one of full, incremental"))
        #expect(message("frobnicate").hasPrefix("unknown command \"frobnicate\""))
        #expect(message("intrefaces").contains("did you mean \"interfaces\"?"))
        // A group word alone lists its commands.
        let group = message("interface")
        #expect(group.contains("interface show ID"))
        #expect(group.contains("interface sync ID [full|incremental]"))
        #expect(message("interface frob").hasPrefix("unknown command \"interface frob\""))
        #expect(message("entry add \"Hans").contains("unterminated"))
    }

    @Test func callTakesTheRestAsRawJSON() throws {
        let table = CommandTable.standard
        let call = try table.parse("call users.create {\"name\": \"Ann 'x'\",\n \"email\": \"a@b\"}")
        #expect(call.arguments == ["users.create"])
        #expect(call.rawTail == "{\"name\": \"Ann 'x'\",\n \"email\": \"a@b\"}")
        // The JSON is passed on as typed: its escapes are JSON's, not the shell's.
        let escaped = try table.parse(#"call x {"note": "a\nb \"q\" \\", "p": 'x'}"#)
        #expect(escaped.rawTail == #"{"note": "a\nb \"q\" \\", "p": 'x'}"#)
        #expect(try table.parse("call system.version").rawTail == nil)
    }

    @Test func everyCommandHasHelpAndExamples() {
        for command in CommandTable.standard.commands {
            #expect(!command.summary.isEmpty, "\(command.name)")
            #expect(!command.examples.isEmpty, "\(command.name)")
            #expect(command.help.hasPrefix("usage: \(command.usage)"))
            // Each example parses as this command (ids shortened to … still count as words).
            for example in command.examples {
                #expect((try? CommandTable.standard.parse(example))?.command.name == command.name, "\(example)")
            }
        }
    }

    @Test func secretsStayOutOfTheHistory() {
        let credentials: Set<String> = ["username", "password"]
        #expect(Shell.isSafeForHistory("interface set ifc_1 url https://x", credentials: credentials))
        #expect(!Shell.isSafeForHistory("interface set ifc_1 password hunter2", credentials: credentials))
        #expect(!Shell.isSafeForHistory("interface set ifc_1 apiToken abc123", credentials: credentials))  // sounds like one
        #expect(!Shell.isSafeForHistory("interface set ifc_1 region eu-1", credentials: ["region"]))  // the catalogue says so
        #expect(!Shell.isSafeForHistory("call auth.login {\"token\": \"x\"}", credentials: credentials))
        #expect(!Shell.isSafeForHistory("call interfaces.setCredentials {\"id\":\"ifc_1\",\"password\":\"p\"}", credentials: credentials))
        #expect(!Shell.isSafeForHistory("say key_01m88a7tnj3ery7r3p10ff5sdz.sUEua7UMKFMg8R4YMb4", credentials: credentials))
        #expect(Shell.isSafeForHistory("key revoke key_01m88a7tnj3ery7r3p10ff5sdz", credentials: credentials))
    }
}
