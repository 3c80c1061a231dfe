import Dispatch
import Foundation
import TraceKit

/// Counts of what a full decode of a trace met: events per class, lost events, and every field
/// value by kind. Collecting them decodes every field of every event, which makes it the
/// "decode everything" benchmark as well as a summary of a trace.
public struct DecodeStatistics: FieldVisitor, Sendable {
    public var events: UInt64 = 0
    public var lostEventRecords: UInt64 = 0
    /// Events the tracer reported lost (records with an unknown count are not included).
    public var lostEvents: UInt64 = 0
    public var firstTimestamp: Int64?
    public var lastTimestamp: Int64?
    /// Events per event class name.
    public var eventsByClass: [String: UInt64] = [:]
    public var integers: UInt64 = 0
    public var floats: UInt64 = 0
    public var strings: UInt64 = 0
    public var stringBytes: UInt64 = 0
    public var enumerations: UInt64 = 0
    public var structures: UInt64 = 0
    public var arrays: UInt64 = 0
    public var variants: UInt64 = 0
    /// A checksum of all integer values, so no decoding can be optimized away.
    public var integerSum: UInt64 = 0

    public init() {}

    public var fields: UInt64 { integers + floats + strings + enumerations + structures + arrays + variants }

    public mutating func visitInteger(_ name: String, _ value: IntegerValue, base: IntegerBase) {
        integers &+= 1
        integerSum &+= UInt64(bitPattern: value.int64)
    }

    public mutating func visitFloat(_ name: String, _ value: Double) { floats &+= 1 }

    public mutating func visitString(_ name: String, _ bytes: UnsafeRawBufferPointer) {
        strings &+= 1
        stringBytes &+= UInt64(bytes.count)
    }

    public mutating func visitEnumeration(_ name: String, _ value: IntegerValue, labels: [String]) {
        enumerations &+= 1
        integerSum &+= UInt64(bitPattern: value.int64) &+ UInt64(labels.count)
    }

    public mutating func beginStructure(_ name: String) { structures &+= 1 }
    public mutating func endStructure() {}
    public mutating func beginArray(_ name: String, count: Int, isText: Bool) { arrays &+= 1 }
    public mutating func endArray() {}
    public mutating func beginVariant(_ name: String, option: String) { variants &+= 1 }
    public mutating func endVariant() {}

    /// Counts a record (not its fields).
    public mutating func count(_ record: EventRecord, name: @autoclosure () -> String) {
        if case .lostEvents(let count, _) = record.kind {
            lostEventRecords += 1
            lostEvents &+= count ?? 0
            return
        }
        events += 1
        firstTimestamp = min(firstTimestamp ?? record.timestamp, record.timestamp)
        lastTimestamp = max(lastTimestamp ?? record.timestamp, record.timestamp)
    }

    public mutating func merge(_ other: DecodeStatistics) {
        events += other.events
        lostEventRecords += other.lostEventRecords
        lostEvents &+= other.lostEvents
        if let t = other.firstTimestamp { firstTimestamp = min(firstTimestamp ?? t, t) }
        if let t = other.lastTimestamp { lastTimestamp = max(lastTimestamp ?? t, t) }
        for (name, n) in other.eventsByClass { eventsByClass[name, default: 0] += n }
        integers += other.integers
        floats += other.floats
        strings += other.strings
        stringBytes += other.stringBytes
        enumerations += other.enumerations
        structures += other.structures
        arrays += other.arrays
        variants += other.variants
        integerSum &+= other.integerSum
    }

