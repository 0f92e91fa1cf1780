import Foundation
import GRDB
import HTTPTestServer
import JSONRPC
import SwitchboardClient
import SwitchboardTestSupport
import Testing

/// Interfaces, credentials and the sync engine with the CSV source, through
/// the protocol against a real server (issue 4).
@Suite struct InterfaceTests {
    static let header = "id,name,company,phone,mobile,email\n"

    func names(_ client: SwitchboardClient) async throws -> [String] {
        try await client.call("phonebook.list", ["limit": 1_000])["items"]?.arrayValue?.compactMap { $0["name"]?.stringValue } ?? []
    }

    // MARK: lifecycle and roles

    @Test func lifecycleRolesAndHistory() async throws {
        try await withTestServer { server in
            let fixture = try await AccountFixture.make(on: server)
            let admin = try await fixture.client("admin", on: server)
            let catalog = try await (try await fixture.client("user", on: server)).call("interfaces.catalog")
            let csv = catalog["systems"]?.arrayValue?.first { $0["system"] == "csv" }
            #expect(csv?["fields"]?.arrayValue?.first { $0["name"] == "password" }?["secret"] == true)
            #expect(csv?["capabilities"] == ["contactsRead"])

            for role in ["pbx", "user"] {
                let client = try await fixture.client(role, on: server)
                #expect(await errorCode { try await client.call("interfaces.order", ["system": "csv"]) } == -32003, "\(role)")
                #expect(await errorCode { try await client.call("interfaces.list") } == -32003, "\(role)")
            }
            let ordered = try await admin.call("interfaces.order", ["system": "csv"])
            #expect(ordered["state"] == "active")  // provisioning delay 0: at once
            #expect(ordered["name"] == "CSV file")
            let id = ordered["id"]!
            for role in ["pbx", "user"] {
                let client = try await fixture.client(role, on: server)
                #expect(await errorCode { try await client.call("interfaces.configure", ["id": id, "syncIntervalMinutes": 5]) } == -32003)
                #expect(await errorCode { try await client.call("interfaces.sync", ["id": id]) } == -32003)
                #expect(await errorCode { try await client.call("interfaces.cancel", ["id": id]) } == -32003)
            }
            #expect(await errorCode { try await admin.call("interfaces.order", ["system": "nosuch"]) } == -32022)
            #expect(await errorCode { try await admin.call("interfaces.configure", ["id": id, "syncIntervalMinutes": 0]) } == -32022)
            #expect(await errorCode { try await admin.call("interfaces.configure", ["id": id, "settings": ["colour": "red"]]) } == -32022)
            #expect(await errorCode { try await admin.call("interfaces.configure", ["id": id, "dataFlow": ["callsOut": true]]) } == -32022)
            #expect(await errorCode { try await admin.call("interfaces.configure", ["id": id, "settings": ["url": "ftp://x"]]) } == -32022)
            #expect(await errorCode { try await admin.call("interfaces.provision", ["id": id]) } == -32003)  // operators only
            let configured = try await admin.call("interfaces.configure", [
                "id": id, "name": "Phonebook", "description": "from the intranet", "syncIntervalMinutes": 5,
                "settings": ["url": "https://intranet.example/phonebook.csv", "delimiter": ";"],
            ])
            #expect(configured["syncIntervalMinutes"] == 5)
            #expect(configured["settings"]?["delimiter"] == ";")

            // Cancelling: data kept until the end of the month in the account's time zone.
            let cancelled = try await admin.call("interfaces.cancel", ["id": id])
            #expect(cancelled["state"] == "cancelled")
            let dataUntil = try requireString(cancelled["dataUntil"])
            #expect(dataUntil.hasSuffix("59:59Z"))
            #expect(await errorCode { try await admin.call("interfaces.cancel", ["id": id]) } == -32009)
            #expect(await errorCode { try await admin.call("interfaces.sync", ["id": id]) } == -32009)
            #expect(await errorCode { try await admin.call("interfaces.configure", ["id": id, "name": "x"]) } == -32009)

            // Every change is recorded with who made it.
            let history = try await admin.call("interfaces.get", ["id": id])["history"]?.arrayValue ?? []
            #expect(history.compactMap { $0["action"]?.stringValue } == ["cancelled", "configured", "provisioned", "ordered"])
            #expect(history.allSatisfy { $0["actor"]?.stringValue?.hasPrefix("key_") == true })

            // Another account sees none of it.
            let other = try await AccountFixture.make(on: server, name: "Other")
            let otherAdmin = try await other.client("admin", on: server)
            #expect(await errorCode { try await otherAdmin.call("interfaces.get", ["id": id]) } == -32004)
            #expect(try await otherAdmin.call("interfaces.list")["items"] == [])
        }
    }

