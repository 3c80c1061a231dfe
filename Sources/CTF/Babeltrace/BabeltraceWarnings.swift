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
    /// --begin/--end: ranges reaching past them are cut and lose their count, as babeltrace2's
    /// seek and trimmer do (after ordering, which uses the whole ranges).
    var lowerBound = Int64.min
    var upperBound = Int64.max
    private let traceNames: [String]
    private let traceUUIDs: [[UInt8]?]
    private let streamNames: [[String]]

    init(traces: [CTFTrace]) {
        traceNames = traces.map(\.babeltraceName)
        traceUUIDs = traces.map(\.uuid)
        streamNames = traces.map { trace in trace.dataStreams.map { BabeltraceWarnings.absolutePath($0.name) } }
    }

    var hasPending: Bool { !pending.isEmpty }

    mutating func add(_ entry: FormattedEntry, trace: CTFTrace, traceIndex: Int, stream: Int) {
        let data = trace.dataStreams[stream]
        let isPackets = entry.kind == 2
        let streamClass = data.streamClass.streamClass
        pending.append(Pending(begin: entry.since, end: entry.timestamp, traceIndex: traceIndex,
                               streamClassID: streamClass.id, streamID: data.babeltraceID, isPackets: isPackets,
                               count: entry.lostCount == .max ? nil : entry.lostCount,
                               hasTimes: isPackets ? streamClass.discardedPacketsHaveTimes : streamClass.discardedEventsHaveTimes,
                               streamName: streamNames[traceIndex][stream]))
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

    /// Writes the warnings that begin before `bound` (no stream can report an earlier one).
    mutating func flushReady(bound: Int64, to errors: OutputBuffer, clock: inout BabeltraceClockWriter) {
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

    private func write(_ w: Pending, to errors: OutputBuffer, clock: inout BabeltraceClockWriter) {
        var out = TextBuffer(capacity: 512)
        defer { out.deallocate() }
        var w = w
        if w.begin < lowerBound {
            w.begin = lowerBound
            w.count = nil
        }
        if w.end > upperBound {
            w.end = upperBound
            w.count = nil
        }
        out.append(w.count == nil ? "WARNING: Tracer may have discarded " : "WARNING: Tracer discarded ")
        let kind = w.isPackets ? "packet" : "event"
        if let count = w.count {
            out.appendDecimal(count)
            out.appendString(" " + kind + (count == 1 ? "" : "s"))
        } else {
            out.appendString(kind + "s")
        }
        out.append(UInt8(ascii: " "))
        if w.hasTimes {
            out.append("between [")
            clock.write(w.begin, to: &out)
            out.append("] and [")
            clock.write(w.end, to: &out)
            out.append("]")
        } else {
            out.append("(unknown time range)")
        }
        out.appendString(" in trace \"" + traceNames[w.traceIndex] + "\" ")
        if let uuid = traceUUIDs[w.traceIndex] {
            out.appendString("(UUID: " + UUIDText.format(uuid) + ") ")
        } else {
            out.append("(no UUID) ")
        }
        out.appendString("within stream \"" + w.streamName + "\" (stream class ID: ")
        out.appendDecimal(w.streamClassID)
        out.append(", stream ID: ")
        out.appendDecimal(w.streamID)
        out.append(").\n")
        errors.write(out.bytes)
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
