import Glibc

/// Runs a closure on a thread of its own (a POSIX thread, not a Dispatch worker).
///
/// Long jobs that block on each other (an indexing thread waiting for its reading workers) must not
/// share Dispatch's pool: on Linux it runs about as many blocks at once as there are cores, so one
/// long block leaves the others queued and a core idle.
public final class WorkerThread {
    private var thread = pthread_t()
    private let body: () -> Void
    private var joined = false

    /// Starts `body` on a new thread (call `join()` before the end of the program); when no thread
    /// can be made, `body` runs on the calling thread before this returns.
    public init(_ body: @escaping () -> Void) {
        self.body = body
        guard Self.start(self) else {
            body()
            joined = true
            return
        }
    }

    /// Starts `body` on a new thread that nobody joins (its resources go when it ends). Returns
    /// false, without running `body`, when no thread can be made.
    /// - Parameter background: run it at a lower priority (nice 10) than the process's other
    ///   threads, so work in the background never slows the screen or the keys down (when
    ///   nothing else runs it still has every core).
    @discardableResult
    public static func detach(background: Bool = false, _ body: @escaping () -> Void) -> Bool {
        let worker = WorkerThread(detached: background ? {
            // On Linux the nice value belongs to each thread, and 0 names the calling one.
            _ = setpriority(__priority_which_t(PRIO_PROCESS.rawValue), 0, 10)
            body()
        } : body)
        guard Self.start(worker) else { return false }
        pthread_detach(worker.thread)
        return true
    }

    private init(detached body: @escaping () -> Void) {
        self.body = body
        joined = true
    }

    /// Creates the thread; false when none could be made.
    private static func start(_ worker: WorkerThread) -> Bool {
        let context = Unmanaged.passRetained(worker).toOpaque()
        let status = pthread_create(&worker.thread, nil, { raw in
            guard let raw else { return nil }
            Unmanaged<WorkerThread>.fromOpaque(raw).takeRetainedValue().body()
            return nil
        }, context)
        if status != 0 { Unmanaged<WorkerThread>.fromOpaque(context).release() }
        return status == 0
    }

    /// Waits for the thread to end.
    public func join() {
        guard !joined else { return }
        joined = true
        pthread_join(thread, nil)
    }
}