    @Test func provisioningDelayThenTheSchedulerOrAnOperatorActivates() async throws {
        try await withTestServer(configure: { $0.sync.provisioningDelaySeconds = 1; $0.sync.schedulerIntervalSeconds = 1 }) { server in
            let fixture = try await AccountFixture.make(on: server)
            let admin = try await fixture.client("admin", on: server)
            let first = try await admin.call("interfaces.order", ["system": "csv"])
            let second = try await admin.call("interfaces.order", ["system": "csv"])
            #expect(first["state"] == "ordered")
            #expect(first["provisionAt"] != .null)
            let op = try await fixture.client("operator", on: server)
            #expect(try await op.call("interfaces.provision", ["id": second["id"]!])["state"] == "active")
            #expect(await errorCode { try await op.call("interfaces.provision", ["id": second["id"]!]) } == -32009)
            var state: JSONValue? = nil
            for _ in 0..<100 {
                state = try await admin.call("interfaces.get", ["id": first["id"]!])["state"]
                if state == "active" { break }
                try await Task.sleep(for: .milliseconds(100))
            }
            #expect(state == "active")
            let history = try await admin.call("interfaces.get", ["id": first["id"]!])["history"]?.arrayValue ?? []
            #expect(history.first?["actor"] == "scheduler")
        }
    }

    // MARK: credentials

    @Test func credentialsAreWriteOnlyAndSealed() async throws {
        let planted = "Pl4nted-S3cret-\(UUID().uuidString)"
        try await withTestServer(configure: { $0.sync.remoteTimeoutSeconds = 2 }) { server in
            let fixture = try await AccountFixture.make(on: server)
            let admin = try await fixture.client("admin", on: server)
            let interface = try await admin.call("interfaces.order", ["system": "csv"])
            let id = interface["id"]!
            var answers: [JSONValue] = []
            answers.append(try await admin.call("interfaces.setCredentials", ["id": id, "username": "phonebook", "password": .string(planted)]))
            #expect(answers[0]["credentials"]?["password"]?.stringValue?.hasSuffix("Z") == true)  // when it was set, not what
            answers.append(try await admin.call("interfaces.get", ["id": id]))
            answers.append(try await admin.call("interfaces.list"))
            answers.append(try await admin.call("interfaces.configure", ["id": id, "settings": ["url": "http://127.0.0.1:9/x.csv"]]))
            answers.append(try await admin.call("interfaces.test", ["id": id]))
            // A password typed into the wrong place is refused without being echoed.
            do {
                _ = try await admin.call("interfaces.configure", ["id": id, "settings": ["password": .string(planted)]])
                Issue.record("a credential was accepted as a setting")
            } catch let error as RPCError {
                #expect(error.code.rawValue == -32022)
                answers.append(.string(error.message))
                answers.append(error.data ?? .null)
            }
            do {
                _ = try await admin.call("interfaces.setCredentials", ["id": id, "apiKey": .string(planted)])
                Issue.record("an unknown credential was accepted")
            } catch let error as RPCError {
                answers.append(.string(error.message))
                answers.append(error.data ?? .null)
            }
            for answer in answers {
                #expect(!JSONWriter.string(answer).contains(planted))
            }
            // At rest: not in the database file in clear.
            let database = try Data(contentsOf: URL(fileURLWithPath: server.dataDirectory + "/switchboard.sqlite"))
            let wal = (try? Data(contentsOf: URL(fileURLWithPath: server.dataDirectory + "/switchboard.sqlite-wal"))) ?? Data()
            #expect(database.range(of: Data(planted.utf8)) == nil)
            #expect(wal.range(of: Data(planted.utf8)) == nil)
            // Clearing one credential keeps the other.
            let cleared = try await admin.call("interfaces.setCredentials", ["id": id, "password": nil])
            #expect(cleared["credentials"]?["password"] == nil)
            #expect(cleared["credentials"]?["username"] != nil)
            // The key file is private.
            let attributes = try FileManager.default.attributesOfItem(atPath: server.dataDirectory + "/credentials.key")
            #expect((attributes[.posixPermissions] as? Int) == 0o600)
        }
    }

