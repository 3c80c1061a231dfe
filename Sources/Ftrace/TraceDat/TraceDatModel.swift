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
    /// TSC to nanoseconds: `ns = tsc * multiplier >> shift` when `multiplier` is set (trace-cmd 3.1
    /// records `tscOffset` but does not apply it when reading).
    public var tscMultiplier: UInt32 = 0
    public var tscShift: UInt32 = 0
    public var tscOffset: UInt64 = 0

    /// Guest-to-host time synchronization (TIME_SHIFT option): per CPU, samples of
    /// (time, offset, scaling, fraction bits) sorted by time.
    public var hostSync: TimeShift?

    /// No conversion: timestamps as the ring buffer stores them.
    public init() {}

    /// Converts a raw ring-buffer timestamp of `cpu` as trace-cmd does.
    @inline(__always)
    public func apply(_ raw: UInt64, cpu: Int = 0) -> UInt64 {
        var ts = raw
        if let hostSync { ts = hostSync.correct(ts, cpu: cpu) }
        if tscMultiplier != 0 {
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

/// The TIME_SHIFT option of guest traces: offsets (and scaling) measured against the host clock,
/// applied to each timestamp as trace-cmd does (interpolated between samples when the flags ask).
public struct TimeShift: Sendable, Hashable {
    public struct Sample: Sendable, Hashable {
        public var time: Int64
        public var offset: Int64
        public var scaling: Int64
        public var fraction: Int64
    }

    public var peerTraceID: UInt64
    public var flags: UInt32
    /// Samples per CPU, sorted by time, duplicates removed.
    public var samples: [[Sample]]

    static let interpolate: UInt32 = 1

    func correct(_ ts: UInt64, cpu: Int) -> UInt64 {
        guard cpu >= 0, cpu < samples.count else { return ts }
        let s = samples[cpu]
        switch s.count {
        case 0: return ts
        case 1: return ts &+ UInt64(bitPattern: s[0].offset)
        case 2: return calc(ts, s[0], s[1])
        default: break
        }
        if ts <= UInt64(bitPattern: s[0].time) { return calc(ts, s[0], s[1]) }
        if ts >= UInt64(bitPattern: s[s.count - 1].time) { return calc(ts, s[s.count - 2], s[s.count - 1]) }
        var low = 0, high = s.count - 1
        var mid = (low + high) / 2
        while low <= high {
            if ts < UInt64(bitPattern: s[mid].time) { high = mid - 1 }
            else if ts > UInt64(bitPattern: s[mid].time) { low = mid + 1 }
            else { break }
            mid = (low + high) / 2
        }
        return calc(ts, s[mid], s[min(mid + 1, s.count - 1)])
    }

    private func calc(_ ts: UInt64, _ min: Sample, _ max: Sample) -> UInt64 {
        var correction: Int64
        if flags & TimeShift.interpolate != 0 {
            let delta = max.time &- min.time
            let offset = (Int64(bitPattern: ts) &- min.time) &* (max.offset &- min.offset)
            correction = delta == 0 ? min.offset : min.offset &+ (offset &+ delta / 2) / delta
        } else {
            correction = min.offset
        }
        let scaled = (ts &* UInt64(bitPattern: min.scaling)) >> UInt64(min.fraction & 63)
        return correction < 0 ? scaled &- correction.magnitude : scaled &+ UInt64(correction)
    }
}
