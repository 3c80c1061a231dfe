import Ftrace
import TraceKit

/// A cursor over one CPU's live pages. It does not end for good: once it has read everything, it
/// looks again when asked for `current` and goes on with pages that arrived since. Records later
/// than the trace's `visibleUntil` are held back until every CPU has been read up to them.
///
/// Positions: `unit` is the page sequence number, `offset` the record's offset in the page and
/// `clock` the running timestamp before it; lost-event records sit at offset 0 (or 1 when the
/// page starts with a time item), as in trace.dat streams.
final class LiveCPUStream: EventStream {
    // The trace owns the pages and outlives its streams; `unowned(unsafe)` and unchecked
    // exclusivity keep the per-record path free of runtime bookkeeping.
    unowned(unsafe) let trace: LiveTrace
    let stream: Int
    let cpu: Int32
    private let store: LiveCPUPages

    @exclusivity(unchecked) private var stored: EventRecord?
    @exclusivity(unchecked) private var sequence: Int
    @exclusivity(unchecked) private var page: LivePage?
    @exclusivity(unchecked) private var reader: SubBufferReader?
    @exclusivity(unchecked) private var pageStart = true
    @exclusivity(unchecked) private var pending: SubBufferRecord?
    @exclusivity(unchecked) private var lastTimestamp: Int64?
    /// Everything available was read; look again on the next `current`.
    @exclusivity(unchecked) private var caughtUp = false

    init(trace: LiveTrace, stream: Int) {
        self.trace = trace
        self.stream = stream
        cpu = trace.streams[stream].cpu
        store = trace.cpuPages[stream]
        sequence = store.firstSequence
        advance()
    }

    var current: EventRecord? {
        if stored == nil && caughtUp { resume() }
        guard let record = stored else { return nil }
        if let limit = trace.visibleUntil, record.timestamp > limit { return nil }
        return stored
    }

    /// Continues after new pages arrived (or the page under the cursor was dropped).
    private func resume() {
        guard caughtUp else { return }
        if page == nil || sequence < store.firstSequence || sequence + 1 < store.nextSequence || page?.sequence != sequence {
            caughtUp = false
            advance()
        }
    }

    private func load(_ target: Int) -> Bool {
        sequence = max(target, store.firstSequence)
        reader = nil
        pending = nil
        pageStart = true
        guard let found = store.page(sequence: sequence), let sub = try? found.subBuffer(layout: trace.layout) else {
            page = nil
            return false
        }
        page = found
        reader = sub.makeReader()
        return true
    }

    func advance() {
        stored = nil
        if let p = pending {
            pending = nil
            emit(p)
            return
        }
        while true {
            if page == nil || page?.sequence != sequence || sequence < store.firstSequence {
                guard load(sequence) else {
                    caughtUp = true
                    return
                }
            }
            guard var r = reader else { return }
            let record: SubBufferRecord?
            do {
                record = try r.next()
            } catch {
                // A damaged page: its remaining records are skipped (LivePage noted why).
                record = nil
            }
            reader = r
            guard let record else {
                if sequence + 1 < store.nextSequence {
                    _ = load(sequence + 1)
                    continue
                }
                caughtUp = true
                // Stay on this page: the next page continues from here.
                page = nil
                sequence += 1
                return
            }
            if pageStart {
                pageStart = false
                if let missed = page?.missed, missed != .none {
                    let count: UInt64?
                    if case .count(let n) = missed { count = n } else { count = nil }
                    let time = Int64(bitPattern: record.timestamp)
                    stored = EventRecord(timestamp: time, cpu: cpu, classIndex: -1, stream: Int32(stream),
                                         kind: .lostEvents(count: count, since: lastTimestamp ?? Int64(bitPattern: r.page.timestamp)),
                                         position: StreamPosition(unit: sequence, offset: record.isAtDataStart ? 0 : 1,
                                                                  clock: r.page.timestamp))
                    pending = record
                    return
                }
            }
            emit(record)
            return
        }
    }

    @inline(__always)
    private func emit(_ record: SubBufferRecord) {
        let time = Int64(bitPattern: record.timestamp)
        lastTimestamp = time
        let classIndex = trace.classIndex(ofEventID: trace.eventID(ofRecord: record.data))
        stored = EventRecord(timestamp: time, cpu: cpu, classIndex: classIndex, stream: Int32(stream),
                             position: StreamPosition(unit: sequence, offset: record.offset, clock: record.timestampBefore))
    }

    func seek(to position: StreamPosition) throws {
        caughtUp = false
        stored = nil
        guard load(position.unit) else {
            caughtUp = true
            return
        }
        if position.unit == sequence, position.offset >= trace.layout.dataOffset, let sub = try? page?.subBuffer(layout: trace.layout) {
            pageStart = false
            reader = sub.makeReader(resumingAt: position.offset, timestamp: position.clock)
        }
        advance()
    }

    func seek(toTimestamp target: Int64) throws {
        caughtUp = false
        stored = nil
        if target == Int64.max {
            // Past the end: wait for new pages.
            page = nil
            sequence = store.nextSequence
            caughtUp = true
            return
        }
        guard load(store.sequence(before: target)) else {
            caughtUp = true
            return
        }
        advance()
        while let record = stored, record.timestamp < target { advance() }
    }
}
