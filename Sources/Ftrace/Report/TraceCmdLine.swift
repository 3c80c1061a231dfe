import Glibc
import TraceKit

/// Writes records as `trace-cmd report -N -t` prints them (and `-R` for raw field values):
///
///                bash-3772  [000]   173.829816115: sched_switch:         prev_comm=bash ...
///
/// Shared by the trace.dat dump and the live view, so both show the same text.
public enum TraceCmdLine {
    /// Whether timestamps print as `seconds.nanoseconds` (trace clocks counting nanoseconds) or
    /// as raw counts (`counter`, `x86-tsc` ...), as trace-cmd decides from the clock name.
    public static func clockCountsNanoseconds(_ clock: String?) -> Bool {
        guard let clock else { return true }
        return ["local", "global", "uptime", "perf", "tsc2nsec"].contains(clock) || clock.hasPrefix("mono")
    }

    /// Writes one event line, newline included.
    ///
    /// - Parameters:
    ///   - data: the record payload (starting with `common_type`).
    ///   - timestamp: the record time in nanoseconds (or clock counts).
    ///   - nanoseconds: see `clockCountsNanoseconds`.
    ///   - raw: `-R`: the fields as `name=value` instead of the print format.
    public static func writeEvent(_ data: UnsafeRawBufferPointer, catalog: EventCatalog, cpu: Int, timestamp: UInt64,
                                  nanoseconds: Bool, raw: Bool, to out: inout LineBuffer) {
        let lineStart = out.count
        let pid = catalog.pid(ofRecord: data)
        let comm = catalog.taskNames.name(of: pid)
        let event = catalog.event(id: catalog.eventID(ofRecord: data))
        if event == nil {
            // libtraceevent prints this for each part of a line whose event it does not know.
            out.write("[UNKNOWN EVENT][UNKNOWN EVENT] [UNKNOWN EVENT]: ")
            out.write(" id=")
            out.writeDecimal(Int64(catalog.eventID(ofRecord: data)))
            out.write(byte: 0x0A)
            return
        }
        // "%16s-%-5d [%03d]"
        if comm.count < 16 { out.write(repeating: 0x20, count: 16 - comm.count) }
        comm.withUnsafeBytes { out.write($0) }
        out.write(byte: UInt8(ascii: "-"))
        let pidStart = out.count
        out.writeDecimal(Int64(pid))
        let pidWidth = out.count - pidStart
        if pidWidth < 5 { out.write(repeating: 0x20, count: 5 - pidWidth) }
        out.write(" [")
        out.writeDecimal(Int64(cpu), width: 3, pad: UInt8(ascii: "0"))
        out.write(byte: UInt8(ascii: "]"))
        // " %9.1d:" or "%12d:"
        if nanoseconds {
            out.write(byte: 0x20)
            out.writeDecimal(timestamp / 1_000_000_000, width: 5)
            out.write(byte: UInt8(ascii: "."))
            out.writeDecimal(timestamp % 1_000_000_000, width: 9, pad: UInt8(ascii: "0"))
        } else {
            out.writeDecimal(timestamp, width: 12)
        }
        out.write(byte: UInt8(ascii: ":"))
        // " %s: " padded to 20
        guard let event else { return }
        out.write(byte: 0x20)
        event.nameBytes.withUnsafeBytes { out.write($0) }
        out.write(": ")
        if event.nameBytes.count < 20 { out.write(repeating: 0x20, count: 20 - event.nameBytes.count) }
        let infoStart = out.count
        catalog.writeInfo(of: event, record: data, raw: raw, to: &out)
        finishLine(from: lineStart, infoStart: infoStart, &out)
    }

    /// trace-cmd drops one final newline of the event text, and printf stops at a NUL byte.
    @inline(__always)
    static func finishLine(from lineStart: Int, infoStart: Int, _ out: inout LineBuffer) {
        let base = UnsafeRawPointer(out.base)
        if out.count > infoStart, let nul = memchr(base + infoStart, 0, out.count - infoStart) {
            out.truncate(to: base.distance(to: UnsafeRawPointer(nul)))
        }
        if out.count > lineStart, out.last == 0x0A {
            out.truncate(to: out.count - 1)
        }
        out.write(byte: 0x0A)
    }

    /// `CPU:N [K EVENTS DROPPED]` (or `[EVENTS DROPPED]` when the count is unknown), newline included.
    public static func writeDropped(cpu: Int, count: UInt64?, to out: inout LineBuffer) {
        out.write("CPU:")
        out.writeDecimal(Int64(cpu))
        if let count {
            out.write(" [")
            out.writeDecimal(Int64(bitPattern: count))
            out.write(" EVENTS DROPPED]\n")
        } else {
            out.write(" [EVENTS DROPPED]\n")
        }
    }
}

