import Ftrace
import TraceKit

/// The events read live, as a TraceKit `Trace` that grows: one stream per CPU over the pages read
/// so far, decoded with the same page decoder and event catalog as trace.dat files.
///
/// Memory is bounded: past `memoryCap` bytes of pages, the oldest pages (across CPUs, oldest
/// first) are dropped and counted in `windowDropped`. Records are shown up to `visibleUntil`, the
/// time before which every CPU's events have been read, so records appear in time order even
/// though CPUs are read one after the other.
///
/// Not thread-safe: feed it from the thread that reads it (`LivePageQueue` hands pages over).
public final class LiveTrace: Trace, RecordAttributes, FtraceRecordData, EventSummaryProviding {
    public let name: String
    public let path: String
    public let timeDomain: TimeDomain = .monotonic
    public private(set) var eventClasses: [EventClass] = []
    public let streams: [StreamInfo]
    public let catalog: EventCatalog
    public let layout: RingBufferLayout
    /// Bytes of pages kept before the oldest are dropped.
    public var memoryCap: Int
    /// Events and pages dropped from memory by the cap, per CPU.
    public private(set) var windowDropped: [Int: (pages: Int, events: Int)] = [:]
    /// Records at or before this time are complete on every CPU (nil: show everything read).
    @exclusivity(unchecked) public private(set) var visibleUntil: Int64?
    /// The kernel's counters per CPU, as last sampled.
    public private(set) var kernelStats: [Int: CPUBufferStats] = [:]
    /// Clock names that count nanoseconds (see `TraceCmdLine.clockCountsNanoseconds`).
    public let clock: String?

    let cpuPages: [LiveCPUPages]
    private var streamOfCPU: [Int: Int] = [:]
    private var memoryUsed = 0
    /// Incremented whenever pages are dropped (positions before `firstSequence` become invalid).
    public private(set) var dropGeneration = 0

    public init(name: String, path: String, cpus: [Int], layout: RingBufferLayout, catalog: EventCatalog,
                clock: String? = nil, memoryCap: Int = 256 << 20) {
        self.name = name
        self.path = path
        self.layout = layout
        self.catalog = catalog
        self.clock = clock
        self.memoryCap = memoryCap
        streams = cpus.map { StreamInfo(name: "cpu\($0)", cpu: Int32($0), file: path) }
        cpuPages = cpus.map { LiveCPUPages(cpu: $0) }
        for (i, cpu) in cpus.enumerated() { streamOfCPU[cpu] = i }
        refreshEventClasses()
    }

    public var cpuCount: Int { Int((streams.map(\.cpu).max() ?? -1) + 1) }

    public var environment: [(String, String)] {
        var env: [(String, String)] = [("source", "live tracefs"), ("instance", path)]
        if let clock { env.append(("clock", clock)) }
        env.append(("memory cap", "\(memoryCap >> 20) MiB"))
        return env
    }

    /// Mirrors the catalog's events as classes (call after formats were added, e.g. new probes).
    public func refreshEventClasses() {
        guard eventClasses.count != catalog.events.count else { return }
        eventClasses = catalog.events.map { e in
            EventClass(index: e.index, name: e.format.name, system: e.format.system, numericID: Int64(e.format.id),
                       payloadFieldNames: e.format.fields.map(\.name))
        }
        var table = [Int32](repeating: -1, count: 1 << 16)
        for e in catalog.events where e.format.id >= 0 && e.format.id < table.count {
            table[e.format.id] = Int32(e.index)
        }
        classOfID = table
        // Where `common_type` is, from the event with the lowest id (as libtraceevent takes it).
        if let first = catalog.events.min(by: { $0.format.id < $1.format.id }),
           let type = first.format.commonFields.first(where: { $0.name == "common_type" }),
           type.size == 2 || type.size == 1 || type.size == 4 {
            eventIDField = (type.offset, type.size)
        }
    }

    /// Offset and size of `common_type` in records.
    @exclusivity(unchecked) private(set) var eventIDField = (offset: 0, size: 2)

    /// The event id stored in a record (-1 when the record is too short).
    @inline(__always)
    func eventID(ofRecord data: UnsafeRawBufferPointer) -> Int {
        let (offset, size) = eventIDField
        guard offset + size <= data.count else { return -1 }
        switch size {
        case 1: return Int(data[offset])
        case 4: return Int(data.loadUnaligned(fromByteOffset: offset, as: UInt32.self))
        default: return Int(data.loadUnaligned(fromByteOffset: offset, as: UInt16.self))
        }
    }

    /// Class index by event id (`common_type` is 16 bits), so streams need no catalog lookup per
    /// record.
    @exclusivity(unchecked) private(set) var classOfID: [Int32] = []

    /// The class index of a record's event id (-1: unknown event).
    @inline(__always)
    func classIndex(ofEventID id: Int) -> Int32 {
        id >= 0 && id < classOfID.count ? classOfID[id] : -1
    }

    // MARK: feeding

    /// Adds a page read from `cpu` (copied). Pages of a CPU must come in the order they were read.
    public func append(page: UnsafeRawBufferPointer, cpu: Int) {
        append(LivePage(sequence: 0, bytes: page, layout: layout), cpu: cpu)
    }

    /// Adds a page already copied and indexed (by `LivePageQueue`, on the capture thread).
    func append(_ livePage: LivePage, cpu: Int) {
        guard let stream = streamOfCPU[cpu] else { return }
        let store = cpuPages[stream]
        livePage.sequence = store.nextSequence
        store.append(livePage)
        memoryUsed += livePage.memoryCost
        if memoryUsed > memoryCap { enforceCap() }
    }

