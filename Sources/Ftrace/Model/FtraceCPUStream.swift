import TraceKit

/// The pages of one CPU buffer, wherever they are kept (a trace.dat file, pages read live).
public protocol RingBufferPageSource: AnyObject {
    /// Index one past the last page.
    var pageCount: Int { get }
    /// The bytes of page `index` (throws for a page that is gone or unreadable).
    func page(_ index: Int) throws -> UnsafeRawBufferPointer
    /// Set when the pages stop before their declared end (a truncated file).
    var damage: TraceError? { get }
    /// Byte offset of page `index` in its file, for messages.
    func fileOffset(ofPage index: Int) -> Int
    /// Names page `index` for messages.
    func describePage(_ index: Int) -> String
    /// Pages before `index` will not be read again soon.
    func releasePages(before index: Int)
    /// Whether page `index` exists; a source may find out without counting every page (a
    /// compressed trace.dat walks its chunk table only that far).
    func hasPage(_ index: Int) -> Bool
}

extension RingBufferPageSource {
    public func hasPage(_ index: Int) -> Bool { index >= 0 && index < pageCount }
}

extension CPUPageSource: RingBufferPageSource {}

/// A cursor over one CPU's records (ring-buffer pages of a trace.dat buffer or read live). A page
/// that reports missed events yields a `.lostEvents` record just before its first event.
///
/// Positions: `unit` is the page index, `offset` the record header's offset in the page and
/// `clock` the running page timestamp before it. Lost-event records sit at offset 0 (trace-cmd
/// prints them) or 1 (the page starts with a time item, where trace-cmd does not print them).
public final class FtraceCPUStream: EventStream {
    /// What the cursor needs that never changes.
    private struct Context {
        let stream: Int
        /// Owned by the trace, which outlives its streams' use.
        unowned(unsafe) let source: RingBufferPageSource
        unowned(unsafe) let catalog: EventCatalog
        let layout: RingBufferLayout
        let order: ByteOrder
        let conversion: TraceDatClockConversion
        let cpu: Int32
        let path: String
        /// `common_type` location and the catalog's id-to-class table, read for every record.
        let typeOffset: Int
        let typeSize: Int
        let classTable: UnsafeMutablePointer<Int32>
        let classTableCount: Int
    }

    /// Everything that moves, kept in one value so a step is one access to the object.
    private struct State {
        var current: EventRecord?
        var currentData = UnsafeRawBufferPointer(start: nil, count: 0)
        var pageIndex = 0
        var reader: SubBufferReader?
        var pageMissed: MissedEvents = .none
        var pageStart = true
        /// A record read ahead while a lost-events record is current.
        var pending: SubBufferRecord?
        var lastTimestamp: Int64?
        var releasedUpTo = 0
        var finished = false
        /// The cursor ends before this page (`Int.max`: at the end of the pages).
        var endPage = Int.max
        /// Set when the cursor ended at `endPage`.
        var stoppedAtEndPage = false
    }

    /// Keeps what `context` refers to alive.
    private let owner: AnyObject
    // Context and state live in memory of their own: the per-record steps reach them through
    // pointers, without the reference counting and exclusivity checks of stored properties.
    private let contextStorage: UnsafeMutablePointer<Context>
    private let stateStorage: UnsafeMutablePointer<State>

    public var current: EventRecord? { stateStorage.pointee.current }
    /// The payload of `current` (empty for lost-event records).
    public var currentData: UnsafeRawBufferPointer { stateStorage.pointee.currentData }

    /// The event formats and task names of the records.
    var catalog: EventCatalog { contextStorage.pointee.catalog }

    /// Pages of the underlying source (a measure of how much the stream holds).
    var pageCount: Int { contextStorage.pointee.source.pageCount }

    /// The file (or source) the records come from, for messages.
    public var path: String { contextStorage.pointee.path }

    deinit {
        contextStorage.deinitialize(count: 1)
        contextStorage.deallocate()
        stateStorage.deinitialize(count: 1)
        stateStorage.deallocate()
    }

