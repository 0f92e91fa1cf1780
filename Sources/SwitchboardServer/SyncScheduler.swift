import Foundation
import ServiceLifecycle

/// Runs the sync engine's scheduled work every `schedulerIntervalSeconds`:
/// provisioning of ordered interfaces, due syncs, removal of the data of
/// cancelled interfaces whose `dataUntil` has passed.
public struct SyncScheduler: Service {
    let app: Application

    public init(app: Application) {
        self.app = app
    }

    public func run() async throws {
        let interval = Duration.seconds(app.configuration.sync.schedulerIntervalSeconds)
        do {
            try await cancelWhenGracefulShutdown {
                while true {
                    do {
                        try await app.syncs.tick(now: Date())
                    } catch {
                        app.logger.error("scheduler pass failed", metadata: ["error": "\(error)"])
                    }
                    try await Task.sleep(for: interval)
                }
            }
        } catch is CancellationError {
            return
        }
    }
}
