import NIOCore

/// Runs tasks on one NIO event loop: a poll task that prefers it runs where its response arrives (the
/// continuation after the answer is queued on the loop that read it, which is already awake), and default
/// actors it calls run there too. Whatever runs there must not block: the loop also carries the I/O.
final class EventLoopTaskExecutor: TaskExecutor, @unchecked Sendable {
    let loop: any EventLoop

    init(loop: any EventLoop) {
        self.loop = loop
    }

    func enqueue(_ job: consuming ExecutorJob) {
        let job = UnownedJob(job)
        loop.execute { job.runSynchronously(on: self.asUnownedTaskExecutor()) }
    }
}
