/// Where one CPU's ring-buffer pages are stored in a trace.dat file.
public struct TraceDatCPUData: Sendable, Hashable {
    /// The CPU number the data was recorded on.
    public var cpu: Int
    /// Offset of the data in the file.
    public var offset: UInt64
    /// Bytes of data in the file (compressed size for compressed v7 files).
    public var size: UInt64
}

/// One ring buffer recorded in the file: the top-level buffer (empty name) or an instance.
public struct TraceDatBuffer: Sendable, Hashable {
    /// The instance name; empty for the top-level buffer.
    public var name: String
    /// The trace clock the buffer used (v7), when recorded.
    public var clock: String?
    /// A latency-tracer text buffer rather than ring-buffer pages.
    public var isLatency: Bool
    /// Per-CPU data, in file order.
    public var cpus: [TraceDatCPUData]
    /// Offset of the buffer's flyrecord data (v7 section header / v6 "flyrecord" marker).
    public var offset: UInt64
}

/// Option ids of the trace.dat format.
enum TraceDatOption: UInt16 {
    case done = 0, date = 1, cpuStat = 2, buffer = 3, traceClock = 4, uname = 5, hook = 6, offset = 7
    case cpuCount = 8, version = 9, procMaps = 10, traceID = 11, timeShift = 12, guest = 13, tsc2nsec = 14
    case strings = 15
    case headerInfo = 16, ftraceEvents = 17, eventFormats = 18, kallsyms = 19, printk = 20, cmdlines = 21
    case bufferText = 22
}

/// Clock conversion options of a trace.dat file.
public struct TraceDatClockConversion: Sendable, Hashable {
    /// Nanoseconds added to every timestamp (DATE and OFFSET options).
    public var offset: Int64 = 0
    /// TSC to nanoseconds: `ns = (tsc - tscOffset) * multiplier >> shift` when `multiplier` is set.
    public var tscMultiplier: UInt32 = 0
    public var tscShift: UInt32 = 0
    public var tscOffset: UInt64 = 0

    /// Converts a raw ring-buffer timestamp as trace-cmd does.
    @inline(__always)
    public func apply(_ raw: UInt64) -> UInt64 {
        var ts = raw
        if tscMultiplier != 0 {
            ts = ts &- tscOffset
            ts = TraceDatClockConversion.mulShift(ts, UInt64(tscMultiplier), tscShift)
        }
        return ts &+ UInt64(bitPattern: offset)
    }

    /// `mul_u64_u32_shr`.
    static func mulShift(_ a: UInt64, _ mul: UInt64, _ shift: UInt32) -> UInt64 {
        let al = a & 0xFFFF_FFFF
        let ah = a >> 32
        var r = (al &* mul) >> UInt64(shift & 63)
        if ah != 0 { r &+= (ah &* mul) << UInt64((32 &- shift) & 63) }
        return r
    }
}