    /// A cursor over stream `stream` of `trace` from `firstPage`, reading `source` (the trace's
    /// own by default; another source must be kept alive by the caller).
    convenience init(trace: TraceDatTrace, stream: Int, source: CPUPageSource? = nil, firstPage: Int = 0) throws {
        try self.init(owner: trace, source: source ?? trace.sources[stream], catalog: trace.file.catalog,
                      layout: trace.file.layout, conversion: trace.file.clockConversion, stream: stream,
                      cpu: trace.streams[stream].cpu, path: trace.file.path, firstPage: firstPage)
    }

    /// A cursor over `source`'s pages from `firstPage`.
    ///
    /// - Parameters:
    ///   - owner: keeps `source` and `catalog` alive while the cursor lives.
    ///   - stream: the index reported in `EventRecord.stream`.
    public init(owner: AnyObject, source: RingBufferPageSource, catalog: EventCatalog, layout: RingBufferLayout,
                conversion: TraceDatClockConversion = TraceDatClockConversion(), stream: Int, cpu: Int32, path: String,
                firstPage: Int) throws {
        self.owner = owner
        let table = catalog.classIndexTable
        contextStorage = .allocate(capacity: 1)
        contextStorage.initialize(to: Context(stream: stream, source: source, catalog: catalog,
                                              layout: layout, order: catalog.byteOrder,
                                              conversion: conversion, cpu: cpu, path: path,
                                              typeOffset: catalog.layout.type.offset, typeSize: catalog.layout.type.size,
                                              classTable: table.0, classTableCount: table.1))
        stateStorage = .allocate(capacity: 1)
        stateStorage.initialize(to: State())
        // Pages before the first one are not this cursor's to give back.
        stateStorage.pointee.releasedUpTo = firstPage
        try FtraceCPUStream.move(toPage: firstPage, &stateStorage.pointee, contextStorage)
        try advance()
    }

    /// The cursor ends before this page, as if the pages stopped there (a part of the stream read
    /// on its own); `Int.max` (the default) reads to the end.
    public var endPage: Int {
        get { stateStorage.pointee.endPage }
        set { stateStorage.pointee.endPage = newValue }
    }

    /// Whether the cursor ended at `endPage` rather than at the end of the pages or on damage.
    public var stoppedAtEndPage: Bool { stateStorage.pointee.stoppedAtEndPage }

    public func advance() throws {
        try FtraceCPUStream.advance(&stateStorage.pointee, contextStorage)
    }

    public func seek(to position: StreamPosition) throws {
        let context = contextStorage
        try FtraceCPUStream.move(toPage: position.unit, &stateStorage.pointee, context)
        guard !stateStorage.pointee.finished, let r = stateStorage.pointee.reader else { stateStorage.pointee.current = nil; return }
        if position.offset >= context.pointee.layout.dataOffset {
            stateStorage.pointee.pageStart = false
            stateStorage.pointee.reader = r.page.makeReader(resumingAt: position.offset, timestamp: position.clock)
        }
        try advance()
    }

    public func seek(toTimestamp target: Int64) throws {
        // Pages start no later than their first record: find the last page starting before the
        // target, then read forward.
        let context = contextStorage
        var low = 0
        var high = context.pointee.source.pageCount
        while low < high {
            let mid = (low + high) / 2
            let start = (try? context.pointee.source.page(mid)).flatMap {
                try? SubBuffer($0, layout: context.pointee.layout, byteOrder: context.pointee.order)
            }
            if let start, FtraceCPUStream.timestamp(start.timestamp, context) < target { low = mid + 1 } else { high = mid }
        }
        try FtraceCPUStream.move(toPage: max(0, low - 1), &stateStorage.pointee, context)
        try advance()
        while let c = stateStorage.pointee.current, c.timestamp < target { try advance() }
    }

    // MARK: - Steps

    @inline(__always)
    private static func timestamp(_ raw: UInt64, _ c: UnsafeMutablePointer<Context>) -> Int64 {
        Int64(bitPattern: c.pointee.conversion.apply(raw, cpu: Int(c.pointee.cpu)))
    }

    private static func pageError(_ error: SubBufferError, _ s: State, _ cp: UnsafeMutablePointer<Context>) -> TraceError {
        let c = cp.pointee
        if let damage = c.source.damage, s.pageIndex == c.source.pageCount - 1 {
            return damage
        }
        return TraceError(file: c.path, offset: c.source.fileOffset(ofPage: s.pageIndex) + error.offset,
                          "\(c.source.describePage(s.pageIndex)): \(error.message)")
    }

