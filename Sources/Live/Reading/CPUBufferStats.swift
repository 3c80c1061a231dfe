/// The kernel's counters for one CPU's ring buffer (`per_cpu/cpuN/stats`).
public struct CPUBufferStats: Sendable, Equatable {
    /// Events in the buffer not yet read.
    public var entries: UInt64 = 0
    /// Events overwritten before anyone read them (buffer in overwrite mode).
    public var overrun: UInt64 = 0
    /// Events lost because a writer interrupted a writer and the page filled up.
    public var commitOverrun: UInt64 = 0
    public var bytes: UInt64 = 0
    /// Events dropped because the buffer was full and not in overwrite mode.
    public var dropped: UInt64 = 0
    /// Events handed to readers.
    public var read: UInt64 = 0

    public init() {}

    /// Every event the kernel lost on this CPU, whatever the reason.
    public var lost: UInt64 { overrun &+ commitOverrun &+ dropped }

    /// Parses the `key: value` lines; unknown keys are ignored, missing ones stay 0.
    public init(parsing text: String) throws {
        for line in text.split(separator: "\n") {
            guard let colon = line.firstIndex(of: ":") else { continue }
            let key = line[..<colon].trimmingPrefix(" ")
            let valueText = String(line[line.index(after: colon)...]).trimmingWhitespace()
            guard let value = UInt64(valueText) else { continue }
            switch key {
            case "entries": entries = value
            case "overrun": overrun = value
            case "commit overrun": commitOverrun = value
            case "bytes": bytes = value
            case "dropped events": dropped = value
            case "read events": read = value
            default: break
            }
        }
    }
}
