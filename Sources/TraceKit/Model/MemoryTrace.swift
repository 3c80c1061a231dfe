/// A trace held entirely in memory: built by tests, by synthetic sources and by the live path's
/// bounded window. Every stream keeps its records in time order.
public final class MemoryTrace: Trace {
    /// A record with its decoded fields.
    public struct Entry: Sendable {
        public var record: EventRecord
        public var payload: [Field]
        public var context: [Field]
        public var task: TaskRef?

        public init(record: EventRecord, payload: [Field] = [], context: [Field] = [], task: TaskRef? = nil) {
            self.record = record
            self.payload = payload
            self.context = context
            self.task = task
        }
    }

    public let name: String
    public let path: String
    public let timeDomain: TimeDomain
    public private(set) var eventClasses: [EventClass] = []
    public private(set) var streams: [StreamInfo] = []
    public var environment: [(String, String)] = []
    private var entries: [[Entry]] = []

    public init(name: String, path: String = "", timeDomain: TimeDomain = .monotonic) {
        self.name = name
        self.path = path
        self.timeDomain = timeDomain
    }

    public var cpuCount: Int {
        Int((streams.map(\.cpu).max() ?? -1) + 1)
    }

    /// Adds a stream and returns its index.
    @discardableResult
    public func addStream(_ info: StreamInfo) -> Int {
        streams.append(info)
        entries.append([])
        return streams.count - 1
    }

    /// The class named `name`, created on first use.
    public func classIndex(named name: String, system: String? = nil, payloadFieldNames: [String] = []) -> Int32 {
        if let found = eventClasses.firstIndex(where: { $0.name == name && $0.system == system }) {
            return Int32(found)
        }
        eventClasses.append(EventClass(index: eventClasses.count, name: name, system: system,
                                       numericID: Int64(eventClasses.count),
                                       payloadFieldNames: payloadFieldNames))
        return Int32(eventClasses.count - 1)
    }

    /// Appends an event to `stream` (timestamps must not decrease within a stream).
    public func append(stream: Int, timestamp: Int64, classIndex: Int32, payload: [Field] = [],
                       context: [Field] = [], task: TaskRef? = nil, kind: RecordKind = .event) {
        let position = StreamPosition(unit: 0, offset: entries[stream].count, clock: UInt64(bitPattern: timestamp))
        let record = EventRecord(timestamp: timestamp, cpu: streams[stream].cpu, classIndex: classIndex,
                                 stream: Int32(stream), kind: kind, position: position)
        entries[stream].append(Entry(record: record, payload: payload, context: context, task: task))
    }

    /// Drops the oldest records of `stream`, keeping the last `keep`; returns how many were dropped.
    @discardableResult
    public func dropOldest(stream: Int, keeping keep: Int) -> Int {
        let excess = entries[stream].count - keep
        guard excess > 0 else { return 0 }
        entries[stream].removeFirst(excess)
        for i in entries[stream].indices { entries[stream][i].record.position.offset = i }
        return excess
    }

    /// Number of records in `stream`.
    public func recordCount(stream: Int) -> Int { entries[stream].count }

    public func openStream(_ index: Int) throws -> EventStream {
        MemoryStream(trace: self, stream: index)
    }

    fileprivate func entry(stream: Int, at i: Int) -> Entry? {
        entries[stream].indices.contains(i) ? entries[stream][i] : nil
    }

    fileprivate func firstIndex(stream: Int, atOrAfter timestamp: Int64) -> Int {
        var low = 0, high = entries[stream].count
        while low < high {
            let mid = (low + high) / 2
            if entries[stream][mid].record.timestamp < timestamp { low = mid + 1 } else { high = mid }
        }
        return low
    }

    public func decodeFields<V: FieldVisitor>(of record: EventRecord, scope: FieldScope, into visitor: inout V) throws {
        guard let entry = entry(stream: Int(record.stream), at: record.position.offset) else { return }
        switch scope {
        case .payload: FieldReplay.replay(entry.payload, into: &visitor)
        case .context: FieldReplay.replay(entry.context, into: &visitor)
        case .packetContext: break
        }
    }

    public func task(of record: EventRecord) -> TaskRef? {
        entry(stream: Int(record.stream), at: record.position.offset)?.task
    }
}

private final class MemoryStream: EventStream {
    let trace: MemoryTrace
    let stream: Int
    var index = 0

    init(trace: MemoryTrace, stream: Int) {
        self.trace = trace
        self.stream = stream
    }

    var current: EventRecord? { trace.entry(stream: stream, at: index)?.record }

    func advance() throws { index += 1 }

    func seek(to position: StreamPosition) throws { index = position.offset }

    func seek(toTimestamp timestamp: Int64) throws {
        index = trace.firstIndex(stream: stream, atOrAfter: timestamp)
    }
}

/// Feeds an already decoded field tree to a visitor.
public enum FieldReplay {
    public static func replay<V: FieldVisitor>(_ fields: [Field], into visitor: inout V) {
        for field in fields { replay(field.name, field.value, into: &visitor) }
    }

    public static func replay<V: FieldVisitor>(_ name: String, _ value: FieldValue, into visitor: inout V) {
        switch value {
        case .integer(let v, let base): visitor.visitInteger(name, v, base: base)
        case .float(let v): visitor.visitFloat(name, v)
        case .string(let s):
            var s = s
            s.withUTF8 { visitor.visitString(name, UnsafeRawBufferPointer($0)) }
        case .array(let elements):
            visitor.beginArray(name, count: elements.count, isText: false)
            for element in elements { replay("", element, into: &visitor) }
            visitor.endArray()
        case .structure(let fields):
            visitor.beginStructure(name)
            replay(fields, into: &visitor)
            visitor.endStructure()
        case .enumeration(let v, let labels): visitor.visitEnumeration(name, v, labels: labels)
        case .variant(let option, let inner):
            visitor.beginVariant(name, option: option)
            replay(option, inner, into: &visitor)
            visitor.endVariant()
        }
    }
}
