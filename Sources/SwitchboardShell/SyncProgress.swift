import JSONRPC

/// The progress bar and summary of `interface sync`, as pure functions of the
/// run (as `sync.progress` and `syncs.get` give it) and the time elapsed.
///
/// A run reports what it has done (counts) but not how much there is to do,
/// so while it runs the bar is indeterminate (a block moving to and fro, with
/// the counts and the rate); it fills to 100% when the run has ended.
public enum SyncProgress {
    static let barWidth = 24

    /// One line while the run goes on, at most `columns` wide.
    public static func running(_ run: JSONValue, elapsed: Double, frame: Int, style: Style, columns: Int = 80) -> String {
        let block = 4, span = barWidth - block
        let phase = frame % (2 * span)
        let position = phase < span ? phase : 2 * span - phase
        let bar = String(repeating: " ", count: position) + String(repeating: "=", count: block) + String(repeating: " ", count: span - position)
        let seen = run["counts"]?["seen"]?.intValue ?? 0
        var parts = ["seen \(seen)"]
        for key in ["created", "updated", "unchanged", "deleted", "rejected"] {
            if let n = run["counts"]?[key]?.intValue, n > 0 { parts.append("\(key) \(n)") }
        }
        parts += [rate(seen, elapsed), Render.duration(elapsed)]
        let tail = truncated(parts.joined(separator: " · "), to: columns - barWidth - 4)
        return "[\(style.paint(bar, .cyan))] " + tail
    }

    /// The last state of the bar: full at 100% when the run succeeded.
    public static func finished(_ run: JSONValue, elapsed: Double, style: Style) -> String {
        let seen = run["counts"]?["seen"]?.intValue ?? 0
        if run["state"] == "succeeded" {
            return "[\(style.paint(String(repeating: "=", count: barWidth), .green))] 100%  succeeded in \(Render.duration(elapsed)) · \(rate(seen, elapsed))"
        }
        return "[\(style.paint(String(repeating: "!", count: barWidth), .red))] \(style.state(cellText(run["state"]))) after \(Render.duration(elapsed))"
    }

    /// What a run did: `run syn_… succeeded: seen 3, created 3, …`, then up to 10 rejected rows and the warnings.
    public static func summary(_ run: JSONValue, style: Style) -> [String] {
        let state = cellText(run["state"])
        var head = "run \(cellText(run["runId"])) \(style.state(state)): "
        head += state == "failed" ? cellText(run["failure"]) : Render.counts(run["counts"])
        if run["sourceUnchanged"] == true { head += " (source unchanged since the last run: nothing read)" }
        return [head] + Render.rowProblems(run, limit: 10)
    }

    public static func isFinished(_ run: JSONValue) -> Bool {
        run["state"] == "succeeded" || run["state"] == "failed"
    }

    static func rate(_ rows: Int64, _ elapsed: Double) -> String {
        "\(Int((Double(rows) / max(elapsed, 0.001)).rounded())) rows/s"
    }

    static func truncated(_ text: String, to columns: Int) -> String {
        guard displayWidth(text) > columns, columns > 1 else { return text }
        var result = ""
        for character in text {
            if displayWidth(result) + characterWidth(character) > columns - 1 { break }
            result.append(character)
        }
        return result + "…"
    }
}