    /// Moves the completeness frontier (see `visibleUntil`); nil shows everything read (after the
    /// reading stopped). Once nil, later frontiers are ignored.
    public func advanceVisibility(to time: Int64?) {
        guard !finalVisibility else { return }
        guard let time else {
            visibleUntil = nil
            finalVisibility = true
            return
        }
        visibleUntil = max(visibleUntil ?? time, time)
    }

    private var finalVisibility = false

    /// Records the kernel's latest counters.
    public func updateKernelStats(_ stats: [Int: CPUBufferStats]) {
        for (cpu, s) in stats { kernelStats[cpu] = s }
    }

    /// Bytes of pages held now.
    public var memoryInUse: Int { memoryUsed }

    /// Events held now, per CPU.
    public func eventCount(cpu: Int) -> Int {
        guard let s = streamOfCPU[cpu] else { return 0 }
        return cpuPages[s].eventCount
    }

    /// Events received so far (held or dropped), per CPU.
    public func eventsReceived(cpu: Int) -> Int {
        guard let s = streamOfCPU[cpu] else { return 0 }
        return cpuPages[s].eventCount + cpuPages[s].droppedEvents
    }

    /// Lost-event notes of the kernel in pages held: (cpu, time, count or nil).
    public var earliestTimestamp: Int64? {
        cpuPages.compactMap { $0.firstTimestamp }.min()
    }

    private func enforceCap() {
        // Drop down to 90% so drops happen in batches rather than on every page.
        let target = memoryCap / 10 * 9
        while memoryUsed > target {
            var oldest: LiveCPUPages?
            for store in cpuPages where !store.isEmpty {
                if oldest == nil || (store.firstTimestamp ?? .max) < (oldest!.firstTimestamp ?? .max) { oldest = store }
            }
            guard let victim = oldest, let page = victim.dropFirst() else { break }
            memoryUsed -= page.memoryCost
            windowDropped[victim.cpu, default: (0, 0)].pages += 1
            windowDropped[victim.cpu, default: (0, 0)].events += page.eventCount
        }
        dropGeneration += 1
    }

    // MARK: Trace

    public func openStream(_ index: Int) throws -> EventStream {
        guard cpuPages.indices.contains(index) else { throw TraceError(file: path, "no stream \(index)") }
        return LiveCPUStream(trace: self, stream: index)
    }

    func page(stream: Int, sequence: Int) -> LivePage? {
        cpuPages.indices.contains(stream) ? cpuPages[stream].page(sequence: sequence) : nil
    }

    /// Calls `body` with the payload of `record` (nil for lost-event records or dropped pages).
    public func withData<R>(of record: EventRecord, _ body: (UnsafeRawBufferPointer) throws -> R) rethrows -> R? {
        guard case .event = record.kind, let page = page(stream: Int(record.stream), sequence: record.position.unit),
              let sub = try? page.subBuffer(layout: layout) else { return nil }
        var reader = sub.makeReader(resumingAt: record.position.offset, timestamp: record.position.clock)
        guard let r = try? reader.next(), r.offset == record.position.offset else { return nil }
        return try withExtendedLifetime(page) { try body(r.data) }
    }

    public var recordCatalog: EventCatalog { catalog }

}

/// One CPU's pages in memory, oldest first.
final class LiveCPUPages {
    let cpu: Int
    @exclusivity(unchecked) private var pages: [LivePage] = []
    /// Index in `pages` of the oldest page still held (dropped ones are removed in batches).
    @exclusivity(unchecked) private var head = 0
    @exclusivity(unchecked) private(set) var nextSequence = 0
    @exclusivity(unchecked) private(set) var eventCount = 0
    private(set) var droppedEvents = 0

    init(cpu: Int) { self.cpu = cpu }

    var isEmpty: Bool { head >= pages.count }
    var firstSequence: Int { isEmpty ? nextSequence : pages[head].sequence }
    var firstTimestamp: Int64? {
        var i = head
        while i < pages.count {
            if let t = pages[i].firstTimestamp { return t }
            i += 1
        }
        return nil
    }

    func append(_ page: LivePage) {
        pages.append(page)
        nextSequence += 1
        eventCount += page.eventCount
    }

    func dropFirst() -> LivePage? {
        guard !isEmpty else { return nil }
        let page = pages[head]
        head += 1
        eventCount -= page.eventCount
        droppedEvents += page.eventCount
        if head > 4096 && head * 2 > pages.count {
            pages.removeFirst(head)
            head = 0
        }
        return page
    }

    /// The page with `sequence`, if still held.
    func page(sequence: Int) -> LivePage? {
        let i = head + (sequence - firstSequence)
        guard !isEmpty, sequence >= firstSequence, i < pages.count else { return nil }
        return pages[i]
    }

    /// The sequence of the last page whose first record is earlier than `time` (the first page
    /// when none is).
    func sequence(before time: Int64) -> Int {
        var low = head, high = pages.count
        while low < high {
            let mid = (low + high) / 2
            if let t = pages[mid].firstTimestamp, t < time { low = mid + 1 } else if pages[mid].firstTimestamp == nil {
                low = mid + 1
            } else {
                high = mid
            }
        }
        return max(firstSequence, (low - 1 - head) + firstSequence)
    }
}