/// `TraceCmdLine.writeEvent` for many records of one catalog: event lookups, names and print
/// formats resolved once per event id, no reference counting per record.
public struct TraceCmdLineWriter {
    private struct Plan {
        var state: UInt8 = 0          // 0: not looked up, 1: known, 2: unknown id
        var simple = false            // render straight from `segments`
        var mayWriteNUL = true        // a `%c` conversion can put a NUL in the line
        /// Unmanaged: reading it for every record must not touch its reference count.
        var event: Unmanaged<CatalogEvent>?
        var segments = UnsafeMutableBufferPointer<PrintFormat.Segment>(start: nil, count: 0)
        var name = UnsafeRawBufferPointer(start: nil, count: 0)
        /// `": name: "` padded to the name column.
        var nameColumn = UnsafeRawBufferPointer(start: nil, count: 0)
    }

    /// Recent (pid, cpu) line heads `"%16s-%-5d [%03d]"`, direct-mapped by pid.
    private struct HeadCacheEntry {
        var pid: Int32 = -1
        var cpu: Int32 = -1
        var length = 0
        var bytes: (UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64) = (0, 0, 0, 0, 0, 0, 0, 0)
    }

    /// The text `" %5d."` of the last whole second written (times come in order, so most lines
    /// share their second with the line before).
    private struct SecondsCache {
        var seconds = UInt64.max
        var length = 0
        var bytes: (UInt64, UInt64, UInt64) = (0, 0, 0)
    }

    unowned(unsafe) let catalog: EventCatalog
    unowned(unsafe) let taskNames: TaskNames
    private let secondsCache: UnsafeMutablePointer<SecondsCache>
    private let renderer: PrintRenderer
    private let plans: UnsafeMutablePointer<Plan>
    private let planCount: Int
    private let heads: UnsafeMutablePointer<HeadCacheEntry>
    private static let headCacheSize = 1024
    private let nameColumns: UnsafeMutableRawPointer
    private let typeOffset: Int, typeSize: Int, pidOffset: Int, pidSize: Int
    private let order: ByteOrder
    public let raw: Bool
    /// Serializes plan creation (print-format compilation, symbol loading) between writers that
    /// render on several threads.
    private let planLock: UnsafeMutablePointer<pthread_mutex_t>?

    /// The writer keeps `catalog` alive only through its caller: call `deallocate()` when done.
    public init(catalog: EventCatalog, raw: Bool) {
        self.init(catalog: catalog, raw: raw, planLock: nil)
    }

    /// Writers used on several threads at once share one `planLock`.
    init(catalog: EventCatalog, raw: Bool, planLock lock: UnsafeMutablePointer<pthread_mutex_t>?) {
        self.planLock = lock
        self.catalog = catalog
        self.taskNames = catalog.taskNames
        self.renderer = catalog.renderer(raw: false)
        let maxID = catalog.events.map(\.format.id).filter { $0 >= 0 && $0 < 65536 }.max() ?? 0
        planCount = maxID + 1
        let planTable = UnsafeMutablePointer<Plan>.allocate(capacity: planCount)
        planTable.initialize(repeating: Plan(), count: planCount)
        // ": " + name + ": " + padding to 20 for every event, one after another.
        var columns: [UInt8] = []
        var ranges: [Int: Range<Int>] = [:]
        for e in catalog.events where e.format.id >= 0 && e.format.id < planCount {
            let start = columns.count
            columns += Array(": ".utf8) + e.nameBytes + Array(": ".utf8)
            if e.nameBytes.count < 20 { columns += Array(repeating: 0x20, count: 20 - e.nameBytes.count) }
            ranges[e.format.id] = start..<columns.count
        }
        let pool = UnsafeMutableRawPointer.allocate(byteCount: max(1, columns.count), alignment: 1)
        columns.withUnsafeBytes { if let b = $0.baseAddress { pool.copyMemory(from: b, byteCount: columns.count) } }
        for (id, r) in ranges { planTable[id].nameColumn = UnsafeRawBufferPointer(start: pool + r.lowerBound, count: r.count) }
        plans = planTable
        nameColumns = pool
        secondsCache = .allocate(capacity: 1)
        secondsCache.initialize(to: SecondsCache())
        heads = .allocate(capacity: TraceCmdLineWriter.headCacheSize)
        heads.initialize(repeating: HeadCacheEntry(), count: TraceCmdLineWriter.headCacheSize)
        let layout = catalog.layout
        typeOffset = layout.type.offset
        typeSize = layout.type.size
        pidOffset = layout.pid.offset
        pidSize = layout.pid.size
        order = catalog.byteOrder
        self.raw = raw
    }

    public func deallocate() {
        plans.deinitialize(count: planCount)
        plans.deallocate()
        heads.deallocate()
        secondsCache.deallocate()
        nameColumns.deallocate()
    }

    @inline(__always)
    private func plan(_ id: Int) -> UnsafeMutablePointer<Plan>? {
        guard id >= 0 && id < planCount else { return nil }
        let p = plans + id
        if p.pointee.state == 0 { makePlan(p, id) }
        return p.pointee.state == 1 ? p : nil
    }

