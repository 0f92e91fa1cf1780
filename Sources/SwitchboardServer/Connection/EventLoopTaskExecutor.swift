import NIOCore

/// Runs a connection's task on its channel's event loop thread.
///
/// Without a preference, each line would hop from the event loop to Swift's
/// global pool and each answer back again: two thread switches per request.
/// With the connection task preferring its own event loop (SE-0417 task
/// executor preference), reading, dispatch and writing stay on one thread;
/// only real waits (the database's own queues) leave it. Handlers must not
/// block, which they never do: blocking work runs in GRDB's pool or detached.
final class EventLoopTaskExecutor: TaskExecutor {
    let loop: any EventLoop

    init(_ loop: any EventLoop) {
        self.loop = loop
    }

    func enqueue(_ job: consuming ExecutorJob) {
        let job = UnownedJob(job)
        loop.execute {
            job.runSynchronously(on: self.asUnownedTaskExecutor())
        }
    }
}
