#if canImport(Glibc)
import Glibc
#endif

/// A process by pid and start time, so a recycled pid is not mistaken for the journal's owner.
public struct ProcessIdentity: Codable, Hashable, Sendable {
    public var pid: Int32
    /// Clock ticks since boot when the process started (`/proc/PID/stat` field 22).
    public var startTicks: UInt64

    public init(pid: Int32, startTicks: UInt64) {
        self.pid = pid
        self.startTicks = startTicks
    }

    /// This process.
    public static var current: ProcessIdentity {
        let pid = getpid()
        return ProcessIdentity(pid: pid, startTicks: startTicks(of: pid) ?? 0)
    }

    /// Whether this very process is still running.
    public var isRunning: Bool {
        guard let ticks = ProcessIdentity.startTicks(of: pid) else { return false }
        return ticks == startTicks
    }

    /// The start time of `pid`, nil when there is no such process.
    static func startTicks(of pid: Int32) -> UInt64? {
        guard let text = try? ControlFile.read("/proc/\(pid)/stat") else { return nil }
        // The command name (field 2) is in parentheses and may hold spaces: count after the last ')'.
        guard let close = text.lastIndex(of: ")") else { return nil }
        let fields = text[text.index(after: close)...].split(separator: " ")
        // After ')' the fields start at 3 (state); field 22 is index 19.
        guard fields.count > 19 else { return nil }
        return UInt64(fields[19])
    }
}
