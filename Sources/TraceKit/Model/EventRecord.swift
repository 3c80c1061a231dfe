/// Where a record starts inside its stream, enough for the reader to decode it again or resume there.
///
/// The meaning of the numbers belongs to the reader: for CTF, `unit` is the packet index, `offset` the
/// bit offset in the packet and `clock` the last raw clock value; for ftrace, `unit` is the page index,
/// `offset` the byte offset in the page and `clock` the running page timestamp.
public struct StreamPosition: Sendable, Hashable, Comparable {
    public var unit: Int
    public var offset: Int
    public var clock: UInt64

    public init(unit: Int, offset: Int, clock: UInt64) {
        self.unit = unit
        self.offset = offset
        self.clock = clock
    }

    public static func < (a: StreamPosition, b: StreamPosition) -> Bool {
        (a.unit, a.offset) < (b.unit, b.offset)
    }
}

/// What a record stands for.
public enum RecordKind: Sendable, Hashable {
    /// An ordinary event of `EventRecord.classIndex`.
    case event
    /// Events the tracer lost (CTF `events_discarded`, ftrace missed events), between `since` and the
    /// record's timestamp. `count` is nil when the format does not say how many.
    case lostEvents(count: UInt64?, since: Int64)
}

/// One record of a trace, small and copyable: fields are decoded on demand through `Trace`.
public struct EventRecord: Sendable, Hashable {
    /// Nanoseconds in the trace's time domain (see `Trace.timeDomain`).
    public var timestamp: Int64
    /// The CPU it was recorded on, or -1 when unknown.
    public var cpu: Int32
    /// Index into `Trace.eventClasses` (meaningless for lost-event records).
    public var classIndex: Int32
    /// Index into `Trace.streams`.
    public var stream: Int32
    /// Which trace of a `TraceSet` this record belongs to (set by the merge).
    public var trace: Int32
    public var kind: RecordKind
    public var position: StreamPosition

    public init(timestamp: Int64, cpu: Int32, classIndex: Int32, stream: Int32, trace: Int32 = 0,
                kind: RecordKind = .event, position: StreamPosition) {
        self.timestamp = timestamp
        self.cpu = cpu
        self.classIndex = classIndex
        self.stream = stream
        self.trace = trace
        self.kind = kind
        self.position = position
    }

    public var isLostEvents: Bool {
        if case .lostEvents = kind { return true }
        return false
    }
}
