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
    /// The trace clock when the file was read (`now ts`), in nanoseconds for clocks that count
    /// nanoseconds (the file shows microseconds).
    public var now: Int64?

    public init() {}

    /// Every event the kernel lost on this CPU, whatever the reason.
    public var lost: UInt64 { overrun &+ commitOverrun &+ dropped }

    /// Parses the `key: value` lines; unknown keys are ignored, missing ones stay 0.
    public init(parsing text: String) throws {
        for line in text.split(separator: "\n") {
            guard let colon = line.firstIndex(of: ":") else { continue }
            let key = line[..<colon].trimmingPrefix(" ")
            let valueText = String(line[line.index(after: colon)...]).trimmingWhitespace()
            if key == "now ts" {
                now = Self.parseSeconds(valueText)
                continue
            }
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

    /// `1384.848335` (seconds with a fraction) as nanoseconds; a bare count as is.
    static func parseSeconds(_ text: String) -> Int64? {
        let parts = text.split(separator: ".", maxSplits: 1)
        guard let whole = Int64(parts.first ?? "") else { return nil }
        guard parts.count == 2 else { return whole }
        var fraction = String(parts[1].prefix(9))
        guard fraction.allSatisfy(\.isNumber) else { return nil }
        fraction += String(repeating: "0", count: 9 - fraction.count)
        return whole * 1_000_000_000 + (Int64(fraction) ?? 0)
    }
}
