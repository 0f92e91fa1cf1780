import Foundation
import SwitchboardTestSupport
import Testing

/// The pseudo-terminal harness, checked against system programs whose terminal behaviour is known.
@Suite struct PseudoTerminalTests {
    private let environment = ["PATH": "/usr/bin:/bin", "TERM": "xterm", "LANG": "C.UTF-8"]

    @Test func childSeesTheWindowSizeAndATerminal() throws {
        let terminal = try PseudoTerminal(
            executable: "/bin/sh", arguments: ["-c", "stty -a; tty; echo done"],
            environment: environment, columns: 123, rows: 45
        )
        defer { terminal.terminate() }
        let output = try terminal.expect("done")
        #expect(output.contains("rows 45"))
        #expect(output.contains("columns 123"))
        #expect(output.contains("/dev/pts/"))
        #expect(try terminal.waitForExit() == 0)
    }

    @Test func terminalIsTheControllingTerminal() throws {
        // /dev/tty only opens for a process that has a controlling terminal.
        let terminal = try PseudoTerminal(
            executable: "/bin/sh", arguments: ["-c", "echo via-dev-tty > /dev/tty && echo ok"],
            environment: environment
        )
        defer { terminal.terminate() }
        try terminal.expect("via-dev-tty")
        try terminal.expect("ok")
        #expect(try terminal.waitForExit() == 0)
    }

    @Test func typedInputIsEchoedAndRead() throws {
        let terminal = try PseudoTerminal(
            executable: "/bin/sh", arguments: ["-c", "printf 'name? '; read name; echo \"hello <$name>\""],
            environment: environment
        )
        defer { terminal.terminate() }
        try terminal.expect("name? ")
        terminal.send("Müller\r")
        try terminal.expect("Müller")  // the terminal's echo
        try terminal.expect("hello <Müller>")
        #expect(try terminal.waitForExit() == 0)
    }

    @Test func secretTypedWithEchoOffIsNotInTheTranscript() throws {
        let script = "stty -echo; printf 'secret? '; read s; stty echo; echo; echo \"length ${#s}\""
        let terminal = try PseudoTerminal(executable: "/bin/sh", arguments: ["-c", script], environment: environment)
        defer { terminal.terminate() }
        try terminal.expect("secret? ")
        terminal.send("hunter2\r")
        try terminal.expect("length 7")
        #expect(try terminal.waitForExit() == 0)
        #expect(!terminal.transcript.contains("hunter2"))
    }

    @Test func controlCReachesTheChildAsSIGINT() throws {
        let terminal = try PseudoTerminal(
            executable: "/bin/sh", arguments: ["-c", "trap 'echo caught-int; exit 3' INT; echo ready; while :; do sleep 0.05; done"],
            environment: environment
        )
        defer { terminal.terminate() }
        try terminal.expect("ready")
        terminal.send("\u{03}")
        try terminal.expect("caught-int")
        #expect(try terminal.waitForExit() == 3)
    }

    @Test func reportsExitCodesAndSignals() throws {
        let exits = try PseudoTerminal(executable: "/bin/sh", arguments: ["-c", "exit 7"], environment: environment)
        #expect(try exits.waitForExit() == 7)

        let killed = try PseudoTerminal(executable: "/bin/sh", arguments: ["-c", "kill -KILL $$"], environment: environment)
        #expect(try killed.waitForExit() == 128 + SIGKILL)

        let sleeper = try PseudoTerminal(executable: "/bin/sleep", arguments: ["30"], environment: environment)
        sleeper.terminate()
        #expect(try sleeper.waitForExit(timeout: .seconds(1)) == 128 + SIGTERM)
    }

    @Test func expectMatchesOutputSplitAcrossReadsAndKeepsTheRest() throws {
        let terminal = try PseudoTerminal(
            executable: "/bin/sh", arguments: ["-c", "printf 'abc'; sleep 0.3; printf 'def\\n'; echo second"],
            environment: environment
        )
        defer { terminal.terminate() }
        let first = try terminal.expect("cde")
        #expect(first == "abcde")
        try terminal.expect("second")
        #expect(try terminal.waitForExit() == 0)
        #expect(terminal.transcript.contains("abcdef"))
    }

    @Test func expectTimeoutThrowsWithTheTranscript() throws {
        let terminal = try PseudoTerminal(
            executable: "/bin/sh", arguments: ["-c", "echo visible-output; sleep 5"], environment: environment
        )
        defer { terminal.terminate() }
        try terminal.expect("visible-output")
        let started = ContinuousClock.now
        do {
            try terminal.expect("never printed", timeout: .milliseconds(300))
            Issue.record("expect should have timed out")
        } catch let failure as PseudoTerminal.Failure {
            let description = String(describing: failure)
            #expect(description.contains("never printed"))
            #expect(description.contains("visible-output"))
        }
        #expect(ContinuousClock.now - started < .seconds(3))
    }

    @Test func expectFailsPromptlyWhenTheProgramEnds() throws {
        let terminal = try PseudoTerminal(executable: "/bin/sh", arguments: ["-c", "echo bye"], environment: environment)
        defer { terminal.terminate() }
        let started = ContinuousClock.now
        #expect(throws: PseudoTerminal.Failure.self) { try terminal.expect("not coming", timeout: .seconds(20)) }
        #expect(ContinuousClock.now - started < .seconds(10))
    }

    @Test func resizeChangesTheSizeTheChildSees() throws {
        let terminal = try PseudoTerminal(
            executable: "/bin/sh", arguments: ["-c", "echo ready; read x; stty size"], environment: environment,
            columns: 80, rows: 24
        )
        defer { terminal.terminate() }
        try terminal.expect("ready")
        terminal.resize(columns: 132, rows: 50)
        terminal.send("\r")
        try terminal.expect("50 132")
    }

    @Test func screenShowsWhatATerminalWouldDisplay() throws {
        // Overwrite after a carriage return, cursor right, erase to end of line, wrap at 20 columns,
        // cursor up and column address.
        let script = #"printf 'abcdef\r\033[2CX\033[K\n'; printf '%s' 12345678901234567890wrapped; printf '\033[1A\033[3G#\n\n'"#
        let terminal = try PseudoTerminal(
            executable: "/bin/sh", arguments: ["-c", script + "; echo END"], environment: environment, columns: 20, rows: 10
        )
        defer { terminal.terminate() }
        let screen = try terminal.expectScreen("END")
        #expect(Array(screen.lines.prefix(4)) == ["abX", "12#45678901234567890", "wrapped", "END"])
        #expect(try terminal.waitForExit() == 0)
    }

    @Test func stripANSIRemovesEscapeSequences() {
        let raw = "\u{1B}[1;32mgreen\u{1B}[0m \u{1B}]0;title\u{7}text\u{1B}[2K\u{1B}(B\u{7}\r\n"
        #expect(PseudoTerminal.stripANSI(raw) == "green text\r\n")
    }

    @Test func missingExecutableThrows() {
        #expect(throws: PseudoTerminal.Failure.self) {
            _ = try PseudoTerminal(executable: "/nonexistent/program", arguments: [], environment: [:])
        }
    }
}
