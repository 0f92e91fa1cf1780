import Foundation
import JSONRPC
import SwitchboardShell
import Testing

/// Tables, colours, errors and the progress bar: pure functions of the JSON.
@Suite struct ShellRenderingTests {
    let plain = Style(enabled: false)
    let colour = Style(enabled: true)

    @Test func columnsAreAsWideAsTheirWidestCell() {
        let table = TextTable(headers: ["ID", "NAME", "STATE"], rows: [
            ["ifc_1", "Intranet phonebook", .state("active")],
            ["ifc_22", "Partner list", .state("failed")],
        ])
        let lines = table.render(plain).split(separator: "\n").map(String.init)
        #expect(lines.count == 3)
        // Every column starts at the same offset on every line.
        let nameColumn = lines[0].range(of: "NAME")!.lowerBound.utf16Offset(in: lines[0])
        let stateColumn = lines[0].range(of: "STATE")!.lowerBound.utf16Offset(in: lines[0])
        #expect(lines[1].range(of: "Intranet")!.lowerBound.utf16Offset(in: lines[1]) == nameColumn)
        #expect(lines[2].range(of: "Partner")!.lowerBound.utf16Offset(in: lines[2]) == nameColumn)
        #expect(lines[1].range(of: "active")!.lowerBound.utf16Offset(in: lines[1]) == stateColumn)
        #expect(stateColumn == nameColumn + "Intranet phonebook".count + 2)
        #expect(lines.allSatisfy { !$0.hasSuffix(" ") })
        #expect(!table.render(plain).contains("\u{1B}"))
    }

    @Test func wideAndCombiningCharactersAreMeasuredInColumns() {
        #expect(displayWidth("Müller") == 6)
        #expect(displayWidth("Mu\u{308}ller") == 6)  // u + combining diaeresis
        #expect(displayWidth("東京") == 4)
        #expect(displayWidth("📞") == 2)
        let table = TextTable(headers: ["NAME", "X"], rows: [["東京", "a"], ["Tokyo", "b"]]).render(plain)
        let lines = table.split(separator: "\n").map(String.init)
        // The column is 5 wide ("Tokyo"); "東京" takes 4 columns, so it gets 3 spaces before the next column.
        #expect(lines[1] == "東京   a")
        #expect(lines[2] == "Tokyo  b")
    }

    @Test func coloursOnlyWhenEnabledAndAfterPadding() {
        let table = TextTable(headers: ["STATE", "X"], rows: [[.state("needs_reauth"), "1"], [.state("active"), "2"], [.state("failed"), "3"]])
        let painted = table.render(colour)
        #expect(painted.contains("\u{1B}[33mneeds_reauth\u{1B}[0m"))  // yellow
        #expect(painted.contains("\u{1B}[32mactive\u{1B}[0m"))  // green
        #expect(painted.contains("\u{1B}[31mfailed\u{1B}[0m"))  // red
        // Without the escape codes the text is exactly the plain rendering.
        let stripped = painted.replacingOccurrences(of: "\u{1B}\\[[0-9]+m", with: "", options: .regularExpression)
        #expect(stripped == table.render(plain))
        #expect(Style.colour(forState: "cancelled") == .dim)
        #expect(Style.colour(forState: "running") == .cyan)
    }

    @Test func noColourWhenNotInteractiveOrNOCOLORIsSet() {
        #expect(ShellOptions.deciding(interactive: true, stdoutIsTerminal: true, json: false, keepGoing: false, environment: [:]).colour)
        #expect(!ShellOptions.deciding(interactive: true, stdoutIsTerminal: true, json: false, keepGoing: false, environment: ["NO_COLOR": "1"]).colour)
        #expect(!ShellOptions.deciding(interactive: false, stdoutIsTerminal: true, json: false, keepGoing: false, environment: [:]).colour)
        #expect(!ShellOptions.deciding(interactive: true, stdoutIsTerminal: false, json: false, keepGoing: false, environment: [:]).colour)
        #expect(!ShellOptions.deciding(interactive: true, stdoutIsTerminal: true, json: true, keepGoing: false, environment: [:]).colour)
        // NO_COLOR set but empty does not count (no-color.org).
        #expect(ShellOptions.deciding(interactive: true, stdoutIsTerminal: true, json: false, keepGoing: false, environment: ["NO_COLOR": ""]).colour)
    }

