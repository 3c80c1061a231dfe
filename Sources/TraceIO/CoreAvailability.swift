#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Whether another core is free right now, for pipelines that pay only when their threads run at
/// the same time (on a busy machine their hand-offs cost more than they save).
public enum CoreAvailability {
    /// True when, besides this process, fewer tasks are runnable than there are cores. The
    /// runnable count right now (`/proc/loadavg`'s fourth field, this process included) is sampled a
    /// few times a millisecond apart (a task that runs for an instant is not load); where it is
    /// unknown, the one-minute load average decides.
    public static var hasIdleCore: Bool {
        let cores = Int(sysconf(Int32(_SC_NPROCESSORS_ONLN)))
        guard cores >= 2 else { return false }
        var fewest: Int?
        for sample in 0..<3 {
            if sample > 0 { usleep(1000) }
            guard let running = runnableTasks() else { break }
            fewest = min(fewest ?? running, running)
            if running - 1 < cores - 1 { break }
        }
        if let running = fewest { return running - 1 < cores - 1 }
        var load = [0.0]
        guard getloadavg(&load, 1) == 1 else { return false }
        return load[0] < Double(cores) - 1
    }

    /// The number of runnable tasks of the system (`R/T` in `/proc/loadavg`), nil when unknown.
    static func runnableTasks() -> Int? {
        let fd = open("/proc/loadavg", O_RDONLY)
        guard fd >= 0 else { return nil }
        defer { close(fd) }
        var buffer = [UInt8](repeating: 0, count: 128)
        let n = buffer.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
        guard n > 0 else { return nil }
        // "0.52 0.58 0.59 2/467 12345": the number before the slash.
        let fields = buffer[0..<n].split(separator: UInt8(ascii: " "))
        guard fields.count >= 4, let slash = fields[3].firstIndex(of: UInt8(ascii: "/")) else { return nil }
        return Int(String(decoding: fields[3][..<slash], as: UTF8.self))
    }
}