    /// Loads page `index` (or ends the stream past the last page).
    private static func move(toPage index: Int, _ s: inout State, _ cp: UnsafeMutablePointer<Context>) throws {
        let c = cp.pointee
        s.pageIndex = index
        s.reader = nil
        s.pending = nil
        s.pageStart = true
        s.stoppedAtEndPage = false
        if index >= s.endPage {
            s.finished = true
            s.stoppedAtEndPage = true
            return
        }
        guard c.source.hasPage(index) else {
            s.finished = true
            // Damage before the first whole page: nothing of this CPU can be read; say why.
            if index == 0, let damage = c.source.damage { throw damage }
            return
        }
        s.finished = false
        let bytes = try c.source.page(index)
        do {
            let page = try SubBuffer(bytes, layout: c.layout, byteOrder: c.order)
            s.pageMissed = page.missedEvents
            s.reader = page.makeReader()
        } catch let e as SubBufferError {
            throw pageError(e, s, cp)
        }
        if index - s.releasedUpTo >= 256 {
            c.source.releasePages(before: index)
            s.releasedUpTo = index
        }
    }

    private static func advance(_ s: inout State, _ c: UnsafeMutablePointer<Context>) throws {
        s.current = nil
        s.currentData = UnsafeRawBufferPointer(start: nil, count: 0)
        if let p = s.pending {
            s.pending = nil
            emit(p, &s, c)
            return
        }
        while !s.finished {
            guard s.reader != nil else {
                try move(toPage: s.pageIndex + 1, &s, c)
                continue
            }
            let record: SubBufferRecord?
            do {
                record = try s.reader!.next()
            } catch let e as SubBufferError {
                s.reader = nil
                s.finished = true
                throw pageError(e, s, c)
            }
            guard let record else {
                if s.pageIndex + 1 >= s.endPage {
                    s.finished = true
                    s.stoppedAtEndPage = true
                    s.reader = nil
                    return
                }
                if !c.pointee.source.hasPage(s.pageIndex + 1) {
                    s.finished = true
                    s.reader = nil
                    if let damage = c.pointee.source.damage { throw damage }
                    return
                }
                try move(toPage: s.pageIndex + 1, &s, c)
                continue
            }
            if s.pageStart {
                s.pageStart = false
                if s.pageMissed != .none {
                    let count: UInt64?
                    if case .count(let n) = s.pageMissed { count = n } else { count = nil }
                    let ts = timestamp(record.timestamp, c)
                    let pageTimestamp = s.reader?.page.timestamp ?? 0
                    let since = s.lastTimestamp ?? timestamp(pageTimestamp, c)
                    s.current = EventRecord(timestamp: ts, cpu: c.pointee.cpu, classIndex: -1, stream: Int32(c.pointee.stream),
                                            kind: .lostEvents(count: count, since: since),
                                            position: StreamPosition(unit: s.pageIndex, offset: record.isAtDataStart ? 0 : 1,
                                                                     clock: pageTimestamp))
                    s.pending = record
                    return
                }
            }
            emit(record, &s, c)
            return
        }
    }

    @inline(__always)
    private static func emit(_ record: SubBufferRecord, _ s: inout State, _ c: UnsafeMutablePointer<Context>) {
        let ts = timestamp(record.timestamp, c)
        s.lastTimestamp = ts
        s.currentData = record.data
        let id = Int(ByteReader.unsigned(record.data, at: c.pointee.typeOffset, size: c.pointee.typeSize, order: c.pointee.order))
        let classIndex: Int32 = id < c.pointee.classTableCount ? c.pointee.classTable[id] : Int32(c.pointee.catalog.classIndex(ofRecord: record.data))
        s.current = EventRecord(timestamp: ts, cpu: c.pointee.cpu, classIndex: classIndex,
                                stream: Int32(c.pointee.stream),
                                position: StreamPosition(unit: s.pageIndex, offset: record.offset, clock: record.timestampBefore))
    }
}
