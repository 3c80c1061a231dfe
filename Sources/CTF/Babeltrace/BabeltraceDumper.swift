import Foundation
import TraceKit

/// `dump --format babeltrace`: writes a set of CTF traces exactly as `babeltrace2 PATH` does with
/// its default `sink.text.pretty` options, and its discarded-events warnings on standard error.
public final class BabeltraceDumper {
    private let set: TraceSet
    private let traces: [CTFTrace]
    /// Per trace: the header words after the time (`vm `, or `host:procname:(vpid) `).
    private let traceHeaders: [[UInt8]]
    /// Per trace and event class: `name: `.
    private let eventNames: [[[UInt8]]]
    /// Per trace and stream: the packet whose context is cached, and its rendering.
    private var packetContextCache: [[(packet: Int, text: [UInt8])]]
    private var clock = BabeltraceClockWriter()
    private var lastTimestamp: Int64?
    private let slots: UnsafeMutablePointer<UInt64>
    private let slotCount: Int
    private var warnings: BabeltraceWarnings

    /// Fails when a trace of the set is not a CTF trace.
    public init(set: TraceSet) throws {
        self.set = set
        var traces: [CTFTrace] = []
        for trace in set.traces {
            guard let ctf = trace as? CTFTrace else {
                throw TraceError(file: trace.path, "--format babeltrace needs CTF traces")
            }
            traces.append(ctf)
        }
        self.traces = traces
        traceHeaders = traces.map(BabeltraceDumper.header(of:))
        eventNames = traces.map { trace in trace.metadata.eventClasses.map { Array(($0.name + ": ").utf8) } }
        packetContextCache = traces.map { [(packet: Int, text: [UInt8])](repeating: (-1, []), count: $0.dataStreams.count) }
        slotCount = max(1, traces.map(\.metadata.storageSlotCount).max() ?? 1)
        slots = .allocate(capacity: slotCount)
        slots.initialize(repeating: 0, count: slotCount)
        warnings = BabeltraceWarnings(traces: traces)
    }

    deinit {
        slots.deallocate()
    }

    /// The env-derived words babeltrace2 prints after the time: hostname, then `:procname` and
    /// `:(vpid)` for per-process traces.
    private static func header(of trace: CTFTrace) -> [UInt8] {
        var text = ""
        var printed = false
        if case .string(let host)? = trace.environmentValue("hostname") {
            text += host
            printed = true
        }
        if case .string(let procname)? = trace.environmentValue("procname") {
            text += (printed ? ":" : "") + procname
            printed = true
        }
        if case .integer(let vpid)? = trace.environmentValue("vpid") {
            text += (printed ? ":" : "") + "(\(vpid))"
            printed = true
        }
        if printed { text += " " }
        return Array(text.utf8)
    }

    /// Writes every record between `begin` and `end` (inclusive, nanoseconds from the origin)
    /// to `out`, and warnings to `errors`.
    public func dump(merger: EventMerger, to out: OutputBuffer, errors: OutputBuffer,
                     begin: Int64? = nil, end: Int64? = nil) throws {
        clock.warn = { [errors] text in
            errors.write(text)
            try? errors.flush()
        }
        defer {
            warnings.flushAll(to: errors, clock: &clock)
            try? errors.flush()
        }
        while let record = merger.current {
            if let end, record.timestamp > end { break }
            if let begin, record.timestamp < begin {
                try merger.advance()
                continue
            }
            if record.isLostEvents {
                let ctf = traces[Int(record.trace)]
                warnings.add(record, trace: ctf, traceIndex: Int(record.trace))
            } else {
                try write(record, to: out)
                try out.flushIfNeeded()
            }
            if warnings.hasPending {
                warnings.flushReady(merger: merger, traces: traces, to: errors, clock: &clock)
            }
            try merger.advance()
        }
    }

    private func write(_ record: EventRecord, to out: OutputBuffer) throws {
        let t = Int(record.trace)
        let trace = traces[t]
        guard let (start, stream, packet) = try trace.decoderAtEvent(record, slots: slots) else { return }
        var decoder = start
        let streamClass = stream.streamClass
        let mark = out.count
        do {
            if streamClass.clock != nil {
                out.write(byte: UInt8(ascii: "["))
                clock.write(record.timestamp, to: out)
                out.write("] (")
                if let last = lastTimestamp {
                    let delta = UInt64(bitPattern: record.timestamp &- last)
                    out.write(byte: UInt8(ascii: "+"))
                    out.writeDecimal(delta / 1_000_000_000)
                    out.write(byte: UInt8(ascii: "."))
                    out.writeDecimal(delta % 1_000_000_000, width: 9, pad: UInt8(ascii: "0"))
                } else {
                    out.write("+?.?????????")
                }
                out.write(") ")
                lastTimestamp = record.timestamp
            }
            traceHeaders[t].withUnsafeBytes { out.write($0) }
            let event = try CTFTrace.decodeHeader(&decoder, streamClass)
            eventNames[t][event.definition.index].withUnsafeBytes { out.write($0) }
            var first = true
            if let context = streamClass.packetContext, context.isShown {
                first = false
                let s = Int(record.stream)
                if packetContextCache[t][s].packet != record.position.unit {
                    var packetDecoder = decoder
                    packetDecoder.position = 0
                    if let header = trace.compiled.packetHeader { try packetDecoder.skip(header.skip) }
                    let textStart = out.count
                    try packetDecoder.printScope(context.visitShown, to: out)
                    packetContextCache[t][s] = (record.position.unit, Array(out.pendingBytes[textStart...]))
                } else {
                    packetContextCache[t][s].text.withUnsafeBytes { out.write($0) }
                }
            }
            if let context = streamClass.commonContext {
                if context.isShown {
                    if !first { out.write(", ") }
                    first = false
                    try decoder.printScope(context.visitShown, to: out)
                } else {
                    try decoder.skip(context.skip)
                }
            }
            if let context = event.specificContext {
                if context.isShown {
                    if !first { out.write(", ") }
                    first = false
                    try decoder.printScope(context.visitShown, to: out)
                } else {
                    try decoder.skip(context.skip)
                }
            }
            if let payload = event.payload, payload.isShown {
                if !first { out.write(", ") }
                try decoder.printScope(payload.visitShown, to: out)
            }
            out.write(byte: 0x0A)
        } catch let failure as DecodeFailure {
            out.truncate(to: mark)
            throw stream.error(failure.message, packet: packet, bit: failure.bitPosition)
        }
    }
}
