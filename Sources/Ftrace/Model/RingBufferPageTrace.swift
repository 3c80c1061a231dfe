import TraceKit

/// Ring-buffer pages kept in memory, one store per CPU (pages read from
/// `per_cpu/cpuN/trace_pipe_raw`, replayed pages in tests). Old pages can be dropped; page
/// indices keep counting so positions of kept records stay valid.
public final class MemoryPageStore: RingBufferPageSource {
    public let label: String
    /// Index of the oldest kept page.
    public private(set) var firstIndex = 0
    private var pages: [UnsafeMutableRawBufferPointer] = []

    public init(label: String) { self.label = label }

    deinit { for p in pages { p.deallocate() } }

    public var pageCount: Int { firstIndex + pages.count }
    public var damage: TraceError? { nil }

    /// Copies a page in; returns its index.
    @discardableResult
    public func append(_ bytes: UnsafeRawBufferPointer) -> Int {
        let copy = UnsafeMutableRawBufferPointer.allocate(byteCount: bytes.count, alignment: 16)
        copy.copyMemory(from: bytes)
        pages.append(copy)
        return pageCount - 1
    }

    /// Drops the oldest pages so that at most `keep` remain; returns how many were dropped.
    @discardableResult
    public func dropOldest(keeping keep: Int) -> Int {
        let excess = pages.count - max(0, keep)
        guard excess > 0 else { return 0 }
        for p in pages[0..<excess] { p.deallocate() }
        pages.removeFirst(excess)
        firstIndex += excess
        return excess
    }

    public func page(_ index: Int) throws -> UnsafeRawBufferPointer {
        guard index >= firstIndex, index < pageCount else {
            throw TraceError(file: label, "page \(index) is no longer kept (pages \(firstIndex)..<\(pageCount) are)")
        }
        return UnsafeRawBufferPointer(pages[index - firstIndex])
    }

    public func fileOffset(ofPage index: Int) -> Int { 0 }
    public func describePage(_ index: Int) -> String { "\(label) page \(index)" }
    public func releasePages(before index: Int) {}
}

/// A TraceKit `Trace` over ring-buffer pages held in memory: the live view's window on
/// `trace_pipe_raw`, decoded by the same page decoder and catalog as trace.dat files, so records,
/// fields and `trace-cmd report` text are the same.
///
/// Not thread-safe: append pages and read records from one thread (or guard both).
public final class RingBufferPageTrace: Trace, RecordAttributes {
    public let name: String
    public let path: String
    public let timeDomain: TimeDomain = .monotonic
    public let catalog: EventCatalog
    public let layout: RingBufferLayout
    public let conversion: TraceDatClockConversion
    public private(set) var eventClasses: [EventClass] = []
    public let streams: [StreamInfo]
    /// Page stores, parallel to `streams`.
    public let stores: [MemoryPageStore]
    public var environment: [(String, String)] = []
    /// Print timestamps as seconds (false for clocks such as `counter` or `x86-tsc`; see
    /// `TraceCmdLine.clockCountsNanoseconds`).
    public var timestampsInNanoseconds = true

    /// - Parameters:
    ///   - cpus: the CPUs to keep pages for (one stream each, in this order).
    public init(name: String, path: String = "", catalog: EventCatalog, layout: RingBufferLayout, cpus: [Int],
                conversion: TraceDatClockConversion = TraceDatClockConversion()) {
        self.name = name
        self.path = path
        self.catalog = catalog
        self.layout = layout
        self.conversion = conversion
        streams = cpus.map { StreamInfo(name: "cpu\($0)", cpu: Int32($0), file: path) }
        stores = cpus.map { MemoryPageStore(label: "\(name) cpu\($0)") }
        refreshEventClasses()
    }

    /// Rebuilds `eventClasses` after formats were added to the catalog.
    public func refreshEventClasses() {
        eventClasses = catalog.events.map { e in
            EventClass(index: e.index, name: e.format.name, system: e.format.system, numericID: Int64(e.format.id),
                       payloadFieldNames: e.format.fields.map(\.name))
        }
    }

    public var cpuCount: Int { Int((streams.map(\.cpu).max() ?? -1) + 1) }

    /// Checks a page's header and keeps a copy; returns the page index. Throws `SubBufferError`
    /// for a page that cannot be decoded (it is not kept).
    @discardableResult
    public func append(page bytes: UnsafeRawBufferPointer, stream: Int) throws -> Int {
        _ = try SubBuffer(bytes, layout: layout, byteOrder: catalog.byteOrder)
        return stores[stream].append(bytes)
    }

    public func openStream(_ index: Int) throws -> EventStream {
        guard stores.indices.contains(index) else { throw TraceError(file: path, "no stream \(index)") }
        return try FtraceCPUStream(owner: self, source: stores[index], catalog: catalog, layout: layout,
                                   conversion: conversion, stream: index, cpu: streams[index].cpu,
                                   path: stores[index].label, firstPage: stores[index].firstIndex)
    }

    /// Calls `body` with the payload of `record` (nil for lost-event records or dropped pages).
    public func withData<R>(of record: EventRecord, _ body: (UnsafeRawBufferPointer) throws -> R) rethrows -> R? {
        guard case .event = record.kind, stores.indices.contains(Int(record.stream)),
              let bytes = try? stores[Int(record.stream)].page(record.position.unit),
              let page = try? SubBuffer(bytes, layout: layout, byteOrder: catalog.byteOrder) else { return nil }
        var reader = page.makeReader(resumingAt: record.position.offset, timestamp: record.position.clock)
        guard let r = try? reader.next(), r.offset == record.position.offset else { return nil }
        return try body(r.data)
    }

    public func decodeFields<V: FieldVisitor>(of record: EventRecord, scope: FieldScope, into visitor: inout V) throws {
        guard scope == .payload else { return }
        let catalog = self.catalog
        _ = withData(of: record) { data in
            guard let event = catalog.event(id: catalog.eventID(ofRecord: data)) else { return }
            FieldDecoder.decode(event.format.fields, data, order: catalog.byteOrder, into: &visitor)
        }
    }

    public func task(of record: EventRecord) -> TaskRef? {
        withData(of: record) { data in
            let pid = catalog.pid(ofRecord: data)
            return TaskRef(pid: Int64(pid), comm: catalog.taskNames.nameString(of: pid))
        }
    }

    public func decodeRecordAttributes<V: FieldVisitor>(of record: EventRecord, into visitor: inout V) throws {
        let catalog = self.catalog
        _ = withData(of: record) { data in
            visitor.visitInteger("flags", .unsigned(catalog.flags(ofRecord: data)), base: .hexadecimal)
            visitor.visitInteger("preempt", .unsigned(catalog.preemptCount(ofRecord: data)), base: .decimal)
        }
    }

    /// The record's line as `trace-cmd report -N -t` prints it (newline included).
    public func writeTraceCmdLine(_ record: EventRecord, raw: Bool = false, to out: inout LineBuffer) {
        if case .lostEvents(let count, _) = record.kind {
            TraceCmdLine.writeDropped(cpu: Int(record.cpu), count: count, to: &out)
            return
        }
        _ = withData(of: record) { data in
            TraceCmdLine.writeEvent(data, catalog: catalog, cpu: Int(record.cpu), timestamp: UInt64(bitPattern: record.timestamp),
                                    nanoseconds: timestampsInNanoseconds, raw: raw, to: &out)
        }
    }
}