    // MARK: CSV from a local file

    @Test func localCSVSyncImportsRejectsAndResyncs() async throws {
        let csvDirectory = TestServer.makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: csvDirectory) }
        let file = csvDirectory + "/phonebook.csv"
        // BOM, semicolons, quotes with doubled quotes and a line break, an unknown column, bad rows, a duplicate id.
        let first = "\u{FEFF}id;name;company;phone;mobile;colour\r\n"
            + "1;Hans Müller;\"Müller \"\"&\"\" Söhne\";030 1234567;;blue\r\n"
            + "2;\"Anna\r\nVirtanen\";Firma Oy;+358 9 1234567;040 0124387;\r\n"
            + "\r\n"
            + "3;;;030 999;;\r\n"
            + "4;No Number;;;;\r\n"
            + "1;Duplicate;;030 7654321;;\r\n"
            + "5;Émile Lefèvre;;+33 1 23 45 67 89;;\r\n"
        try first.write(toFile: file, atomically: true, encoding: .utf8)
        try await withTestServer(configure: { $0.sync.csvDirectory = csvDirectory }) { server in
            let fixture = try await AccountFixture.make(on: server)
            let admin = try await fixture.client("admin", on: server)
            let interface = try await csvInterface(admin, settings: ["path": "phonebook.csv"])
            let id = interface["id"]
            #expect(try await admin.call("interfaces.test", ["id": id!])["ok"] == true)

            let run = try await sync(admin, id)
            #expect(run["state"] == "succeeded")
            #expect(run["counts"]?["created"] == 3)
            #expect(run["counts"]?["rejected"] == 3)
            let errors = run["errors"]?.arrayValue ?? []
            #expect(errors.compactMap { $0["line"]?.intValue } == [6, 7, 8])
            #expect(errors.last?["reason"]?.stringValue?.contains("line 2") == true)
            #expect(run["warnings"]?.arrayValue?.first?.stringValue?.contains("colour") == true)
            #expect(try await names(admin) == ["Anna\r\nVirtanen", "Émile Lefèvre", "Hans Müller"])
            let hans = try await admin.call("phonebook.lookup", ["number": "+49301234567"])
            #expect(hans["entry"]?["company"] == "Müller \"&\" Söhne")
            #expect(hans["entry"]?["source"] == "S")
            #expect(await errorCode { try await admin.call("phonebook.delete", ["id": hans["entry"]!["id"]!]) } == -32009)

            // The same file again: finishes at once as unchanged.
            let again = try await sync(admin, id)
            #expect(again["sourceUnchanged"] == true)
            #expect(again["counts"]?["created"] == 0)

            // One row changed, one gone, one new: only those are touched.
            // Changing how the file is read makes the next run read it again.
            _ = try await admin.call("interfaces.configure", ["id": id!, "settings": ["delimiter": ";"]])
            #expect(try await sync(admin, id)["sourceUnchanged"] == false)

            // One row changed, one gone, one new, one that lost its number (rejected: its entry is kept).
            let second = "id;name;company;phone\n1;Hans Müller;Müller GmbH;030 1234567\n5;Émile Lefèvre;;\n6;Zoë Zander;;+31 20 123 4567\n"
            try second.write(toFile: file, atomically: true, encoding: .utf8)
            let third = try await sync(admin, id)
            #expect(third["counts"]?["updated"] == 1)
            #expect(third["counts"]?["rejected"] == 1)
            #expect(third["errors"]?[0]?["line"] == 3)
            #expect(third["counts"]?["created"] == 1)
            #expect(third["counts"]?["deleted"] == 1)
            #expect(try await names(admin) == ["Émile Lefèvre", "Hans Müller", "Zoë Zander"])
            // The entry kept its id across the update, and the search words follow the new company.
            #expect(try await admin.call("phonebook.lookup", ["number": "030 1234567"])["entry"]?["id"] == hans["entry"]?["id"])
            #expect(try await admin.call("phonebook.search", ["q": "gmbh"])["items"]?[0]?["id"] == hans["entry"]?["id"])
            #expect(try await admin.call("phonebook.search", ["q": "söhne"])["items"] == [])

            // A file missing a mandatory column fails the run and changes nothing.
            try "id;name;email\n1;Hans;h@x.example\n".write(toFile: file, atomically: true, encoding: .utf8)
            let failed = try await sync(admin, id)
            #expect(failed["state"] == "failed")
            #expect(failed["failure"]?.stringValue?.contains("mandatory column") == true)
            #expect(try await names(admin) == ["Émile Lefèvre", "Hans Müller", "Zoë Zander"])
            #expect(try await admin.call("interfaces.get", ["id": id!])["health"] == "failed")

            // A file that lists nobody (a broken export, far more often than an empty address
            // book) removes nothing and fails the run; a full run, asked for on purpose, empties it.
            try "id;name;phone\n".write(toFile: file, atomically: true, encoding: .utf8)
            let empty = try await sync(admin, id)
            #expect(empty["state"] == "failed")
            #expect(empty["failure"] == "the source listed no contacts; its 3 synced entries were kept (if it really is empty, a full sync removes them)")
            #expect(try await names(admin) == ["Émile Lefèvre", "Hans Müller", "Zoë Zander"])
            #expect(try await admin.call("interfaces.get", ["id": id!])["health"] == "failed")
            let emptied = try await sync(admin, id, mode: "full")
            #expect(emptied["state"] == "succeeded")
            #expect(emptied["counts"]?["deleted"] == 3)
            #expect(try await names(admin) == [])

            // Windows-1252 is accepted when the file is not UTF-8.
            let latin = "id;name;phone\n7;Jürgen Größe;030 5550001\n"
            try Data(latin.data(using: .windowsCP1252)!).write(to: URL(fileURLWithPath: file))
            let fourth = try await sync(admin, id)
            #expect(fourth["state"] == "succeeded")
            #expect(try await names(admin) == ["Jürgen Größe"])
            #expect(try await admin.call("interfaces.get", ["id": id!])["health"] == "ok")

            // Paths outside the CSV directory are refused.
            #expect(await errorCode { try await admin.call("interfaces.configure", ["id": id!, "settings": ["path": nil, "url": nil]]) } == nil)
            _ = try await admin.call("interfaces.configure", ["id": id!, "settings": ["path": "../../etc/passwd"]])
            let outside = try await sync(admin, id)
            #expect(outside["failure"]?.stringValue?.contains("outside") == true)

            // Runs are listed newest first.
            let runs = try await admin.call("syncs.list", ["interfaceId": id!])["items"]?.arrayValue ?? []
            #expect(runs.count == 9)
            #expect(runs.first?["runId"] == outside["runId"])
        }
    }

    @Test func exportedPhonebookSyncsBackAsTheSameEntries() async throws {
        let csvDirectory = TestServer.makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: csvDirectory) }
        try await withTestServer(configure: { $0.sync.csvDirectory = csvDirectory }) { server in
            let fixture = try await AccountFixture.make(on: server)
            let admin = try await fixture.client("admin", on: server)
            _ = try await admin.call("phonebook.create", [
                "firstName": "Anna", "lastName": "Virtanen", "company": "Oy \"Firma\", Ab", "note": "line 1\nline 2; with ; and ,",
                "numbers": [["type": "phone", "number": "+358 9 1234567"], ["type": "mobile", "number": "+358 40 0124387"]],
            ])
            _ = try await admin.call("phonebook.create", ["name": "Zürich Büro", "numbers": [["type": "fax", "number": "+41 44 668 18 00"]]])
            let export = try await admin.call("phonebook.export", ["format": "csv"])
            try (export["data"]?.stringValue ?? "").write(toFile: csvDirectory + "/export.csv", atomically: true, encoding: .utf8)
            let manual = try await admin.call("phonebook.list")["items"]?.arrayValue ?? []
            for entry in manual { _ = try await admin.call("phonebook.delete", ["id": entry["id"]!]) }

            let interface = try await csvInterface(admin, settings: ["path": "export.csv"])
            #expect(try await sync(admin, interface["id"])["counts"]?["created"] == 2)
            let synced = try await admin.call("phonebook.list")["items"]?.arrayValue ?? []
            #expect(synced.count == manual.count)
            for (before, after) in zip(manual, synced) {
                for field in ["name", "firstName", "lastName", "company", "note", "email"] { #expect(before[field] == after[field], "\(field)") }
                // Numbers are exported in E.164, so they read the same in any region; what was typed is not kept.
                func numbers(_ entry: JSONValue) -> [String] {
                    entry["numbers"]?.arrayValue?.map { "\($0["type"]!):\($0["e164"]!):\($0["display"]!)" } ?? []
                }
                #expect(numbers(before) == numbers(after))
                #expect(after["source"] == "S")
                #expect(after["externalId"] == before["id"])
            }
        }
    }

    // MARK: CSV over HTTP

    @Test func httpSourceWithAuthErrorsRedirectsAndValidators() async throws {
        let http = try await HTTPTestServer.start()
        defer { Task { try? await http.shutdown() } }
        http.file("/book.csv", Array((Self.header + "1,Hans Müller,ACME,030 1234567,,hans@acme.example\n").utf8), basicAuth: ("phonebook", "pw-1"))
        http.route("/moved.csv") { _ in .redirect(to: "/book.csv") }
        http.route("/missing.csv") { _ in .text("no such phonebook here", status: 404) }
        http.route("/slow.csv") { _ in
            var response = HTTPTestResponse.text(Self.header)
            response.delay = .seconds(10)
            return response
        }
        let big = Self.header + (0..<2_000).map { "\($0),Person \($0),,+4930\(String(format: "%07d", $0)),,\n" }.joined()
        http.route("/big.csv") { _ in .text(big) }
        // A timeout that a loaded machine (a whole test suite on two cores) still meets for the quick answers.
        try await withTestServer(configure: { $0.sync.remoteTimeoutSeconds = 3; $0.sync.maximumDownloadBytes = 32 * 1_024 }) { server in
            let fixture = try await AccountFixture.make(on: server)
            let admin = try await fixture.client("admin", on: server)
            let interface = try await csvInterface(admin, settings: ["url": .string(http.baseURL + "/moved.csv")])
            let id = interface["id"]

            // No credentials yet: the server's 401 is shown, and the interface needs new credentials.
            let denied = try await sync(admin, id)
            #expect(denied["state"] == "failed")
            #expect(denied["failure"]?.stringValue?.contains("401") == true)
            #expect(try await admin.call("interfaces.get", ["id": id!])["health"] == "needs_reauth")
            let test = try await admin.call("interfaces.test", ["id": id!])
            #expect(test["ok"] == false)
            #expect(test["problem"] == "unauthorized")

            _ = try await admin.call("interfaces.setCredentials", ["id": id!, "username": "phonebook", "password": "pw-1"])
            #expect(try await admin.call("interfaces.get", ["id": id!])["health"] == "ok")
            let ok = try await sync(admin, id)
            #expect(ok["state"] == "succeeded")
            #expect(ok["counts"]?["created"] == 1)
            #expect(http.requests.contains { $0.path == "/book.csv" && $0.header("Authorization")?.hasPrefix("Basic ") == true })

            // Unchanged: the server's ETag answers 304 and the run ends at once.
            let unchanged = try await sync(admin, id)
            #expect(unchanged["sourceUnchanged"] == true)
            #expect(http.requests.last?.header("If-None-Match") != nil)

            _ = try await admin.call("interfaces.configure", ["id": id!, "settings": ["url": .string(http.baseURL + "/missing.csv")]])
            let missing = try await sync(admin, id)
            #expect(missing["failure"]?.stringValue?.contains("404") == true)
            #expect(missing["failure"]?.stringValue?.contains("no such phonebook here") == true)

            _ = try await admin.call("interfaces.configure", ["id": id!, "settings": ["url": .string(http.baseURL + "/slow.csv")]])
            let slow = try await sync(admin, id)
            #expect(slow["failure"]?.stringValue?.contains("did not answer") == true, "\(slow)")
            // A file larger than the server accepts fails before anything is imported.
            _ = try await admin.call("interfaces.configure", ["id": id!, "settings": ["url": .string(http.baseURL + "/big.csv")]])
            let big = try await sync(admin, id)
            #expect(big["failure"]?.stringValue?.contains("larger than") == true, "\(big)")
            #expect(big["counts"]?["created"] == 0)
            // Failed runs kept the data of the last good one, and left no spool files behind.
            #expect(try await names(admin) == ["Hans Müller"])
            #expect(try FileManager.default.contentsOfDirectory(atPath: server.dataDirectory + "/tmp").isEmpty)
        }
    }

    // MARK: progress and joining

    @Test func startsArrivingTogetherJoinOneRun() async throws {
        let csvDirectory = TestServer.makeTemporaryDirectory()
        try "id,name,phone\n1,Hans Müller,030 1234567\n".write(toFile: csvDirectory + "/one.csv", atomically: true, encoding: .utf8)
        try await withTestServer(configure: { $0.sync.csvDirectory = csvDirectory }) { server in
            let fixture = try await AccountFixture.make(on: server)
            let admins = [try await fixture.client("admin", on: server), try await fixture.client("admin", on: server),
                          try await fixture.client("admin", on: server), try await fixture.client("admin", on: server)]
            let interface = try await csvInterface(admins[0], settings: ["path": "one.csv"])
            // Four admins (or an admin and the scheduler) press "sync" at the same moment: one run, joined by all.
            let runIds = try await withThrowingTaskGroup(of: JSONValue?.self) { group in
                for admin in admins { group.addTask { try await admin.call("interfaces.sync", ["id": interface["id"]!])["runId"] } }
                var ids: [JSONValue?] = []
                for try await id in group { ids.append(id) }
                return ids
            }
            #expect(Set(runIds.compactMap { $0?.stringValue }).count == 1)
            let run = try await finished(admins[0], runIds[0])
            #expect(run["state"] == "succeeded")
            #expect(run["counts"]?["created"] == 1)
            #expect(try await admins[0].call("syncs.list", ["interfaceId": interface["id"]!])["items"]?.arrayValue?.count == 1)
        }
    }

    @Test func aSyncAskedForRightAfterOneEndedIsANewRun() async throws {
        let csvDirectory = TestServer.makeTemporaryDirectory()
        try "id,name,phone\n1,Hans Müller,030 1234567\n".write(toFile: csvDirectory + "/one.csv", atomically: true, encoding: .utf8)
        try await withTestServer(configure: { $0.sync.csvDirectory = csvDirectory }) { server in
            let fixture = try await AccountFixture.make(on: server)
            let admin = try await fixture.client("admin", on: server)
            let interface = try await csvInterface(admin, settings: ["path": "one.csv"])
            var previous: JSONValue? = nil
            for _ in 0..<20 {
                // Asked the moment the last run reads as ended: never that ended run again.
                let run = try await sync(admin, interface["id"], mode: "full")
                #expect(run["state"] == "succeeded")
                #expect(run["runId"] != nil)
                #expect(run["runId"] != previous)
                previous = run["runId"]
            }
            #expect(try await admin.call("syncs.list", ["interfaceId": interface["id"]!, "limit": 100])["items"]?.arrayValue?.count == 20)
        }
    }

    @Test func progressIsPushedToSubscribersAndASecondRequestJoins() async throws {
        let csvDirectory = TestServer.makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: csvDirectory) }
        var csv = "id,name,phone\n"
        // Every tenth row has no number: 10% bad rows, rejected with their lines, the rest imports.
        for i in 0..<5_000 { csv += i % 10 == 9 ? "\(i),Person \(i),\n" : "\(i),Person \(i),+4930\(String(format: "%07d", i))\n" }
        try csv.write(toFile: csvDirectory + "/big.csv", atomically: true, encoding: .utf8)
        try await withTestServer(configure: { $0.sync.csvDirectory = csvDirectory }) { server in
            let fixture = try await AccountFixture.make(on: server)
            let admin = try await fixture.client("admin", on: server)
            let watcher = try await fixture.client("admin", on: server)
            _ = try await watcher.call("events.subscribe", ["topics": ["sync.progress"]])
            let other = try await AccountFixture.make(on: server, name: "Other")
            let outsider = try await other.client("admin", on: server)
            _ = try await outsider.call("events.subscribe", ["topics": ["sync.progress"]])

            let interface = try await csvInterface(admin, settings: ["path": "big.csv"])
            let first = try await admin.call("interfaces.sync", ["id": interface["id"]!])
            let second = try await admin.call("interfaces.sync", ["id": interface["id"]!])
            #expect(first["runId"] == second["runId"])
            // Another account cannot join (or even see) the run; pbx and user keys cannot listen to runs.
            #expect(await errorCode { try await outsider.call("interfaces.sync", ["id": interface["id"]!]) } == -32004)
            let pbx = try await fixture.client("pbx", on: server)
            #expect(await errorCode { try await pbx.call("events.subscribe", ["topics": ["sync.progress"]]) } == -32003)

            var seen: [JSONValue] = []
            for await notification in watcher.notifications {
                #expect(notification.method == "sync.progress")
                seen.append(notification.params)
                if notification.params["state"] == "succeeded" || notification.params["state"] == "failed" { break }
            }
            #expect(seen.first?["state"] == "running")
            #expect(seen.last?["state"] == "succeeded")
            #expect(seen.last?["counts"]?["created"] == 4_500)
            #expect(seen.last?["counts"]?["rejected"] == 500)
            let errors = seen.last?["errors"]?.arrayValue ?? []
            #expect(errors.count == 100)  // the first 100 are kept
            #expect(errors.first?["line"] == 11)
            #expect(errors.first?["reason"] == "no phone number")
            #expect(seen.allSatisfy { $0["runId"] == first["runId"] })
            // The other account's subscriber heard nothing.
            _ = try await outsider.call("system.ping")
            let leaked = await withTaskGroup(of: Bool.self) { group in
                group.addTask { for await _ in outsider.notifications { return true }; return false }
                group.addTask { try? await Task.sleep(for: .milliseconds(200)); return false }
                let first = await group.next() ?? false
                group.cancelAll()
                return first
            }
            #expect(!leaked)
        }
    }

    @Test func cancelledInterfacesLoseTheirSyncedEntriesAfterDataUntil() async throws {
        let csvDirectory = TestServer.makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: csvDirectory) }
        try (Self.header + "1,Hans Müller,ACME,030 1234567,,\n2,Anna Virtanen,,+358 9 1234567,,\n").write(
            toFile: csvDirectory + "/book.csv", atomically: true, encoding: .utf8)
        try await withTestServer(configure: { $0.sync.csvDirectory = csvDirectory; $0.sync.schedulerIntervalSeconds = 3_600 }) { server in
            let fixture = try await AccountFixture.make(on: server)
            let admin = try await fixture.client("admin", on: server)
            let interface = try await csvInterface(admin, settings: ["path": "book.csv"])
            #expect(try await sync(admin, interface["id"])["counts"]?["created"] == 2)
            _ = try await admin.call("phonebook.create", ["name": "Manual Entry", "numbers": [["number": "030 7654321"]]])
            let cancelled = try await admin.call("interfaces.cancel", ["id": interface["id"]!])
            let dataUntil = try requireString(cancelled["dataUntil"])

            // Until then the synced entries stay (a scheduler pass now changes nothing)…
            try await server.app.syncs.tick(now: Date())
            #expect(try await names(admin) == ["Anna Virtanen", "Hans Müller", "Manual Entry"])
            // …after it, the scheduler removes them, and only them.
            let after = try #require(ISO8601DateFormatter().date(from: dataUntil)).addingTimeInterval(1)
            try await server.app.syncs.tick(now: after)
            #expect(try await names(admin) == ["Manual Entry"])
            let removed = try await admin.call("interfaces.get", ["id": interface["id"]!])
            #expect(removed["dataRemovedAt"] != .null)
            #expect(removed["history"]?[0]?["action"] == "data removed")
            #expect(removed["history"]?[0]?["actor"] == "scheduler")
        }
    }
}
