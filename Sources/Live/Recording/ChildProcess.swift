#if canImport(Glibc)
import Glibc
#endif
import Foundation

/// A command run while recording: spawned with the default signal mask and dispositions (ringside
/// blocks the termination signals in its own threads), waited for on a background thread.
public final class ChildProcess: @unchecked Sendable {
    public let pid: pid_t
    private let lock = NSLock()
    private var status: Int32?
    private let exited = DispatchSemaphore(value: 0)

    /// Starts `arguments[0]` (searched in PATH) with the rest as its arguments.
    public init(arguments: [String]) throws {
        guard let program = arguments.first, !program.isEmpty else { throw LiveError("no command to run") }
        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        var empty = sigset_t()
        sigemptyset(&empty)
        var defaults = sigset_t()
        sigemptyset(&defaults)
        for signal in [SIGINT, SIGTERM, SIGHUP, SIGPIPE, SIGQUIT] { sigaddset(&defaults, signal) }
        posix_spawnattr_setsigmask(&attributes, &empty)
        posix_spawnattr_setsigdefault(&attributes, &defaults)
        posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF))
        var cArguments: [UnsafeMutablePointer<CChar>?] = arguments.map { strdup($0) }
        cArguments.append(nil)
        defer { cArguments.forEach { free($0) } }
        var child: pid_t = 0
        let result = posix_spawnp(&child, program, nil, &attributes, cArguments, environ)
        guard result == 0 else {
            throw LiveError("cannot run \(program): \(String(cString: strerror(result)))")
        }
        pid = child
        let spawned = child
        let thread = Thread { [self] in
            var raw: Int32 = 0
            while waitpid(spawned, &raw, 0) < 0 && errno == EINTR {}
            lock.lock()
            status = raw
            lock.unlock()
            exited.signal()
        }
        thread.name = "ringside-child-wait"
        thread.start()
    }

    /// Waits until the command ends or `timeout` passes; true when it ended.
    public func wait(timeout: DispatchTime = .distantFuture) -> Bool {
        if exited.wait(timeout: timeout) == .success {
            exited.signal()
            return true
        }
        return false
    }

    /// The command's exit code (128+N when killed by signal N), nil while it runs.
    public var exitCode: Int32? {
        lock.lock()
        defer { lock.unlock() }
        guard let status else { return nil }
        let signal = status & 0x7f
        return signal == 0 ? (status >> 8) & 0xff : 128 + signal
    }
}