    @Test func errorsShowCodeMessageAndData() throws {
        let error = RPCError(.validationFailed, "Validation failed: settings.path: give either url or path, not both",
                             data: ["field": "settings.path", "reason": "give either url or path, not both"])
        #expect(Render.error(error, style: plain) == """
            error -32022: Validation failed: settings.path: give either url or path, not both
              field:  settings.path
              reason: give either url or path, not both
            """)
        let upstream = RPCError(.upstreamError, "Upstream system error", data: ["system": "hubspot", "status": 502, "message": "Bad gateway from CRM"])
        let text = Render.error(upstream, style: plain)
        #expect(text.contains("message: Bad gateway from CRM"))
        #expect(text.contains("status:  502"))
        #expect(Render.error(RPCError(.methodNotFound, "Method not found: x"), style: plain) == "error -32601: Method not found: x")
        #expect(Render.error(RPCError(.methodNotFound, "Method not found: x"), style: colour).hasPrefix("\u{1B}[31merror -32601\u{1B}[0m: "))
    }

    @Test func emptyValuesShowAsADash() {
        #expect(cellText(nil) == "-")
        #expect(cellText(.null) == "-")
        #expect(cellText("") == "-")
        #expect(cellText(3) == "3")
    }

    @Test func progressBarMovesWhileRunningAndFillsAtTheEnd() {
        let running: JSONValue = ["runId": "syn_1", "state": "running", "counts": ["seen": 1200, "created": 1000, "updated": 0, "unchanged": 0, "deleted": 0, "rejected": 3]]
        let first = SyncProgress.running(running, elapsed: 2, frame: 0, style: plain)
        let later = SyncProgress.running(running, elapsed: 2, frame: 5, style: plain)
        #expect(first != later)  // the block moves
        #expect(first.contains("seen 1200"))
        #expect(first.contains("created 1000"))
        #expect(first.contains("rejected 3"))
        #expect(!first.contains("updated"))  // zero counts are left out while running
        #expect(first.contains("600 rows/s"))
        #expect(displayWidth(SyncProgress.running(running, elapsed: 2, frame: 0, style: plain, columns: 40)) <= 40)

        let done: JSONValue = ["runId": "syn_1", "state": "succeeded", "counts": ["seen": 3, "created": 3, "updated": 0, "unchanged": 0, "deleted": 0, "rejected": 2],
                               "errors": [["line": 5, "reason": "no phone number"]], "warnings": []]
        #expect(SyncProgress.finished(done, elapsed: 1, style: plain).contains("100%"))
        let summary = SyncProgress.summary(done, style: plain)
        #expect(summary[0] == "run syn_1 succeeded: seen 3, created 3, updated 0, unchanged 0, deleted 0, rejected 2")
        #expect(summary.contains("  line 5: no phone number"))
        // One row is listed of two rejected: the rest are pointed to.
        #expect(summary.contains { $0.contains("1 more") && $0.contains("sync show syn_1") })

        let failed: JSONValue = ["runId": "syn_2", "state": "failed", "failure": "the server answered 404 Not Found", "counts": [:], "errors": [], "warnings": []]
        #expect(!SyncProgress.finished(failed, elapsed: 1, style: plain).contains("100%"))
        #expect(SyncProgress.summary(failed, style: plain)[0] == "run syn_2 failed: the server answered 404 Not Found")
    }

    @Test func eventsAboveThePrompt() {
        let finished: JSONValue = ["runId": "syn_1", "interfaceId": "ifc_1", "trigger": "scheduled", "state": "succeeded",
                                   "counts": ["seen": 2, "created": 1, "updated": 1, "unchanged": 0, "deleted": 0, "rejected": 0]]
        #expect(Render.event("sync.progress", finished, style: plain) == "sync syn_1 of ifc_1 (scheduled) succeeded: seen 2, created 1, updated 1, unchanged 0, deleted 0, rejected 0")
        var running = finished
        if case .object(var object) = running { object["state"] = "running"; running = .object(object) }
        #expect(Render.event("sync.progress", running, style: plain) == nil)
        let created: JSONValue = ["action": "created", "user": ["id": "usr_1", "name": "Carl", "email": "carl@example.com"]]
        #expect(Render.event("users.changed", created, style: plain) == "user created: Carl <carl@example.com> (usr_1)")
    }

    @Test func durations() {
        #expect(Render.duration(0.4) == "0s")
        #expect(Render.duration(59) == "59s")
        #expect(Render.duration(125) == "2m 05s")
        #expect(Render.duration(3_900) == "1h 05m")
    }
}
