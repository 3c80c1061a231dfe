#if canImport(Glibc)
import Glibc
#endif
import Foundation

/// SIGINT, SIGTERM and SIGHUP end ringside cleanly: a dedicated thread waits for them (they are
/// blocked everywhere else), runs the registered handlers (undo tracefs changes, restore the
/// terminal), then lets the signal take its default effect so the exit status tells the truth.
///
/// Signal handlers proper cannot run this kind of code safely; a thread in `sigwait` can.
public enum TerminationSignals {
    public static let handled: [Int32] = [SIGINT, SIGTERM, SIGHUP]

    public typealias Handler = @Sendable (Int32) -> Void

    private static let state = State()

    private final class State: @unchecked Sendable {
        let lock = NSLock()
        var handlers: [(id: Int, handler: Handler)] = []
        var nextID = 0
        var installed = false
        var interceptor: (@Sendable (Int32) -> Void)?
        var received: Int32?
    }

    /// A registered handler; pass it to `remove` when its work is done.
    public struct Token: Sendable, Hashable { let id: Int }

    /// Blocks the termination signals in this thread (threads created afterwards inherit the mask)
    /// and starts the waiting thread. Call early, before other threads start. Idempotent.
    public static func install() {
        state.lock.lock()
        defer { state.lock.unlock() }
        guard !state.installed else { return }
        state.installed = true
        var set = signalSet()
        pthread_sigmask(SIG_BLOCK, &set, nil)
        let thread = Thread {
            var waitSet = signalSet()
            while true {
                var signal: Int32 = 0
                guard sigwait(&waitSet, &signal) == 0 else { continue }
                deliver(signal)
            }
        }
        thread.name = "ringside-signals"
        thread.start()
    }

    /// Registers `handler`; handlers run newest first.
    @discardableResult
    public static func add(_ handler: @escaping Handler) -> Token {
        state.lock.lock()
        defer { state.lock.unlock() }
        state.nextID += 1
        state.handlers.append((state.nextID, handler))
        return Token(id: state.nextID)
    }

    public static func remove(_ token: Token) {
        state.lock.lock()
        defer { state.lock.unlock() }
        state.handlers.removeAll { $0.id == token.id }
    }

    /// Lets the program stop by itself on the next signal: `interceptor` is called (once) instead of
    /// terminating, and `receivedSignal` remembers the signal. A second signal terminates as usual
    /// (the user insists). `ringside record` uses this to write its file before exiting.
    public static func intercept(_ interceptor: @escaping @Sendable (Int32) -> Void) {
        state.lock.lock()
        defer { state.lock.unlock() }
        state.interceptor = interceptor
    }

    /// The signal the interceptor handled, if any.
    public static var receivedSignal: Int32? {
        state.lock.lock()
        defer { state.lock.unlock() }
        return state.received
    }

    /// Runs the registered handlers and dies of `signal` with its default action (used after an
    /// intercepted signal once the program has finished its work).
    public static func finishTermination(by signal: Int32) -> Never {
        terminate(by: signal)
        exit(128 + signal)
    }

    static func deliver(_ signal: Int32) {
        state.lock.lock()
        if let interceptor = state.interceptor {
            state.interceptor = nil
            state.received = signal
            state.lock.unlock()
            interceptor(signal)
            return
        }
        state.lock.unlock()
        terminate(by: signal)
    }

    /// Runs the handlers, then dies of `signal` with its default action.
    static func terminate(by signal: Int32) {
        state.lock.lock()
        let handlers = state.handlers.reversed().map(\.handler)
        state.handlers.removeAll()
        state.lock.unlock()
        for handler in handlers { handler(signal) }
        Glibc.signal(signal, SIG_DFL)
        var set = sigset_t()
        sigemptyset(&set)
        sigaddset(&set, signal)
        pthread_sigmask(SIG_UNBLOCK, &set, nil)
        raise(signal)
        // Not reached for INT/TERM/HUP; keep the conventional status if it were.
        exit(128 + signal)
    }

    /// Runs `body` with the termination signals held back in this thread, so a change to tracefs
    /// and its journal record happen together; a signal that arrived meanwhile acts afterwards.
    public static func deferring<T>(_ body: () throws -> T) rethrows -> T {
        var set = signalSet()
        var previous = sigset_t()
        pthread_sigmask(SIG_BLOCK, &set, &previous)
        defer { pthread_sigmask(SIG_SETMASK, &previous, nil) }
        return try body()
    }

    private static func signalSet() -> sigset_t {
        var set = sigset_t()
        sigemptyset(&set)
        for signal in handled { sigaddset(&set, signal) }
        return set
    }
}
