/// The time base of a trace's timestamps.
public enum TimeDomain: Sendable, Hashable {
    /// Nanoseconds since the Unix epoch (CTF clocks with an absolute origin).
    case unixEpoch
    /// Nanoseconds since an arbitrary origin, usually boot (ftrace `local`/`global`/`mono` clocks).
    case monotonic
}

/// What the trace says about one of its streams (a CTF stream file, an ftrace per-CPU buffer).
public struct StreamInfo: Sendable, Hashable {
    /// A short name for messages (`ch0_1`, `cpu1`).
    public var name: String
    /// The CPU the stream belongs to, or -1 when it is not per-CPU.
    public var cpu: Int32
    /// The file the stream is read from, for error messages.
    public var file: String

    public init(name: String, cpu: Int32, file: String) {
        self.name = name
        self.cpu = cpu
        self.file = file
    }
}

/// Which part of an event a field belongs to.
public enum FieldScope: Sendable, Hashable, CaseIterable {
    /// The event's own fields (CTF payload; ftrace fields except `common_*`).
    case payload
    /// Per-event context: CTF stream event context and event context (`vpid`, `procname`, ...);
    /// ftrace `common_*` fields.
    case context
    /// Per-packet context (CTF packet context; ftrace: none).
    case packetContext
}

/// The task an event ran in, as far as the trace tells.
public struct TaskRef: Sendable, Hashable {
    public var pid: Int64
    public var comm: String

    public init(pid: Int64, comm: String) {
        self.pid = pid
        self.comm = comm
    }
}

/// A cursor over one stream's records in time order.
public protocol EventStream: AnyObject {
    /// The record under the cursor, or nil once the stream is exhausted.
    var current: EventRecord? { get }
    /// Moves to the next record. After a thrown error, `current` is nil; records before it stay valid.
    func advance() throws
    /// Places the cursor on the record at `position` (a position from a record of this stream).
    func seek(to position: StreamPosition) throws
    /// Places the cursor on the first record whose timestamp is at least `timestamp`.
    func seek(toTimestamp timestamp: Int64) throws
}

/// An opened trace: its classes and streams, and on-demand field decoding.
public protocol Trace: AnyObject {
    /// A name for display (trace directory or file name).
    var name: String { get }
    /// Where the trace was opened from.
    var path: String { get }
    var timeDomain: TimeDomain { get }
    var eventClasses: [EventClass] { get }
    var streams: [StreamInfo] { get }
    /// Number of CPUs the trace covers.
    var cpuCount: Int { get }
    /// Key/value facts about the trace (CTF `env`, trace.dat options), for the details pane.
    var environment: [(String, String)] { get }

    /// Opens a cursor on stream `index`, placed on its first record.
    func openStream(_ index: Int) throws -> EventStream

    /// Decodes the fields of `record` in `scope` into `visitor`.
    func decodeFields<V: FieldVisitor>(of record: EventRecord, scope: FieldScope, into visitor: inout V) throws

    /// The task that `record` ran in, when the trace records it.
    func task(of record: EventRecord) -> TaskRef?
}

extension Trace {
    /// The fields of `record` in `scope`, as a tree.
    public func fields(of record: EventRecord, scope: FieldScope = .payload) throws -> [Field] {
        var builder = FieldTreeBuilder()
        try decodeFields(of: record, scope: scope, into: &builder)
        return builder.fields
    }

    /// The class of `record`.
    public func eventClass(of record: EventRecord) -> EventClass? {
        let i = Int(record.classIndex)
        return eventClasses.indices.contains(i) ? eventClasses[i] : nil
    }
}

/// A trace whose streams can be read in parts, each on its own thread, exactly as reading the
/// stream through would read them (same records, positions and lost-events records).
public protocol PartitionedStreams: Trace {
    /// The parts of stream `index`, in order (at least one; the last ends at `Int.max`). May
    /// read the whole stream's index of packets or pages.
    func partRanges(ofStream index: Int) -> [PartRange]
    /// A cursor on the first record of part `range` of stream `index` (from `partRanges`); it
    /// has no current record once past the part.
    func openStream(_ index: Int, part range: PartRange) throws -> EventStream
}
