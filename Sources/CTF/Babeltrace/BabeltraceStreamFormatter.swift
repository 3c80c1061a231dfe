import Dispatch
import TraceKit

/// One record of a formatted chunk: its time, its text (everything after babeltrace2's time and
/// delta columns), or the lost-events record it stands for.
struct FormattedEntry {
    var timestamp: Int64
    /// Byte range of the event's text in the chunk (events only).
    var textStart: Int32
    var textLength: Int32
    var classIndex: Int32
    /// 0: event, 1: discarded events, 2: discarded packets.
    var kind: UInt8
    /// Lost-events count (`UInt64.max` when unknown) and range start.
    var lostCount: UInt64
    var since: Int64
    /// No lost-events record of this stream that comes after this entry begins before this time.
    var lossFloor: Int64
}

/// A batch of consecutive records of one stream, formatted by a worker thread.
final class FormattedChunk {
    var text = TextBuffer(capacity: 1 << 16)
    var entries: [FormattedEntry] = []
    /// Set when the stream ended after these records; `error` when it ended on damage.
    var isLast = false
    var error: Error?

    deinit { text.deallocate() }

    func reset() {
        text.removeAll()
        entries.removeAll(keepingCapacity: true)
        isLast = false
        error = nil
    }
}

/// Formats the records of one stream into chunks, babeltrace2's way: each event's text starts with
/// the trace's header words and ends with the newline; the time columns are added when merging.
final class BabeltraceStreamFormatter {
    let traceIndex: Int
    let streamIndex: Int
    unowned let trace: CTFTrace
    let cursor: CTFEventStream
    private let streamClass: CompiledStreamClass
    private let header: [UInt8]
    private let eventNames: [[UInt8]]
    private var cachedPacket = -1
    private var cachedPacketContext: [UInt8] = []
    private let end: Int64
    /// Chunk being consumed by the merge and chunk being filled by a worker.
    private(set) var current: FormattedChunk
    private var spare: FormattedChunk
    private let spareReady = DispatchSemaphore(value: 0)
    private var spareRequested = false
    private(set) var finished = false
    /// Index of the next entry of `current` to merge.
    var position = 0
    let chunkBytes: Int
    /// Whether the stream's events have times (babeltrace2 prints no time columns otherwise).
    var hasClock: Bool { streamClass.clock != nil }

    init(trace: CTFTrace, traceIndex: Int, streamIndex: Int, header: [UInt8], eventNames: [[UInt8]],
         begin: Int64?, end: Int64?, chunkBytes: Int) throws {
        self.trace = trace
        self.traceIndex = traceIndex
        self.streamIndex = streamIndex
        self.header = header
        self.eventNames = eventNames
        self.end = end ?? .max
        self.chunkBytes = chunkBytes
        cursor = CTFEventStream(trace: trace, streamIndex: streamIndex)
        streamClass = cursor.stream.streamClass
        current = FormattedChunk()
        spare = FormattedChunk()
        if let begin {
            try cursor.seek(toTimestamp: begin)
        } else {
            try cursor.advance()
        }
    }

    /// Starts filling the spare chunk on a worker thread.
    func requestNext(on queue: DispatchQueue?) {
        guard !spareRequested, !finished else { return }
        spareRequested = true
        let chunk = spare
        if let queue {
            queue.async {
                self.fill(chunk)
                self.spareReady.signal()
            }
        } else {
            fill(chunk)
            spareReady.signal()
        }
    }

    /// Makes the spare chunk current (waiting for its worker) and returns false when the stream
    /// has nothing more.
    func advanceChunk(on queue: DispatchQueue?) -> Bool {
        if current.isLast || finished {
            finished = true
            return false
        }
        requestNext(on: queue)
        spareReady.wait()
        spareRequested = false
        swap(&current, &spare)
        position = 0
        if current.isLast { finished = true }
        return true
    }

    /// Whether `current` still has entries to merge.
    var hasEntry: Bool { position < current.entries.count }

    /// Formats records into `chunk` until it holds about `chunkBytes` of text.
    private func fill(_ chunk: FormattedChunk) {
        chunk.reset()
        do {
            while chunk.text.count < chunkBytes && chunk.entries.count < 1 << 15 {
                guard let record = cursor.current, record.timestamp <= end else {
                    chunk.isLast = true
                    return
                }
                switch record.kind {
                case .event:
                    let start = chunk.text.count
                    try format(record, into: &chunk.text)
                    chunk.entries.append(FormattedEntry(timestamp: record.timestamp, textStart: Int32(start),
                                                        textLength: Int32(chunk.text.count - start),
                                                        classIndex: record.classIndex, kind: 0, lostCount: 0, since: 0,
                                                        lossFloor: cursor.earliestFutureLossBeginning))
                case .lostEvents(let count, let since):
                    let packets = record.position.offset == CTFEventStream.lostPacketsOffset
                    chunk.entries.append(FormattedEntry(timestamp: record.timestamp, textStart: 0, textLength: 0,
                                                        classIndex: -1, kind: packets ? 2 : 1,
                                                        lostCount: count ?? .max, since: since,
                                                        lossFloor: min(since, cursor.earliestFutureLossBeginning)))
                }
                try cursor.advance()
            }
        } catch {
            chunk.error = error
            chunk.isLast = true
        }
    }

    /// The text of an event after the time columns: header words, name, scopes, newline.
    private func format(_ record: EventRecord, into out: inout TextBuffer) throws {
        header.withUnsafeBytes { out.append($0) }
        eventNames[Int(record.classIndex)].withUnsafeBytes { out.append($0) }
        let packetUnit = record.position.unit
        let taken = try cursor.takeEventBody { decoder, event, _ in
            var first = true
            if let context = streamClass.packetContext, context.isShown {
                first = false
                if cachedPacket != packetUnit {
                    var packetDecoder = decoder
                    packetDecoder.position = 0
                    if let header = trace.compiled.packetHeader { try packetDecoder.skip(header.skip) }
                    let textStart = out.count
                    try packetDecoder.printScope(context.visitShown, to: &out)
                    cachedPacketContext = Array(out.bytes[textStart...])
                    cachedPacket = packetUnit
                } else {
                    cachedPacketContext.withUnsafeBytes { out.append($0) }
                }
            }
            if let context = streamClass.commonContext {
                if context.isShown {
                    if !first { out.append(", ") }
                    first = false
                    try decoder.printScope(context.visitShown, to: &out)
                } else {
                    try decoder.skip(context.skip)
                }
            }
            if let context = event.specificContext {
                if context.isShown {
                    if !first { out.append(", ") }
                    first = false
                    try decoder.printScope(context.visitShown, to: &out)
                } else {
                    try decoder.skip(context.skip)
                }
            }
            if let payload = event.payload {
                if payload.isShown {
                    if !first { out.append(", ") }
                    try decoder.printScope(payload.visitShown, to: &out)
                } else {
                    try decoder.skip(payload.skip)
                }
            }
        }
        guard taken else { throw TraceError(file: cursor.stream.name, "internal: event body already decoded") }
        out.append(0x0A)
    }
}
