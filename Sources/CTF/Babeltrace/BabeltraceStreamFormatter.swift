import Foundation
import TraceKit

/// One record of a formatted chunk: its time, its text (everything after babeltrace2's time and
/// delta columns), or the lost-events record it stands for.
struct FormattedEntry {
    var timestamp: Int64
    /// Byte range of the event's text in the chunk (events only).
    var textStart: Int32
    var textLength: Int32
    var classIndex: Int32
    /// 0: event, 1: discarded events, 2: discarded packets, 3: event a filter hides (its time
    /// still counts for the next event's delta).
    var kind: UInt8
    /// Lost-events count (`UInt64.max` when unknown) and range start.
    var lostCount: UInt64
    var since: Int64
    /// No lost-events record of this stream that comes after this entry begins before this time.
    var lossFloor: Int64
}

/// A batch of consecutive records of one stream, formatted by a worker thread.
final class FormattedChunk {
    @exclusivity(unchecked)
    var text = TextBuffer(capacity: 1 << 16)
    @exclusivity(unchecked)
    var entries: [FormattedEntry] = []
    /// Set when the stream ended after these records; `error` when it ended on damage.
    @exclusivity(unchecked)
    var isLast = false
    /// Set when the part of the stream being formatted ended after these records (the stream
    /// goes on in the next part).
    @exclusivity(unchecked)
    var endsPart = false
    @exclusivity(unchecked)
    var error: Error?

    deinit { text.deallocate() }

    func reset() {
        text.removeAll()
        entries.removeAll(keepingCapacity: true)
        isLast = false
        endsPart = false
        error = nil
    }
}

/// Formats the records of one part of a stream (a range of its packets) into chunks, babeltrace2's
/// way: each event's text starts with the trace's header words and ends with the newline; the
/// time columns are added when merging. Used by one thread at a time.
final class BabeltraceStreamFormatter {
    let traceIndex: Int
    let streamIndex: Int
    unowned let trace: CTFTrace
    let cursor: CTFEventStream
    private let streamClass: CompiledStreamClass
    /// The scopes' plain tables, read on every event without reference counting.
    private let packetHeaderSkip: PlanView?
    private let packetContext: ScopeViews?
    private let commonContext: ScopeViews?
    /// The header words and the `name: ` texts of the event classes, shared by the stream's parts.
    private let texts: BabeltraceStreamTexts
    @exclusivity(unchecked) private var cachedPacket = -1
    @exclusivity(unchecked) private var cachedPacketContext = TextBuffer(capacity: 256)
    /// Recent stream event contexts and their text.
    @exclusivity(unchecked) private var commonContextCache = ScopeTextCache()
    private let end: Int64
    let chunkBytes: Int
    /// `--filter`: events it rejects are not printed.
    var filter: ((EventRecord) -> Bool)?

    /// A formatter of the stream's packets from `firstPacket` (or, with `begin`, from the first
    /// record at or after it) up to `endPacket` (exclusive; `Int.max`: to the end of the stream).
    init(trace: CTFTrace, traceIndex: Int, streamIndex: Int, texts: BabeltraceStreamTexts,
         firstPacket: Int, endPacket: Int, begin: Int64?, end: Int64?, chunkBytes: Int) throws {
        self.trace = trace
        self.traceIndex = traceIndex
        self.streamIndex = streamIndex
        self.texts = texts
        self.end = end ?? .max
        self.chunkBytes = chunkBytes
        cursor = CTFEventStream(trace: trace, streamIndex: streamIndex)
        streamClass = cursor.stream.streamClass
        packetHeaderSkip = trace.compiled.packetHeaderViews?.skip
        packetContext = cursor.stream.streamClass.packetContextViews
        commonContext = cursor.stream.streamClass.commonContextViews
        cursor.endPacket = endPacket
        if let begin {
            try cursor.seek(toTimestamp: begin)
        } else {
            cursor.start(atPacket: firstPacket)
            try cursor.advance()
        }
    }

    deinit {
        cachedPacketContext.deallocate()
        commonContextCache.deallocate()
    }

    /// `cursor.earliestFutureLossBeginning`, which changes only with the packet (the stream's
    /// packets are fixed once indexed).
    @exclusivity(unchecked) private var lossFloorPacket = -1
    @exclusivity(unchecked) private var lossFloorValue = Int64.min

    @inline(__always)
    private func lossFloor() -> Int64 {
        let packet = cursor.packetIndex
        if packet != lossFloorPacket {
            lossFloorPacket = packet
            lossFloorValue = cursor.earliestFutureLossBeginning
        }
        return lossFloorValue
    }

