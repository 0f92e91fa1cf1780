import JSONRPC

/// What `interface sync` waits for.
enum SyncEvent: Sendable {
    /// A `sync.progress` event of the interface being followed.
    case progress(JSONValue)
    /// Time passed: redraw the bar; now and then read the run in case an event was missed.
    case tick
    /// Ctrl-C: stop following (the run goes on).
    case interrupted
}

extension Shell {
    /// `interface sync ID [MODE]`: starts (or joins) a run and follows it to its end.
    func syncInterface(_ invocation: Invocation) async throws {
        let id = invocation.arguments[0]
        var params: JSONObject = ["id": .string(id)]
        if invocation.arguments.count > 1 { params.append("mode", .string(invocation.arguments[1])) }

        // Subscribed and listening before the run starts: its first events can arrive before the answer.
        do { try await ensureSubscribed("sync.progress") } catch is RPCError {}  // then polling alone
        let (events, sink) = AsyncStream.makeStream(of: SyncEvent.self, bufferingPolicy: .bufferingNewest(1000))
        syncWatchers[id] = sink
        interruptTarget = { sink.yield(.interrupted) }  // Ctrl-C from now on detaches
        defer {
            syncWatchers[id] = nil
            interruptTarget = nil
            sink.finish()
        }
        let started = try await call("interfaces.sync", params)
        guard let runId = started["runId"]?.stringValue else { throw ShellFailure("the server's answer has no runId") }
        followedRuns.insert(runId)  // its late events are not announced above the prompt

        let live = options.liveProgress && !options.json
        let clock = ContinuousClock()
        let start = clock.now
        func elapsed() -> Double { seconds(start.duration(to: clock.now)) }
        let tickInterval: Duration = live ? .milliseconds(200) : .seconds(1)
        let ticker = Task {
            while !Task.isCancelled {
                try? await Task.sleep(for: tickInterval)
                sink.yield(.tick)
            }
        }
        defer { ticker.cancel() }

        var run: JSONValue = ["runId": .string(runId), "interfaceId": .string(id), "state": started["state"] ?? "running"]
        var frame = 0
        var lastRead = start
        if !SyncProgress.isFinished(run), live { write(SyncProgress.running(run, elapsed: 0, frame: 0, style: style)) }
        for await event in events {
            switch event {
            case .progress(let update):
                guard update["runId"]?.stringValue == runId else { continue }
                run = update
            case .tick:
                frame += 1
                if lastRead.duration(to: clock.now) >= .seconds(2) {
                    lastRead = clock.now
                    do { run = try await call("syncs.get", ["runId": .string(runId)]) } catch is RPCError {}
                }
            case .interrupted:
                if live { write("\r\u{1B}[K") }
                say("detached from run \(runId); it goes on on the server (sync show \(runId))")
                throw Interrupted()
            }
            if SyncProgress.isFinished(run) { break }
            if live { write("\r\u{1B}[K" + SyncProgress.running(run, elapsed: elapsed(), frame: frame, style: style)) }
        }
        guard SyncProgress.isFinished(run) else { throw ShellFailure("stopped following run \(runId)") }  // the shell is ending
        if live { write("\r\u{1B}[K" + SyncProgress.finished(run, elapsed: elapsed(), style: style) + "\n") }
        emit(run) { SyncProgress.summary(run, style: style).joined(separator: "\n") }
        if run["state"] == "failed" { throw ShellFailure.reported }
    }
}

func seconds(_ duration: Duration) -> Double {
    Double(duration.components.seconds) + Double(duration.components.attoseconds) / 1e18
}
