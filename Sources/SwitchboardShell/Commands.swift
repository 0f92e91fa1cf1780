/// The shell's commands: one table that drives parsing, `help`, completion and docs/shell.md.
extension CommandTable {
    public static let standard = CommandTable([
        // Interfaces
        command("Interfaces", "interfaces", [], "List the account's interfaces with state, health and last sync.",
                examples: ["interfaces"]) { try await $0.listInterfaces($1) },
        command("Interfaces", "interface show", [Parameter("ID", .interfaceId)],
                "Show an interface: settings, data flow, which credentials are set, recent history.",
                examples: ["interface show ifc_01m883pn9n0r3f70fcd4t3db60"]) { try await $0.showInterface($1) },
        command("Interfaces", "interface catalog", [], "List the systems interfaces can connect to and the fields each takes.",
                examples: ["interface catalog"]) { try await $0.showCatalog($1) },
        command("Interfaces", "interface order", [Parameter("SYSTEM", .system), Parameter("NAME", .text, .rest)],
                "Order an interface to a system of the catalogue (NAME defaults to the system's label).",
                examples: ["interface order csv", "interface order csv Intranet phonebook"]) { try await $0.orderInterface($1) },
        command("Interfaces", "interface set", [Parameter("ID", .interfaceId), Parameter("FIELD", .interfaceField), Parameter("VALUE", .fieldValue, .oneOrMore)],
                "Change one field of an interface.",
                details: """
                    FIELD is name, description, interval (minutes between scheduled syncs, 1 to 10080), a setting \
                    of the interface's system (csv: url, path, delimiter, encoding; see interface catalog), or a data \
                    flow (contactsIn, callsOut, notesOut, todosOut, meetingReportsOut, surveysIn) with on or off. \
                    The words of VALUE are joined with spaces; "" clears a setting or the description. Credentials \
                    are refused here: use interface credentials.
                    """,
                examples: ["interface set ifc_… url https://intranet.example.com/phonebook.csv",
                           "interface set ifc_… path \"\"", "interface set ifc_… interval 30",
                           "interface set ifc_… description HR export, nightly", "interface set ifc_… contactsIn off"]) { try await $0.setInterfaceField($1) },
        command("Interfaces", "interface credentials", [Parameter("ID", .interfaceId), Parameter("NAME", .credentialField, .rest)],
                "Set the interface's credentials (all, or the NAMEs): asks for each without echo; Enter keeps it.",
                details: """
                    The credentials are the system's credential fields (interface catalog). The values are never \
                    shown and never kept in the history. In a script, each answer is the next input line.
                    """,
                examples: ["interface credentials ifc_…", "interface credentials ifc_… apiToken"]) { try await $0.setCredentials($1) },
        command("Interfaces", "interface test", [Parameter("ID", .interfaceId)],
                "Try the settings and credentials against the system; fails (status 1) when it finds a problem.",
                examples: ["interface test ifc_…"]) { try await $0.testInterface($1) },
        command("Interfaces", "interface sync", [Parameter("ID", .interfaceId), Parameter("MODE", .choice(["full", "incremental"]), .optional)],
                "Start a sync run and follow it to its end with a live progress bar; fails when the run fails.",
                details: """
                    The server reports counts but no total, so the bar moves while the run goes on and fills \
                    at the end. Ctrl-C detaches: the run goes on on the server (sync show RUN). Joins the run \
                    already going on, if any.
                    """,
                examples: ["interface sync ifc_…", "interface sync ifc_… full"]) { try await $0.syncInterface($1) },
        command("Interfaces", "interface cancel", [Parameter("ID", .interfaceId), Parameter("--yes", .choice(["--yes"]), .optional)],
                "Cancel an interface for good, after confirming (y/N); its synced entries stay until dataUntil.",
                details: "--yes skips the question. In a script without --yes the answer is the next input line.",
                examples: ["interface cancel ifc_…", "interface cancel ifc_… --yes"]) { try await $0.cancelInterface($1) },
        command("Interfaces", "interface provision", [Parameter("ID", .interfaceId)],
                "Activate an ordered interface now (operators only).",
                examples: ["interface provision ifc_…"]) { try await $0.provisionInterface($1) },
        command("Interfaces", "syncs", [Parameter("ID", .interfaceId)], "List an interface's sync runs, newest first (the last 20).",
                examples: ["syncs ifc_…"]) { try await $0.listRuns($1) },
        command("Interfaces", "sync show", [Parameter("RUN", .runId)], "Show one sync run: counts, rejected rows, warnings, failure.",
                examples: ["sync show syn_01m883pr6b2mbz5agzgx7v9szx"]) { try await $0.showRun($1) },

        // Users, keys, accounts
        command("Users, keys and accounts", "users", [], "List the account's users.", examples: ["users"]) { try await $0.listUsers($1) },
        command("Users, keys and accounts", "user add",
                [Parameter("NAME"), Parameter("EMAIL"), Parameter("NUMBER", .options(["extension": .text, "region": .text]), .rest)],
                "Add a user; further words are phone numbers, extension=… and region=… set those.",
                usageSuffix: "[extension=N] [region=CC]",
                examples: ["user add \"Anna Virtanen\" anna@example.fi extension=12 +358401234567"]) { try await $0.addUser($1) },
        command("Users, keys and accounts", "keys", [Parameter("operator", .choice(["operator"]), .optional)],
                "List the account's API keys (operator: the operator keys instead).", examples: ["keys", "keys operator"]) { try await $0.listKeys($1) },
        command("Users, keys and accounts", "key create",
                [Parameter("ROLE", .choice(["admin", "pbx", "user", "operator"])), Parameter("LABEL", .options(["user": .userId]), .rest)],
                "Create an API key and print its token (shown this once). user keys need user=USER_ID.",
                usageSuffix: "[user=USER_ID]",
                examples: ["key create pbx Asterisk in the server room", "key create user \"Anna's softphone\" user=usr_…"]) { try await $0.createKey($1) },
        command("Users, keys and accounts", "key revoke", [Parameter("ID", .keyId)],
                "Revoke an API key; its sessions are logged out at once.", examples: ["key revoke key_…"]) { try await $0.revokeKey($1) },
        command("Users, keys and accounts", "accounts", [], "List all accounts, the current one marked * (operators).",
                examples: ["accounts"]) { try await $0.listAccounts($1) },
        command("Users, keys and accounts", "use", [Parameter("ACCOUNT", .accountId)],
                "Work in another account (operators): by id or by exact name. Reconnects stay in it.",
                examples: ["use acc_01m87t8esbpt64083sj4p8n7jv", "use \"Acme Oy\""]) { try await $0.useAccount($1) },

        // Phonebook
        command("Phonebook", "phonebook search", [Parameter("QUERY", .text, .oneOrMore)],
                "Search the phonebook by words (names, company) or digits.",
                examples: ["phonebook search müller", "phonebook search 030 123"]) { try await $0.searchPhonebook($1) },
        command("Phonebook", "lookup", [Parameter("NUMBER", .text, .oneOrMore)], "Caller-ID lookup: who is calling from NUMBER.",
                examples: ["lookup +49 30 1234567", "lookup 12"]) { try await $0.lookup($1) },
        command("Phonebook", "entry add",
                [Parameter("NAME"), Parameter("NUMBER", .options(entryOptionKinds), .rest)],
                "Add a manual phonebook entry; words after NAME are phone numbers, FIELD=VALUE sets other fields.",
                usageSuffix: "[FIELD=VALUE…]",
                details: """
                    FIELD is company, department, title, email, note, firstName or lastName, or a number \
                    type (phone, mobile, home, fax, other) for a typed number. NAME may be left out when \
                    company=, firstName= or lastName= is given.
                    """,
                examples: ["entry add \"Hans Müller\" +49301234567 company=\"Müller & Söhne\" mobile=+491712345678",
                           "entry add company=\"Bäckerei Zorn\" \"089 1234567\""]) { try await $0.addEntry($1) },
        command("Phonebook", "entry copy", [Parameter("ID")], "Copy an entry (e.g. a synced, read-only one) into an editable manual entry.",
                examples: ["entry copy pbe_…"]) { try await $0.copyEntry($1) },

        // Anything else
        command("Other", "call", [Parameter("METHOD", .method)], "Call any method; the params are a JSON object (may span lines).",
                usageSuffix: "[{JSON}]", rawTail: true,
                examples: ["call system.version", "call users.update {\"id\": \"usr_…\", \"extension\": \"12\"}"]) { try await $0.callMethod($1) },
        command("Other", "status", [], "The server's version, the session, and each interface with its health and last run.",
                examples: ["status"]) { try await $0.status($1) },
        command("Other", "help", [Parameter("COMMAND", .command, .rest)], "List the commands, or show one command's usage and examples.",
                examples: ["help", "help interface", "help interface sync"]) { try await $0.help($1) },
        command("Other", "quit", [], "Leave the shell (also exit, or Ctrl-D).", examples: ["quit"]) { await $0.quit($1) },
        command("Other", "exit", [], "Leave the shell.", examples: ["exit"]) { await $0.quit($1) },
    ])

    static let entryOptionKinds: [String: ArgumentKind] = Dictionary(
        uniqueKeysWithValues: (entryTextFields + numberTypes).map { ($0, ArgumentKind.text) })

    private static func command(
        _ group: String, _ name: String, _ parameters: [Parameter], _ summary: String, usageSuffix: String = "",
        details: String? = nil, rawTail: Bool = false, examples: [String],
        _ handler: @escaping @Sendable (Shell, Invocation) async throws -> Void
    ) -> ShellCommand {
        ShellCommand(group: group, words: name.split(separator: " ").map(String.init), parameters: parameters,
                     usageSuffix: usageSuffix, summary: summary, details: details, examples: examples,
                     takesRawTail: rawTail, handler: handler)
    }
}

/// `entry add` fields (phonebook.create params) and number types (EntryNumberInput.type).
let entryTextFields = ["company", "department", "title", "email", "note", "firstName", "lastName"]
let numberTypes = ["phone", "mobile", "home", "fax", "other"]