    /// Decodes every field of every event of the CTF traces of `set`, in parts of streams of
    /// about `partBytes` of packets (`CTFDataStream.partRanges`) on all cores. Throws the first damage met in stream order
    /// (after decoding everything before it).
    public static func collect(ctf traces: [CTFTrace], parallel: Bool = true,
                               partBytes: Int = 2 << 20) throws -> DecodeStatistics {
        var jobs: [(CTFTrace, Int, PartRange)] = []
        for trace in traces {
            for s in trace.dataStreams.indices {
                let ranges = parallel ? trace.dataStreams[s].partRanges(partBytes: partBytes)
                                      : [PartRange(first: 0, end: .max, time: .min)]
                for range in ranges { jobs.append((trace, s, range)) }
            }
        }
        let results = UnsafeMutableBufferPointer<DecodeStatistics>.allocate(capacity: jobs.count)
        results.initialize(repeating: DecodeStatistics())
        let errors = UnsafeMutableBufferPointer<Error?>.allocate(capacity: jobs.count)
        errors.initialize(repeating: nil)
        defer {
            _ = results.deinitialize()
            results.deallocate()
            _ = errors.deinitialize()
            errors.deallocate()
        }
        let work = { (i: Int) in
            do {
                results[i] = try collect(trace: jobs[i].0, stream: jobs[i].1, part: jobs[i].2)
            } catch {
                errors[i] = error
            }
        }
        if parallel && jobs.count > 1 {
            DispatchQueue.concurrentPerform(iterations: jobs.count, execute: work)
        } else {
            for i in jobs.indices { work(i) }
        }
        var total = DecodeStatistics()
        for i in jobs.indices { total.merge(results[i]) }
        if let error = errors.lazy.compactMap({ $0 }).first { throw error }
        return total
    }

    /// Decodes every field of the events of one part of a stream.
    static func collect(trace: CTFTrace, stream: Int, part: PartRange) throws -> DecodeStatistics {
        var stats = DecodeStatistics()
        var perClass = [UInt64](repeating: 0, count: trace.metadata.eventClasses.count)
        let cursor = CTFEventStream(trace: trace, streamIndex: stream)
        let commonContext = cursor.stream.streamClass.commonContext?.visitAll.view
        cursor.endPacket = part.end
        cursor.start(atPacket: part.first)
        try cursor.advance()
        while let record = cursor.current {
            stats.count(record, name: "")
            if case .event = record.kind, let (start, body) = cursor.beginEventBody() {
                let (specificContext, payload) = body._withUnsafeGuaranteedRef { ($0.specificContextAll, $0.payloadAll) }
                perClass[Int(record.classIndex)] += 1
                var decoder = start
                do {
                    if let plan = commonContext { try decoder.tally(plan, into: &stats) }
                    if let plan = specificContext { try decoder.tally(plan, into: &stats) }
                    if let plan = payload { try decoder.tally(plan, into: &stats) }
                } catch let failure as DecodeFailure {
                    throw cursor.failEventBody(failure)
                }
                try cursor.endEventBody(decoder)
            }
            try cursor.advance()
        }
        for (i, n) in perClass.enumerated() where n > 0 {
            stats.eventsByClass[trace.metadata.eventClasses[i].name, default: 0] += n
        }
        return stats
    }

    /// A readable summary.
    public func report(timeDomain: TimeDomain) -> String {
        var lines: [String] = []
        lines.append("events \(events)")
        lines.append("lost events \(lostEvents) (in \(lostEventRecords) records)")
        if let first = firstTimestamp, let last = lastTimestamp {
            lines.append("time range \(TimeFormatting.full(first, domain: timeDomain)) to \(TimeFormatting.full(last, domain: timeDomain))")
        }
        lines.append("fields \(fields): integers \(integers), floats \(floats), strings \(strings) (\(stringBytes) bytes), "
            + "enumerations \(enumerations), structures \(structures), arrays \(arrays), variants \(variants)")
        lines.append("integer checksum \(integerSum)")
        lines.append("event classes:")
        for (name, n) in eventsByClass.sorted(by: { $0.value != $1.value ? $0.value > $1.value : $0.key < $1.key }) {
            lines.append("  \(n) \(name)")
        }
        return lines.joined(separator: "\n") + "\n"
    }
}
