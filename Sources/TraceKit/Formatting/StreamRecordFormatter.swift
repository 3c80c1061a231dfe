/// Formats the records of one stream, on whichever thread works on that stream (one at a time).
///
/// A formatter is made for one stream of one trace of a set; it is given that stream's cursor once,
/// then asked to format the cursor's current record, record after record.
public protocol StreamRecordFormatter: AnyObject {
    /// The cursor the records come from (called once, before any `format`).
    func attach(_ cursor: EventStream)
    /// Appends the text of `record`, the attached cursor's current record, to `out`. On failure
    /// nothing of the record is left in `out`.
    func format(_ record: EventRecord, into out: inout ByteBuffer) throws
    /// Frees what the formatter holds (called once, when the stream is done).
    func close()
}

/// JSON Lines (see `JSONLinesFormatter`) for the records of one stream, decoded once per record
/// by the cursor itself when it can (`RecordDecodingStream`), through the trace otherwise.
public final class JSONStreamFormatter: StreamRecordFormatter {
    private let trace: Trace
    private let names: PrerenderedNames
    /// `,"trace":"NAME"` when several traces are merged, else empty.
    private let traceKey: [UInt8]
    // Used by one thread at a time, record after record: no exclusivity bookkeeping.
    @exclusivity(unchecked) private var cursor: EventStream?
    @exclusivity(unchecked) private var decoding: RecordDecodingStream?
    @exclusivity(unchecked) private var aside: ByteBuffer?

    /// A formatter for a stream of `set.traces[trace]`.
    public init(set: TraceSet, trace index: Int) {
        trace = set.traces[index]
        names = PrerenderedNames(trace.eventClasses.map(\.name)) { name, out in JSONText.writeString(name, to: &out) }
        var key = ByteBuffer(capacity: 64)
        if set.traces.count > 1 {
            key.append(",\"trace\":")
            JSONText.writeString(trace.name, to: &key)
        }
        traceKey = Array(key.bytes)
        key.deallocate()
    }

    deinit { close() }

    public func attach(_ cursor: EventStream) {
        self.cursor = cursor
        decoding = cursor as? RecordDecodingStream
    }

    public func close() {
        aside?.deallocate()
        aside = nil
        names.deallocate()
    }

    public func format(_ record: EventRecord, into out: inout ByteBuffer) throws {
        var writer = JSONRecordWriter(line: out)
        writer.aside = aside
        defer {
            out = writer.line
            aside = writer.aside
        }
        if case .lostEvents(let count, let since) = record.kind {
            writer.writeLostEvents(timestamp: record.timestamp, cpu: record.cpu, count: count, since: since)
            return
        }
        let mark = writer.line.count
        writer.beginRecord(timestamp: record.timestamp, cpu: record.cpu)
        if let name = names[record.classIndex] {
            writer.line.append(name)
        } else {
            JSONText.writeString("(unknown event \(record.classIndex))", to: &writer.line)
        }
        traceKey.withUnsafeBytes { writer.line.append($0) }
        do {
            if let decoding {
                try decoding.decodeCurrent(into: &writer)
            } else {
                if let task = trace.task(of: record) {
                    var comm = task.comm
                    comm.withUTF8 { writer.visitTask(pid: task.pid, comm: UnsafeRawBufferPointer($0)) }
                }
                if let attributes = trace as? RecordAttributes {
                    writer.beginPart(.attributes)
                    try attributes.decodeRecordAttributes(of: record, into: &writer)
                }
                writer.beginPart(.payload)
                try trace.decodeFields(of: record, scope: .payload, into: &writer)
                writer.beginPart(.context)
                try trace.decodeFields(of: record, scope: .context, into: &writer)
            }
        } catch {
            writer.abandonRecord(at: mark)
            throw error
        }
        writer.endRecord()
    }
}

/// The text format (see `TextFormatter`) for the records of one stream, decoded once per record by
/// the cursor itself when it can (`RecordDecodingStream`), through the trace otherwise.
public final class TextStreamFormatter: StreamRecordFormatter {
    private let trace: Trace
    private let domain: TimeDomain
    private let names: PrerenderedNames
    // Used by one thread at a time, record after record: no exclusivity bookkeeping.
    @exclusivity(unchecked) private var cursor: EventStream?
    @exclusivity(unchecked) private var decoding: RecordDecodingStream?
    @exclusivity(unchecked) private var aside: ByteBuffer?

    /// A formatter for a stream of `set.traces[trace]`.
    public init(set: TraceSet, trace index: Int) {
        trace = set.traces[index]
        domain = set.timeDomain
        names = PrerenderedNames(trace.eventClasses.map(\.qualifiedName)) { name, out in out.append(name) }
    }

    deinit { close() }

    public func attach(_ cursor: EventStream) {
        self.cursor = cursor
        decoding = cursor as? RecordDecodingStream
    }

    public func close() {
        aside?.deallocate()
        aside = nil
        names.deallocate()
    }

    public func format(_ record: EventRecord, into out: inout ByteBuffer) throws {
        var writer = TextRecordWriter(line: out)
        writer.aside = aside
        defer {
            out = writer.line
            aside = writer.aside
        }
        if case .lostEvents(let count, let since) = record.kind {
            writer.writeLostEvents(timestamp: record.timestamp, cpu: record.cpu, count: count, since: since, domain: domain)
            return
        }
        let mark = writer.line.count
        do {
            if let name = names[record.classIndex] {
                try body(record, name: name, &writer)
            } else {
                var name = "(unknown event \(record.classIndex))"
                try name.withUTF8 { try body(record, name: UnsafeRawBufferPointer($0), &writer) }
            }
        } catch {
            writer.abandonRecord(at: mark)
            throw error
        }
    }

    private func body(_ record: EventRecord, name: UnsafeRawBufferPointer, _ writer: inout TextRecordWriter) throws {
        writer.beginRecord(timestamp: record.timestamp, cpu: record.cpu, domain: domain, name: name)
        if let decoding {
            try decoding.decodeCurrent(into: &writer)
        } else {
            if let task = trace.task(of: record) {
                var comm = task.comm
                comm.withUTF8 { writer.visitTask(pid: task.pid, comm: UnsafeRawBufferPointer($0)) }
            }
            writer.beginPart(.payload)
            try trace.decodeFields(of: record, scope: .payload, into: &writer)
            writer.beginPart(.context)
            try trace.decodeFields(of: record, scope: .context, into: &writer)
        }
        writer.endRecord()
    }
}

/// Event class names rendered once (escaped, quoted...) into one block of memory.
final class PrerenderedNames {
    private var storage: ByteBuffer
    private var ranges: [Range<Int>] = []
    private var freed = false

    init(_ names: [String], render: (String, inout ByteBuffer) -> Void) {
        storage = ByteBuffer(capacity: 64 * max(1, names.count))
        for name in names {
            let start = storage.count
            render(name, &storage)
            ranges.append(start..<storage.count)
        }
    }

    func deallocate() {
        if !freed { storage.deallocate() }
        freed = true
    }

    deinit { deallocate() }

    /// The rendered name of class `index`, or nil for an index out of range.
    subscript(index: Int32) -> UnsafeRawBufferPointer? {
        let i = Int(index)
        guard !freed, i >= 0 && i < ranges.count else { return nil }
        return UnsafeRawBufferPointer(rebasing: storage.bytes[ranges[i]])
    }
}
