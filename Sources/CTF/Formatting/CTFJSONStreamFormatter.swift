import TraceKit

/// JSON Lines for the records of one CTF stream: the same text as `JSONStreamFormatter`, written
/// by the plan printer (keys rendered in advance) straight from the cursor's bytes, contexts and
/// payload decoded once.
public final class CTFJSONStreamFormatter: StreamRecordFormatter {
    private let generic: JSONStreamFormatter
    /// `"NAME"` of each event class, then `,"trace":"NAME"` when several traces are merged.
    // Used by one thread at a time, record after record: no exclusivity bookkeeping.
    @exclusivity(unchecked) private var names: ByteBuffer
    @exclusivity(unchecked) private var nameRanges: [Range<Int>] = []
    @exclusivity(unchecked) private var traceKey: Range<Int>
    @exclusivity(unchecked) private var cursor: Unmanaged<CTFEventStream>?
    /// The stream event context's plan.
    @exclusivity(unchecked) private var commonContext: PlanView?
    /// Keeps the cursor alive (`cursor` is read without reference counting).
    private var cursorObject: CTFEventStream?
    @exclusivity(unchecked) private var context = ByteBuffer(capacity: 1 << 10)
    @exclusivity(unchecked) private var closed = false

    /// A formatter for a stream of `set.traces[trace]` (a `CTFTrace`).
    public init(set: TraceSet, trace index: Int) {
        generic = JSONStreamFormatter(set: set, trace: index)
        let trace = set.traces[index]
        names = ByteBuffer(capacity: 64 * (trace.eventClasses.count + 1))
        for eventClass in trace.eventClasses {
            let start = names.count
            JSONText.writeString(eventClass.name, to: &names)
            nameRanges.append(start..<names.count)
        }
        let start = names.count
        if set.traces.count > 1 {
            names.append(",\"trace\":")
            JSONText.writeString(trace.name, to: &names)
        }
        traceKey = start..<names.count
    }

    deinit { close() }

    public func attach(_ cursor: EventStream) {
        generic.attach(cursor)
        cursorObject = cursor as? CTFEventStream
        self.cursor = cursorObject.map { Unmanaged.passUnretained($0) }
        commonContext = cursorObject?.stream.streamClass.commonContext?.json.view
    }

    public func close() {
        guard !closed else { return }
        closed = true
        generic.close()
        names.deallocate()
        context.deallocate()
    }

    public func format(_ record: EventRecord, into out: inout ByteBuffer) throws {
        guard case .event = record.kind, let cursor, !closed,
              nameRanges.indices.contains(Int(record.classIndex)) else {
            try generic.format(record, into: &out)
            return
        }
        try cursor._withUnsafeGuaranteedRef { try format(record, cursor: $0, into: &out) }
    }

    @inline(__always)
    private func format(_ record: EventRecord, cursor: CTFEventStream, into out: inout ByteBuffer) throws {
        guard let (start, body) = cursor.beginEventBody() else {
            throw TraceError(file: cursor.stream.name, "internal: event body already decoded")
        }
        let (specificContext, payload) = body._withUnsafeGuaranteedRef { ($0.specificContextJSON, $0.payloadJSON) }
        let mark = out.count
        out.append("{\"time\":")
        out.appendDecimal(record.timestamp)
        out.append(",\"cpu\":")
        out.appendDecimal(Int64(record.cpu))
        out.append(",\"event\":")
        out.append(UnsafeRawBufferPointer(rebasing: names.bytes[nameRanges[Int(record.classIndex)]]))
        out.append(UnsafeRawBufferPointer(rebasing: names.bytes[traceKey]))
        var decoder = start
        var task = TaskCapture()
        do {
            context.removeAll()
            try withUnsafeMutablePointer(to: &task) { capture in
                decoder.task = capture
                defer { decoder.task = nil }
                var first = true
                if let plan = commonContext {
                    try decoder.printJSONMembers(plan, to: &context, first: &first)
                }
                if let plan = specificContext {
                    try decoder.printJSONMembers(plan, to: &context, first: &first)
                }
            }
            if let pid = task.pid {
                out.append(",\"pid\":")
                out.appendDecimal(pid)
                out.append(",\"comm\":")
                TaskNameText.withWellFormed(task.comm ?? UnsafeRawBufferPointer(start: nil, count: 0)) {
                    JSONText.writeString($0, to: &out)
                }
            }
            out.append(",\"fields\":{")
            if let plan = payload {
                var first = true
                try decoder.printJSONMembers(plan, to: &out, first: &first)
            }
        } catch let failure as DecodeFailure {
            out.truncate(to: mark)
            throw cursor.failEventBody(failure)
        }
        out.append("},\"context\":{")
        out.append(context.bytes)
        out.append("}}\n")
        do {
            try cursor.endEventBody(decoder)
        } catch {
            out.truncate(to: mark)
            throw error
        }
    }
}
