#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Writes frame timings to a file for benchmarks (`RINGSIDE_FRAME_LOG=PATH`): one line per frame,
/// `first-frame REALTIME_NS` for the first screen and `key NAME WALL_US CPU_US` for each keystroke
/// from reading the key to the end of drawing.
public final class FrameLog {
    private let file: UnsafeMutablePointer<FILE>

    public init?(path: String) {
        guard let f = fopen(path, "w") else { return nil }
        file = f
    }

    deinit { fclose(file) }

    public static func realtimeNanoseconds() -> UInt64 {
        var ts = timespec()
        clock_gettime(CLOCK_REALTIME, &ts)
        return UInt64(ts.tv_sec) * 1_000_000_000 + UInt64(ts.tv_nsec)
    }

    public func firstFrame() {
        fputs("first-frame \(Self.realtimeNanoseconds())\n", file)
        fflush(file)
    }

    /// A keystroke's frame: wall time from reading the key to the end of drawing, and the CPU time
    /// the process spent on it (the rest is waiting for the terminal or for other processes).
    public func key(_ name: String, microseconds: UInt64, cpuMicroseconds: UInt64) {
        fputs("key \(name.replacingSpaces) \(microseconds) \(cpuMicroseconds)\n", file)
        fflush(file)
    }

    /// CPU time of the calling thread, in nanoseconds.
    public static func threadCPUNanoseconds() -> UInt64 {
        var ts = timespec()
        clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts)
        return UInt64(ts.tv_sec) * 1_000_000_000 + UInt64(ts.tv_nsec)
    }

    public func note(_ text: String) {
        fputs(text + "\n", file)
        fflush(file)
    }
}

extension String {
    fileprivate var replacingSpaces: String { String(map { $0 == " " ? "_" : $0 }) }
}