    private func makePlan(_ p: UnsafeMutablePointer<Plan>, _ id: Int) {
        if let lock = planLock { pthread_mutex_lock(lock) }
        defer { if let lock = planLock { pthread_mutex_unlock(lock) } }
        guard let event = catalog.event(id: id) else {
            p.pointee.state = 2
            return
        }
        p.pointee.event = Unmanaged.passUnretained(event)
        let format = event.printFormat(longSize: catalog.longSize)
        p.pointee.simple = !event.failed && !event.isBinaryPrintk && format != nil
        if let format {
            p.pointee.segments = format.segments
            p.pointee.mayWriteNUL = format.segments.contains { $0.kind == .number && $0.spec.conversion == UInt8(ascii: "c") }
            // Settle everything rendering would otherwise load on first use.
            if format.usesKernelSymbols { _ = catalog.symbols.kernelSymbols }
            format.resolveSymbolConstants(renderer)
        }
        p.pointee.name = event.nameBytes.withUnsafeBytes { $0 }
        p.pointee.state = 1
    }

    /// True when `data`'s text depends on nothing but the record (so a worker thread may render it).
    @inline(__always)
    func canRenderAlone(_ data: UnsafeRawBufferPointer) -> Bool {
        let id = Int(ByteReader.unsigned(data, at: typeOffset, size: typeSize, order: order))
        guard let p = plan(id) else { return false }
        return p.pointee.simple && !raw
    }

    /// Writes one event line, newline included (see `TraceCmdLine.writeEvent`).
    @inline(__always)
    public func writeEvent(_ data: UnsafeRawBufferPointer, cpu: Int, timestamp: UInt64, nanoseconds: Bool,
                           to out: inout LineBuffer) {
        let id = Int(ByteReader.unsigned(data, at: typeOffset, size: typeSize, order: order))
        guard let plan = plan(id), let event = plan.pointee.event else {
            TraceCmdLine.writeEvent(data, catalog: catalog, cpu: cpu, timestamp: timestamp, nanoseconds: nanoseconds,
                                    raw: raw, to: &out)
            return
        }
        let lineStart = out.count
        let pid = Int32(truncatingIfNeeded: ByteReader.unsigned(data, at: pidOffset, size: pidSize, order: order))
        let head = heads + Int(UInt32(bitPattern: pid) &* 2_654_435_761 >> 22) % TraceCmdLineWriter.headCacheSize
        if head.pointee.pid == pid && head.pointee.cpu == Int32(truncatingIfNeeded: cpu) {
            withUnsafeBytes(of: &head.pointee.bytes) { out.write(UnsafeRawBufferPointer(rebasing: $0[0..<head.pointee.length])) }
        } else {
            let comm = taskNames.nameBytes(of: pid)
            if comm.count < 16 { out.write(repeating: 0x20, count: 16 - comm.count) }
            out.write(comm)
            out.write(byte: UInt8(ascii: "-"))
            let pidStart = out.count
            out.writeDecimal(Int64(pid))
            let pidWidth = out.count - pidStart
            if pidWidth < 5 { out.write(repeating: 0x20, count: 5 - pidWidth) }
            out.write(" [" as StaticString)
            out.writeDecimal(UInt64(cpu), width: 3, pad: UInt8(ascii: "0"))
            out.write(byte: UInt8(ascii: "]"))
            let length = out.count - lineStart
            if length <= 64 {
                head.pointee.pid = pid
                head.pointee.cpu = Int32(truncatingIfNeeded: cpu)
                head.pointee.length = length
                withUnsafeMutableBytes(of: &head.pointee.bytes) { $0.copyMemory(from: UnsafeRawBufferPointer(start: out.base + lineStart, count: length)) }
            }
        }
        if nanoseconds {
            let seconds = timestamp / 1_000_000_000
            let cache = secondsCache
            if cache.pointee.seconds == seconds {
                withUnsafeBytes(of: &cache.pointee.bytes) { out.write(UnsafeRawBufferPointer(rebasing: $0[0..<cache.pointee.length])) }
            } else {
                let start = out.count
                out.write(byte: 0x20)
                out.writeDecimal(seconds, width: 5)
                out.write(byte: UInt8(ascii: "."))
                let length = out.count - start
                if length <= 24 {
                    cache.pointee.seconds = seconds
                    cache.pointee.length = length
                    withUnsafeMutableBytes(of: &cache.pointee.bytes) {
                        $0.copyMemory(from: UnsafeRawBufferPointer(start: out.base + start, count: length))
                    }
                }
            }
            out.writeDecimal(timestamp % 1_000_000_000, width: 9, pad: UInt8(ascii: "0"))
        } else {
            out.writeDecimal(timestamp, width: 12)
        }
        out.write(plan.pointee.nameColumn)
        let infoStart = out.count
        if plan.pointee.simple && !raw {
            renderer.write(plan.pointee.segments, data, to: &out)
            if !plan.pointee.mayWriteNUL {
                if out.last == 0x0A { out.truncate(to: out.count - 1) }
                out.write(byte: 0x0A)
                return
            }
        } else {
            event._withUnsafeGuaranteedRef { catalog.writeInfo(of: $0, record: data, raw: raw, to: &out) }
        }
        TraceCmdLine.finishLine(from: lineStart, infoStart: infoStart, &out)
    }
}