    /// Formats records into `chunk` until it holds about `chunkBytes` of text.
    func fill(_ chunk: FormattedChunk) {
        chunk.reset()
        do {
            while chunk.text.count < chunkBytes && chunk.entries.count < 1 << 15 {
                guard let record = cursor.current else {
                    if cursor.packetIndex >= cursor.endPacket {
                        chunk.endsPart = true
                    } else {
                        chunk.isLast = true
                    }
                    return
                }
                switch record.kind {
                case .event:
                    guard record.timestamp <= end else {
                        // babeltrace2 reports a packet's discarded events before its events, so
                        // the current packet's report is due if its range begins in time.
                        if let lost = cursor.lostEventsRecord(packetIndex: record.position.unit),
                           case .lostEvents(let count, let since) = lost.kind, since <= end {
                            chunk.entries.append(FormattedEntry(timestamp: lost.timestamp, textStart: 0, textLength: 0,
                                                                classIndex: -1, kind: 1, lostCount: count ?? .max,
                                                                since: since, lossFloor: since))
                        }
                        chunk.isLast = true
                        return
                    }
                    if let filter {
                        var tagged = record
                        tagged.trace = Int32(traceIndex)
                        if !filter(tagged) {
                            chunk.entries.append(FormattedEntry(timestamp: record.timestamp, textStart: 0, textLength: 0,
                                                                classIndex: record.classIndex, kind: 3, lostCount: 0,
                                                                since: 0, lossFloor: lossFloor()))
                            try cursor.advance()
                            continue
                        }
                    }
                    let start = chunk.text.count
                    try format(record, into: &chunk.text)
                    chunk.entries.append(FormattedEntry(timestamp: record.timestamp, textStart: Int32(start),
                                                        textLength: Int32(chunk.text.count - start),
                                                        classIndex: record.classIndex, kind: 0, lostCount: 0, since: 0,
                                                        lossFloor: lossFloor()))
                case .lostEvents(var count, let since):
                    // babeltrace2 places these reports at the beginning of their time range (the
                    // range itself is cut to --begin/--end when the warning is written).
                    guard since <= end else {
                        chunk.isLast = true
                        return
                    }
                    let packets = record.position.offset == CTFEventStream.lostPacketsOffset
                    if packets {
                        // babeltrace2 counts the packets missing between two sequence numbers.
                        count = cursor.lostPacketCount(packetIndex: record.position.unit)
                    }
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
    @inline(__always)
    private func format(_ record: EventRecord, into out: inout TextBuffer) throws {
        out.append(texts.header)
        out.append(texts.eventName(Int(record.classIndex)))
        guard let (start, body) = cursor.beginEventBody() else {
            throw TraceError(file: cursor.stream.name, "internal: event body already decoded")
        }
        let (specificContext, payload) = body._withUnsafeGuaranteedRef { ($0.specificContextViews, $0.payloadViews) }
        var decoder = start
        do {
            var first = true
            if let context = packetContext, context.isShown {
                first = false
                if cachedPacket != record.position.unit {
                    var packetDecoder = decoder
                    packetDecoder.position = 0
                    if let header = packetHeaderSkip { try packetDecoder.skip(header) }
                    let textStart = out.count
                    try packetDecoder.printScope(context.shown, to: &out)
                    cachedPacketContext.removeAll()
                    cachedPacketContext.append(UnsafeRawBufferPointer(rebasing: out.bytes[textStart...]))
                    cachedPacket = record.position.unit
                } else {
                    out.append(cachedPacketContext.bytes)
                }
            }
            if let context = commonContext {
                if context.isShown {
                    if !first { out.append(", ") }
                    first = false
                    try commonContextCache.print(context, decoder: &decoder, to: &out)
                } else {
                    try decoder.skip(context.skip)
                }
            }
            if let context = specificContext {
                if context.isShown {
                    if !first { out.append(", ") }
                    first = false
                    try decoder.printScope(context.shown, to: &out)
                } else {
                    try decoder.skip(context.skip)
                }
            }
            if let payload {
                if payload.isShown {
                    if !first { out.append(", ") }
                    try decoder.printScope(payload.shown, to: &out)
                } else {
                    try decoder.skip(payload.skip)
                }
            }
        } catch let failure as DecodeFailure {
            throw cursor.failEventBody(failure)
        }
        try cursor.endEventBody(decoder)
        out.append(0x0A)
    }
}

/// The texts every event of a trace's streams starts with: the header words and the `name: ` of
/// each event class, in plain buffers (read on every event without reference counting).
final class BabeltraceStreamTexts {
    private let headerBytes: UnsafeMutableBufferPointer<UInt8>
    private let eventNameBytes: UnsafeMutableBufferPointer<UInt8>
    private let eventNameRanges: [Range<Int>]

    init(header: [UInt8], eventNames: [[UInt8]]) {
        let headerStorage = UnsafeMutableBufferPointer<UInt8>.allocate(capacity: max(1, header.count))
        _ = headerStorage.initialize(from: header)
        headerBytes = UnsafeMutableBufferPointer(rebasing: headerStorage[0..<header.count])
        let allNames = eventNames.flatMap { $0 }
        let nameStorage = UnsafeMutableBufferPointer<UInt8>.allocate(capacity: max(1, allNames.count))
        _ = nameStorage.initialize(from: allNames)
        eventNameBytes = UnsafeMutableBufferPointer(rebasing: nameStorage[0..<allNames.count])
        var ranges: [Range<Int>] = []
        var offset = 0
        for name in eventNames {
            ranges.append(offset..<offset + name.count)
            offset += name.count
        }
        eventNameRanges = ranges
    }

    deinit {
        headerBytes.baseAddress?.deallocate()
        eventNameBytes.baseAddress?.deallocate()
    }

    var header: UnsafeRawBufferPointer { UnsafeRawBufferPointer(headerBytes) }

    @inline(__always)
    func eventName(_ classIndex: Int) -> UnsafeRawBufferPointer {
        UnsafeRawBufferPointer(rebasing: UnsafeRawBufferPointer(eventNameBytes)[eventNameRanges[classIndex]])
    }
}
