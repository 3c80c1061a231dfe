import Foundation
import TraceKit

/// babeltrace2's warnings about discarded events and packets, in babeltrace2's order.
///
/// babeltrace2 orders a discarded-events message by the beginning of its time range (the end of
/// the previous packet), while ringside reports lost events after the packet's events (at the
/// range's end) so streams stay in time order. Warnings are therefore held until no stream can
/// still report one with an earlier beginning, then written sorted.
struct BabeltraceWarnings {
    private struct Pending {
        var begin: Int64
        var end: Int64
        var traceIndex: Int
        var streamClassID: UInt64
        var streamID: UInt64
        var isPackets: Bool
        var count: UInt64?
        var hasTimes: Bool
        var streamName: String
    }

    private var pending: [Pending] = []
    private let traceNames: [String]
    private let traceUUIDs: [[UInt8]?]
    private let streamNames: [[String]]

    init(traces: [CTFTrace]) {
        traceNames = traces.map(\.babeltraceName)
        traceUUIDs = traces.map(\.uuid)
        streamNames = traces.map { trace in trace.dataStreams.map { BabeltraceWarnings.absolutePath($0.name) } }
    }

    var hasPending: Bool { !pending.isEmpty }

    mutating func add(_ record: EventRecord, trace: CTFTrace, traceIndex: Int) {
        guard case .lostEvents(let count, let since) = record.kind else { return }
        let stream = trace.dataStreams[Int(record.stream)]
        let isPackets = record.position.offset == CTFEventStream.lostPacketsOffset
        let streamClass = stream.streamClass.streamClass
        pending.append(Pending(begin: since, end: record.timestamp, traceIndex: traceIndex,
                               streamClassID: streamClass.id, streamID: stream.babeltraceID, isPackets: isPackets,
                               count: count,
                               hasTimes: isPackets ? streamClass.discardedPacketsHaveTimes : streamClass.discardedEventsHaveTimes,
                               streamName: streamNames[traceIndex][Int(record.stream)]))
    }

    /// babeltrace2's muxer order for messages of equal time: trace UUID, trace name, stream class,
    /// stream, then discarded events before discarded packets.
    private func precedes(_ a: Pending, _ b: Pending) -> Bool {
        if a.begin != b.begin { return a.begin < b.begin }
        let ua = traceUUIDs[a.traceIndex], ub = traceUUIDs[b.traceIndex]
        if let ua, let ub, ua != ub { return ua.lexicographicallyPrecedes(ub) }
        if (ua == nil) != (ub == nil) { return ua != nil }
        let na = traceNames[a.traceIndex], nb = traceNames[b.traceIndex]
        if na != nb { return Array(na.utf8).lexicographicallyPrecedes(Array(nb.utf8)) }
        if a.streamClassID != b.streamClassID { return a.streamClassID < b.streamClassID }
        if a.streamID != b.streamID { return a.streamID < b.streamID }
        if a.isPackets != b.isPackets { return !a.isPackets }
        if a.end != b.end { return a.end < b.end }
        return (a.count ?? 0) < (b.count ?? 0)
    }

    /// Writes the warnings no stream can precede any more.
    mutating func flushReady(merger: EventMerger, traces: [CTFTrace], to errors: OutputBuffer,
                             clock: inout BabeltraceClockWriter) {
        var bound = Int64.max
        for source in merger.sources {
            guard let cursor = source.stream as? CTFEventStream, let current = cursor.current else { continue }
            if case .lostEvents(_, let since) = current.kind { bound = min(bound, since) }
            bound = min(bound, cursor.earliestFutureLossBeginning)
        }
        pending.sort(by: precedes)
        var written = 0
        while written < pending.count && pending[written].begin < bound {
            write(pending[written], to: errors, clock: &clock)
            written += 1
        }
        if written > 0 {
            pending.removeFirst(written)
            try? errors.flush()
        }
    }

    mutating func flushAll(to errors: OutputBuffer, clock: inout BabeltraceClockWriter) {
        pending.sort(by: precedes)
        for warning in pending { write(warning, to: errors, clock: &clock) }
        pending.removeAll()
    }

    private func write(_ w: Pending, to out: OutputBuffer, clock: inout BabeltraceClockWriter) {
        out.write(w.count == nil ? "WARNING: Tracer may have discarded " : "WARNING: Tracer discarded ")
        let kind = w.isPackets ? "packet" : "event"
        if let count = w.count {
            out.writeDecimal(count)
            out.write(" " + kind + (count == 1 ? "" : "s"))
        } else {
            out.write(kind + "s")
        }
        out.write(byte: UInt8(ascii: " "))
        if w.hasTimes {
            out.write("between [")
            clock.write(w.begin, to: out)
            out.write("] and [")
            clock.write(w.end, to: out)
            out.write("]")
        } else {
            out.write("(unknown time range)")
        }
        out.write(" in trace \"" + traceNames[w.traceIndex] + "\" ")
        if let uuid = traceUUIDs[w.traceIndex] {
            out.write("(UUID: " + UUIDText.format(uuid) + ") ")
        } else {
            out.write("(no UUID) ")
        }
        out.write("within stream \"" + w.streamName + "\" (stream class ID: ")
        out.writeDecimal(w.streamClassID)
        out.write(", stream ID: ")
        out.writeDecimal(w.streamID)
        out.write(").\n")
    }

    /// An absolute path without `.`/`..` components, like babeltrace2's normalized paths.
    static func absolutePath(_ path: String) -> String {
        var full = path
        if !full.hasPrefix("/") {
            full = FileManager.default.currentDirectoryPath + "/" + full
        }
        var parts: [Substring] = []
        for part in full.split(separator: "/", omittingEmptySubsequences: true) {
            if part == "." { continue }
            if part == ".." {
                if !parts.isEmpty { parts.removeLast() }
                continue
            }
            parts.append(part)
        }
        return "/" + parts.joined(separator: "/")
    }
}

extension CTFEventStream {
    /// No lost-events record this cursor can still report begins before this time: they all
    /// start at or after the end of the packet before the current one.
    var earliestFutureLossBeginning: Int64 {
        let packets = stream.packets
        guard packetIndex < packets.count else { return Int64.max }
        if packetIndex > 0, let end = packets[packetIndex - 1].endNanoseconds { return end }
        return packets[packetIndex].beginNanoseconds ?? Int64.min
    }
}
