import TraceKit

/// A cursor over one CPU's records in a trace.dat buffer. A page that reports missed events
/// yields a `.lostEvents` record just before its first event.
///
/// Positions: `unit` is the page index, `offset` the record header's offset in the page and
/// `clock` the running page timestamp before it. Lost-event records sit at offset 0 (trace-cmd
/// prints them) or 1 (the page starts with a time item, where trace-cmd does not print them).
public final class FtraceCPUStream: EventStream {
    unowned let trace: TraceDatTrace
    let stream: Int
    let source: CPUPageSource
    let layout: RingBufferLayout
    let order: ByteOrder
    let conversion: TraceDatClockConversion
    let cpu: Int32
    /// Owned by the trace, which outlives its streams' use.
    unowned(unsafe) let catalog: EventCatalog

    public private(set) var current: EventRecord?
    /// The payload of `current` (empty for lost-event records).
    public private(set) var currentData = UnsafeRawBufferPointer(start: nil, count: 0)

    private var pageIndex = 0
    private var reader: SubBufferReader?
    private var pageMissed: MissedEvents = .none
    private var pageStart = true
    /// A record read ahead while a lost-events record is current.
    private var pending: SubBufferRecord?
    private var lastTimestamp: Int64?
    private var releasedUpTo = 0
    private var finished = false

    init(trace: TraceDatTrace, stream: Int) throws {
        self.trace = trace
        self.stream = stream
        self.source = trace.sources[stream]
        self.layout = trace.file.layout
        self.order = trace.file.byteOrder
        self.conversion = trace.file.clockConversion
        self.cpu = trace.streams[stream].cpu
        self.catalog = trace.file.catalog
        try move(toPage: 0)
        try advance()
    }

    private func timestamp(_ raw: UInt64) -> Int64 {
        Int64(bitPattern: conversion.apply(raw))
    }

    private func pageError(_ error: SubBufferError) -> TraceError {
        if let damage = source.damage, pageIndex == source.pageCount - 1 {
            return damage
        }
        return TraceError(file: trace.file.path, offset: source.fileOffset(ofPage: pageIndex) + error.offset,
                          "\(source.describePage(pageIndex)): \(error.message)")
    }

    /// Loads page `index` (or ends the stream past the last page).
    private func move(toPage index: Int) throws {
        pageIndex = index
        reader = nil
        pending = nil
        pageStart = true
        guard index < source.pageCount else {
            finished = true
            return
        }
        finished = false
        let bytes = try source.page(index)
        do {
            let page = try SubBuffer(bytes, layout: layout, byteOrder: order)
            pageMissed = page.missedEvents
            reader = page.makeReader()
        } catch let e as SubBufferError {
            throw pageError(e)
        }
        if index - releasedUpTo >= 256 {
            source.releasePages(before: index)
            releasedUpTo = index
        }
    }

    public func advance() throws {
        current = nil
        currentData = UnsafeRawBufferPointer(start: nil, count: 0)
        if let p = pending {
            pending = nil
            emit(p)
            return
        }
        while !finished {
            guard var r = reader else {
                try move(toPage: pageIndex + 1)
                continue
            }
            let record: SubBufferRecord?
            do {
                record = try r.next()
            } catch let e as SubBufferError {
                reader = nil
                finished = true
                throw pageError(e)
            }
            reader = r
            guard let record else {
                if pageIndex + 1 >= source.pageCount {
                    finished = true
                    reader = nil
                    if let damage = source.damage { throw damage }
                    return
                }
                try move(toPage: pageIndex + 1)
                continue
            }
            if pageStart {
                pageStart = false
                if pageMissed != .none {
                    let count: UInt64?
                    if case .count(let n) = pageMissed { count = n } else { count = nil }
                    let ts = timestamp(record.timestamp)
                    let since = lastTimestamp ?? timestamp(r.page.timestamp)
                    current = EventRecord(timestamp: ts, cpu: cpu, classIndex: -1, stream: Int32(stream),
                                          kind: .lostEvents(count: count, since: since),
                                          position: StreamPosition(unit: pageIndex, offset: record.isAtDataStart ? 0 : 1,
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
        let ts = timestamp(record.timestamp)
        lastTimestamp = ts
        currentData = record.data
        let classIndex = catalog.classIndex(ofRecord: record.data)
        current = EventRecord(timestamp: ts, cpu: cpu, classIndex: Int32(classIndex), stream: Int32(stream),
                              position: StreamPosition(unit: pageIndex, offset: record.offset, clock: record.timestampBefore))
    }

    public func seek(to position: StreamPosition) throws {
        try move(toPage: position.unit)
        guard !finished, let r = reader else { current = nil; return }
        if position.offset >= layout.dataOffset {
            pageStart = false
            reader = r.page.makeReader(resumingAt: position.offset, timestamp: position.clock)
        }
        try advance()
    }

    public func seek(toTimestamp target: Int64) throws {
        // Pages start no later than their first record: find the last page starting before the
        // target, then read forward.
        var low = 0
        var high = source.pageCount
        while low < high {
            let mid = (low + high) / 2
            let start = (try? source.page(mid)).flatMap { try? SubBuffer($0, layout: layout, byteOrder: order) }
            if let start, timestamp(start.timestamp) < target { low = mid + 1 } else { high = mid }
        }
        try move(toPage: max(0, low - 1))
        try advance()
        while let c = current, c.timestamp < target { try advance() }
    }
}
