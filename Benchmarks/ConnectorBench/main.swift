import ConnectorSimulators
import Foundation
import Logging
import SwitchboardCore
import SwitchboardServer

// Contacts from a SaaS CRM into the phonebook (issue 6): N persons from the
// Pipedrive simulator on loopback (500 a page, its documented maximum) through
// a real Pipedrive interface, then a delta run after `changed` persons were
// edited on Pipedrive's side. Release build:
//   swift run -c release connector-bench [persons, default 200000] [changed, default 100] [requests per second, default 0 = unlimited]
// The simulator lives in test support; this benchmark is not part of the product.

let arguments = CommandLine.arguments.dropFirst().compactMap { Int($0) }
let persons = arguments.first ?? 200_000
let changed = arguments.dropFirst().first ?? 100
let rate = arguments.dropFirst(2).first ?? 0

func seconds(_ d: Duration) -> Double { Double(d.components.seconds) + Double(d.components.attoseconds) / 1e18 }
func maxRSSMegabytes() -> Int {
    var usage = rusage()
    getrusage(__rusage_who_t(RUSAGE_SELF.rawValue), &usage)
    return Int(usage.ru_maxrss / 1024)
}

let pipedrive = try await PipedriveSimulator.start()
let clock = ContinuousClock()
var start = clock.now
// Seeded over a few minutes of simulated time (as a real CRM's persons were edited at different
// times), so a delta's inclusive `since` re-reads one second's persons, not all of them.
pipedrive.clock.advance(by: -600)
var ids: [Int] = []
let batch = 2_000
for first in stride(from: 0, to: persons, by: batch) {
    guard let range = pipedrive.seed(count: min(batch, persons - first)) else { fatalError("seeding failed") }
    ids += range
    pipedrive.clock.advance(by: 1)
}
print(String(format: "seeded %d persons in the simulator in %.1f s (%d cores, %@)", persons, seconds(clock.now - start),
             ProcessInfo.processInfo.activeProcessorCount, Date().formatted(.iso8601)))

let directory = NSTemporaryDirectory() + "connector-bench-\(getpid())"
defer { try? FileManager.default.removeItem(atPath: directory) }
var configuration = ServerConfiguration()
configuration.dataDirectory = directory
var logger = Logger(label: "bench")
logger.logLevel = .warning
let app = try await Application.open(configuration, logger: logger)
let accountId = try await app.accounts.list(PageRequest(limit: 1)).items[0].id
let interface = try await app.interfaces.order(accountId: accountId, system: "pipedrive", name: "bench", actor: "bench")
var settings = ["url": pipedrive.baseURL]
if rate > 0 { settings["requestsPerSecond"] = String(rate) } else { settings["requestsPerSecond"] = "100000" }
_ = try await app.interfaces.configure(accountId: accountId, id: interface.id, .init(settings: settings), actor: "bench")
_ = try await app.interfaces.setCredentials(accountId: accountId, id: interface.id, ["apiToken": pipedrive.apiToken], actor: "bench")

func run(_ label: String, mode: SyncRun.Mode) async throws {
    let before = pipedrive.requests.count
    let start = clock.now
    _ = try await app.syncs.start(accountId: accountId, interfaceId: interface.id, mode: mode, actor: "bench")
    guard let run = await app.syncs.wait(interfaceId: interface.id) else { fatalError("the run did not start") }
    let elapsed = seconds(clock.now - start)
    let c = run.counts
    print(String(format: "%@: %@ in %.2f s (%.0f contacts/s), %d requests; seen %d created %d updated %d unchanged %d deleted %d%@; peak RSS %d MiB",
                 label, run.state.rawValue, elapsed, Double(c.seen) / max(elapsed, 0.001), pipedrive.requests.count - before, c.seen, c.created,
                 c.updated, c.unchanged, c.deleted, run.failure.map { " — " + $0 } ?? "", maxRSSMegabytes()))
}

try await run("first import of \(persons)", mode: .incremental)
pipedrive.clock.advance(by: 60)
for id in ids.prefix(changed) { _ = pipedrive.update(id) { $0.name += " (moved)" } }
try await run("delta after \(changed) edited on Pipedrive", mode: .incremental)
start = clock.now
let hits = try await app.phonebook.search(accountId: accountId, query: "moved", limit: 1_000).count
print(String(format: "searchable: \"moved\" → %d hits in %.1f ms", hits, seconds(clock.now - start) * 1_000))
if rate == 0 {
    print("(unlimited rate; at Pipedrive's published burst limits of 20–120 requests per 2 s the first import's \(persons / 500) pages alone take \(persons / 500 / 60)–\(persons / 500 / 10) s)")
}
await app.close()
try await pipedrive.shutdown()
