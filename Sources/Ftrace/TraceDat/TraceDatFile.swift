import TraceIO
import TraceKit

/// A trace-cmd `trace.dat` file (version 6 or 7), mapped into memory: its metadata parsed, its
/// per-CPU data located, decoded on demand.
///
/// Damage is reported, not fatal when it can be avoided: problems found in metadata that the
/// events do not need (an event format that does not parse, a bad option) are collected in
/// `warnings`; a truncated or corrupt CPU data region ends that CPU's records with an error.
public final class TraceDatFile {
    public let path: String
    let mapped: MappedFile
    public let version: Int
    public let byteOrder: ByteOrder
    /// The `long` size of the traced kernel (from the page header's commit field).
    public private(set) var longSize: Int
    /// The page size the file declares.
    public let pageSize: Int
    public let compression: TraceCompression
    public let compressionVersion: String?
    /// The ring-buffer page layout (from the header_page text).
    public private(set) var layout: RingBufferLayout
    public let catalog: EventCatalog
    /// The top-level buffer first, then instances in file order.
    public private(set) var buffers: [TraceDatBuffer] = []
    /// The CPU count trace-cmd prints as `cpus=N`.
    public private(set) var cpuCount: Int = 0
    public private(set) var clockConversion = TraceDatClockConversion()
    /// The trace clock (`local`, `global`, `counter`, `x86-tsc` ...).
    public private(set) var traceClock: String?
    public private(set) var uname: String?
    public private(set) var traceCmdVersion: String?
    /// Per-CPU statistics recorded at the end of tracing.
    public private(set) var cpuStats: [String] = []
    public private(set) var traceID: UInt64?
    /// The clock selected in the TRACECLOCK option (the top-level `trace_clock` when recorded).
    public private(set) var traceClockOptionClock: String?

    /// Whether trace-cmd prints this file's timestamps as seconds with nanoseconds (`%5llu.%09llu`)
    /// rather than raw counts: it does unless the recorded top-level trace clock counts something
    /// else than nanoseconds, and always when a TSC-to-nanoseconds conversion is recorded.
    public var timestampsInNanoseconds: Bool {
        clockConversion.tscMultiplier != 0 || TraceCmdLine.clockCountsNanoseconds(traceClockOptionClock)
    }

    /// Problems that did not stop reading.
    public private(set) var warnings: [TraceError] = []

    /// Kallsyms text, found while reading; parsed on first symbol lookup.
    private var kallsymsSource: KallsymsSource = .none
    private var hasTraceClockOption = false
    private var sectionOffsets: [TraceDatOption: UInt64] = [:]
    private var v6InstanceOffsets: [(name: String, offset: UInt64)] = []

    enum KallsymsSource {
        case none
        case file(Range<Int>)
        case compressed(data: Range<Int>, size: Int)
    }

    /// The trace.dat magic: `\x17\x08\x44tracing`.
    public static let magic: [UInt8] = [0x17, 0x08, 0x44] + Array("tracing".utf8)

    /// True when `bytes` start with the trace.dat magic.
    public static func hasMagic(_ bytes: UnsafeRawBufferPointer) -> Bool {
        bytes.count >= magic.count && bytes[0..<magic.count].elementsEqual(magic)
    }

    /// Opens and parses the metadata of `path`. Throws a `TraceError` naming the file and byte
    /// offset when the file is not a trace.dat file or its metadata cannot be read.
    public init(path: String) throws {
        self.path = path
        mapped = try MappedFile(path: path)
        let all = mapped.bytes
        guard TraceDatFile.hasMagic(all) else {
            throw TraceError(file: path, offset: 0, "not a trace.dat file (bad magic)")
        }
        var c = ByteCursor(bytes: all, file: path, order: .little)
        c.position = TraceDatFile.magic.count
        let versionText = try c.cString("file version")
        guard let v = Int(versionText), v == 6 || v == 7 else {
            throw TraceError(file: path, offset: 10, "unsupported trace.dat version '\(versionText)' (6 and 7 are supported)")
        }
        version = v
        let endian = try c.u8("endianness flag")
        byteOrder = endian == 0 ? .little : .big
        c = ByteCursor(bytes: all, file: path, order: byteOrder)
        c.position = TraceDatFile.magic.count + versionText.utf8.count + 2
        let declaredLong = Int(try c.u8("long size"))
        guard declaredLong == 4 || declaredLong == 8 else {
            throw c.error("long size \(declaredLong) is neither 4 nor 8", at: c.position - 1)
        }
        longSize = declaredLong
        let page = Int(try c.u32("page size"))
        guard page >= 64 && page <= 1 << 24 else { throw c.error("implausible page size \(page)", at: c.position - 4) }
        pageSize = page
        layout = RingBufferLayout(longSize: declaredLong, pageSize: page)
        if v >= 7 {
            let name = try c.cString("compression name")
            let compressionVersionText = try c.cString("compression version")
            guard let algorithm = TraceCompression(rawValue: name) else {
                throw c.error("unknown compression '\(name)'")
            }
            compression = algorithm
            compressionVersion = compressionVersionText
        } else {
            compression = .none
            compressionVersion = nil
        }
        catalog = EventCatalog(byteOrder: byteOrder, longSize: declaredLong)
        if v >= 7 {
            let optionsOffset = try c.u64("offset of the first options section")
            try readSectionedMetadata(firstOptions: optionsOffset)
        } else {
            try readVersion6(&c)
        }
        let source = kallsymsSource
        let file = path
        let compression = self.compression
        let mapped = self.mapped
        let order = byteOrder
        catalog.symbols = SymbolTables(kernelSymbols: {
            switch source {
            case .none: return KernelSymbols()
            case .file(let r): return KernelSymbols(kallsyms: UnsafeRawBufferPointer(rebasing: mapped.bytes[r]))
            case .compressed(let r, let size):
                guard let data = try? compression.decompress(UnsafeRawBufferPointer(rebasing: mapped.bytes[r]), size: size) else {
                    _ = file
                    return KernelSymbols()
                }
                return data.withUnsafeBytes { raw in
                    // Section body: 4-byte size, then the text.
                    var cc = ByteCursor(bytes: raw, file: file, order: order)
                    guard let n = try? cc.u32("kallsyms size"), Int(n) <= cc.remaining else { return KernelSymbols() }
                    return KernelSymbols(kallsyms: UnsafeRawBufferPointer(rebasing: raw[4..<(4 + Int(n))]))
                }
            }
        }, printkFormats: catalog.symbols.printkFormats)
    }

    /// The file's bytes.
    var bytes: UnsafeRawBufferPointer { mapped.bytes }

    private func warn(_ error: TraceError) { warnings.append(error) }

    // MARK: - Version 6

    private func readVersion6(_ c: inout ByteCursor) throws {
        try readHeaderInfo(&c)
        try readFtraceEvents(&c)
        try readEventFormats(&c)
        let kallsymsSize = try c.length(UInt64(try c.u32("kallsyms size")), "kallsyms")
        kallsymsSource = .file(c.position..<(c.position + kallsymsSize))
        c.position += kallsymsSize
        try readPrintk(&c)
        try readCmdlines(&c)
        cpuCount = Int(try c.u32("CPU count"))
        var marker = try c.array(10, "section marker")
        if marker.starts(with: Array("options".utf8)) {
            try readOptions(&c, sectioned: false)
            marker = try c.array(10, "section marker")
        }
        var top = TraceDatBuffer(name: "", clock: nil, isLatency: false, cpus: [], offset: UInt64(c.position - 10))
        if marker.starts(with: Array("latency".utf8)) {
            top.isLatency = true
            buffers.insert(top, at: 0)
        } else if marker.starts(with: Array("flyrecord".utf8)) {
            top.cpus = try readFlyrecordCPUs(&c, count: cpuCount)
            if hasTraceClockOption {
                if let n = try? c.u64("trace clock size"), let size = try? c.length(n, "trace clock"),
                   let text = try? c.bytes(size, "trace clock") {
                    traceClock = TraceDatFile.selectedClock(String(decoding: text, as: UTF8.self))
                } else {
                    warn(c.error("trace clock data is damaged; using the local clock"))
                    traceClock = "local"
                }
            }
            buffers.insert(top, at: 0)
        } else {
            throw c.error("expected \"flyrecord\" or \"latency\" but found \"\(String(decoding: marker.prefix(9), as: UTF8.self))\"", at: c.position - 10)
        }
        // Instances recorded in the same file (BUFFER options).
        for instance in v6InstanceOffsets {
            var ic = ByteCursor(bytes: bytes, file: path, order: byteOrder)
            guard instance.offset < UInt64(bytes.count) else {
                warn(TraceError(file: path, offset: Int(clamping: instance.offset), "buffer \"\(instance.name)\" lies beyond the end of the file"))
                continue
            }
            ic.position = Int(instance.offset)
            do {
                var m = try ic.array(10, "section marker")
                if m.starts(with: Array("options".utf8)) {
                    try readOptions(&ic, sectioned: false)
                    m = try ic.array(10, "section marker")
                }
                guard m.starts(with: Array("flyrecord".utf8)) else {
                    throw ic.error("buffer \"\(instance.name)\": expected \"flyrecord\"", at: ic.position - 10)
                }
                let cpus = try readFlyrecordCPUs(&ic, count: cpuCount)
                buffers.append(TraceDatBuffer(name: instance.name, clock: nil, isLatency: false, cpus: cpus, offset: instance.offset))
            } catch let e as TraceError {
                warn(e)
            }
        }
    }

    private func readFlyrecordCPUs(_ c: inout ByteCursor, count: Int) throws -> [TraceDatCPUData] {
        var cpus: [TraceDatCPUData] = []
        for cpu in 0..<count {
            let offset = try c.u64("CPU \(cpu) data offset")
            let size = try c.u64("CPU \(cpu) data size")
            cpus.append(TraceDatCPUData(cpu: cpu, offset: offset, size: size))
        }
        return cpus
    }

    /// The clock in brackets of a `trace_clock` file (`[local] global counter`).
    static func selectedClock(_ text: String) -> String? {
        for word in text.split(whereSeparator: { $0 == " " || $0 == "\n" }) where word.hasPrefix("[") {
            let inner = word.dropFirst().split(separator: "]", omittingEmptySubsequences: false).first ?? ""
            let name = inner.split(whereSeparator: { $0 == " " || $0 == "\t" || $0 == "\n" }).first
            return name.map(String.init)
        }
        return nil
    }

    // MARK: - Metadata blocks (shared by v6 and v7 sections)

    private func readHeaderInfo(_ c: inout ByteCursor) throws {
        try c.expect("header_page\0", "\"header_page\"")
        let size = try c.length(try c.u64("header_page size"), "header_page")
        let text = try c.array(size, "header_page")
        do {
            layout = try RingBufferLayout.parse(headerPage: text)
            longSize = layout.commitSize
        } catch let e as FormatParseError {
            warn(c.error("header_page does not parse (\(e.message)); using the default page layout", at: c.position - size + e.offset))
        }
        try c.expect("header_event\0", "\"header_event\"")
        let eventSize = try c.length(try c.u64("header_event size"), "header_event")
        c.position += eventSize
        // Formats are read after the page header, which tells the kernel's long size.
        catalog.longSize = longSize
    }

    private var activeCatalog: EventCatalog { catalog }

    private func readFtraceEvents(_ c: inout ByteCursor) throws {
        let count = try c.u32("ftrace event count")
        for i in 0..<count {
            let size = try c.length(try c.u64("ftrace event \(i) format size"), "ftrace event format")
            let start = c.position
            let text = try c.array(size, "ftrace event format")
            addFormat(text, system: "ftrace", at: c.base + start, cursor: c)
        }
    }

    private func readEventFormats(_ c: inout ByteCursor) throws {
        let systems = try c.u32("event system count")
        for _ in 0..<systems {
            let system = try c.cString("event system name")
            let count = try c.u32("event count of system \(system)")
            for i in 0..<count {
                let size = try c.length(try c.u64("\(system) event \(i) format size"), "\(system) event format")
                let start = c.position
                let text = try c.array(size, "\(system) event format")
                addFormat(text, system: system, at: c.base + start, cursor: c)
            }
        }
    }

    private func addFormat(_ text: [UInt8], system: String, at offset: Int, cursor c: ByteCursor) {
        do {
            try activeCatalog.addFormat(text, system: system)
        } catch let e as FormatParseError {
            let name = TraceDatFile.formatName(text) ?? "?"
            if c.context != nil {
                warn(c.error("event format \(system):\(name) does not parse: \(e.message)", at: offset - c.base + e.offset))
            } else {
                warn(TraceError(file: path, offset: offset + e.offset, "event format \(system):\(name) does not parse: \(e.message)"))
            }
        } catch {}
    }

    static func formatName(_ text: [UInt8]) -> String? {
        var t = FormatTokenizer(text)
        guard t.next().isItem("name"), t.next().isOp(":") else { return nil }
        let n = t.next()
        return n.kind == .item ? n.text : nil
    }

    private func readPrintk(_ c: inout ByteCursor) throws {
        let size = try c.length(UInt64(try c.u32("printk formats size")), "printk formats")
        let text = try c.bytes(size, "printk formats")
        activeCatalog.symbols = SymbolTables(kernelSymbols: { KernelSymbols() }, printkFormats: PrintkFormats(text: text))
    }

    private func readCmdlines(_ c: inout ByteCursor) throws {
        let size = try c.length(try c.u64("saved cmdlines size"), "saved cmdlines")
        let text = try c.bytes(size, "saved cmdlines")
        activeCatalog.taskNames = TaskNames(savedCmdlines: text)
    }

    // MARK: - Options

    private func readOptions(_ c: inout ByteCursor, sectioned: Bool) throws {
        while true {
            let id = try c.u16("option id")
            if !sectioned && id == TraceDatOption.done.rawValue { return }
            let size = try c.length(UInt64(try c.u32("option size")), "option \(id)")
            let start = c.position
            let data = try c.bytes(size, "option \(id)")
            var o = ByteCursor(bytes: data, base: c.base + start, file: path, order: byteOrder)
            do {
                if try handleOption(id, &o, sectioned: sectioned) { return }
            } catch let e as TraceError {
                warn(e)
            }
        }
    }

    /// Handles one option; returns true at the DONE option of a sectioned file.
    private func handleOption(_ id: UInt16, _ o: inout ByteCursor, sectioned: Bool) throws -> Bool {
        func text() -> String {
            var end = 0
            while end < o.bytes.count && o.bytes[end] != 0 { end += 1 }
            return String(decoding: UnsafeRawBufferPointer(rebasing: o.bytes[0..<end]), as: UTF8.self)
        }
        switch TraceDatOption(rawValue: id) {
        case .done:
            let next = try o.u64("next options section offset")
            if next != 0 { pendingOptionSections.append(next) }
            return true
        case .date:
            clockConversion.offset &+= CNumber.parseSigned(text()) &* 1000
        case .offset:
            clockConversion.offset &+= CNumber.parseSigned(text())
        case .cpuStat:
            cpuStats.append(text())
        case .buffer, .bufferText:
            let offset = try o.u64("buffer offset")
            let name = try o.cString("buffer name")
            if !sectioned {
                v6InstanceOffsets.append((name, offset))
                return false
            }
            let clock = try o.cString("buffer clock")
            sawBufferOption = true
            if name.isEmpty && traceClock == nil { traceClock = clock }
            if id == TraceDatOption.bufferText.rawValue {
                buffers.append(TraceDatBuffer(name: name, clock: clock, isLatency: true, cpus: [], offset: offset))
                return false
            }
            _ = try o.u32("buffer page size")
            let count = try o.u32("buffer CPU count")
            var cpus: [TraceDatCPUData] = []
            for i in 0..<count {
                let cpu = try o.u32("buffer CPU \(i) id")
                let off = try o.u64("buffer CPU \(i) offset")
                let size = try o.u64("buffer CPU \(i) size")
                cpus.append(TraceDatCPUData(cpu: Int(cpu), offset: off, size: size))
            }
            let buffer = TraceDatBuffer(name: name, clock: clock, isLatency: false, cpus: cpus, offset: offset)
            if name.isEmpty { buffers.insert(buffer, at: 0) } else { buffers.append(buffer) }
        case .traceClock:
            hasTraceClockOption = true
            traceClockOptionClock = TraceDatFile.selectedClock(text())
        case .uname:
            uname = text()
        case .version:
            traceCmdVersion = text()
        case .cpuCount:
            cpuCount = Int(try o.u32("CPU count"))
        case .traceID:
            if o.bytes.count >= 8 { traceID = try o.u64("trace id") }
        case .tsc2nsec:
            if o.bytes.count >= 16 {
                clockConversion.tscMultiplier = try o.u32("TSC multiplier")
                clockConversion.tscShift = try o.u32("TSC shift")
                clockConversion.tscOffset = try o.u64("TSC offset")
            }
        case .headerInfo, .ftraceEvents, .eventFormats, .kallsyms, .printk, .cmdlines:
            if o.bytes.count >= 8, let option = TraceDatOption(rawValue: id) {
                sectionOffsets[option] = try o.u64("section offset")
            }
        case .timeShift:
            guard o.bytes.count >= 16 else { break }
            clockConversion.hostSync = try TraceDatFile.readTimeShift(&o)
        case .hook, .procMaps, .guest, .strings, .none:
            break
        }
        return false
    }

    private var pendingOptionSections: [UInt64] = []
    /// True once a BUFFER option of a v7 file was read (else the data is looked for).
    private var sawBufferOption = false

    /// The TIME_SHIFT option: peer id, flags, then per CPU the sample count and the arrays of
    /// times, offsets and scalings; optionally the fraction bits of every CPU after that.
    static func readTimeShift(_ o: inout ByteCursor) throws -> TimeShift {
        let peer = try o.u64("time shift peer id")
        let flags = try o.u32("time shift flags")
        let cpus = Int(try o.u32("time shift CPU count"))
        guard cpus <= o.remaining / 4 else { throw o.error("time shift CPU count \(cpus) does not fit the option") }
        var samples: [[TimeShift.Sample]] = []
        for cpu in 0..<cpus {
            let count = Int(try o.u32("time shift sample count of CPU \(cpu)"))
            guard count <= o.remaining / 24 else { throw o.error("time shift sample count \(count) does not fit the option") }
            var s = (0..<count).map { _ in TimeShift.Sample(time: 0, offset: 0, scaling: 1, fraction: 0) }
            for i in 0..<count { s[i].time = Int64(bitPattern: try o.u64("time shift time")) }
            for i in 0..<count { s[i].offset = Int64(bitPattern: try o.u64("time shift offset")) }
            for i in 0..<count { s[i].scaling = Int64(bitPattern: try o.u64("time shift scaling")) }
            samples.append(s)
        }
        if o.remaining > 0 {
            for cpu in 0..<cpus {
                for i in 0..<samples[cpu].count { samples[cpu][i].fraction = Int64(bitPattern: try o.u64("time shift fraction")) }
            }
        }
        for cpu in 0..<cpus {
            let sorted = samples[cpu].enumerated().sorted { $0.element.time != $1.element.time ? $0.element.time < $1.element.time : $0.offset < $1.offset }.map(\.element)
            var unique: [TimeShift.Sample] = []
            for s in sorted where unique.last?.time != s.time { unique.append(s) }
            samples[cpu] = unique
        }
        return TimeShift(peerTraceID: peer, flags: flags, samples: samples)
    }

    // MARK: - Version 7 sections

    /// A section's header and its (decompressed) data.
    private func sectionData(at offset: UInt64, expecting id: TraceDatOption, name: String) throws -> (ByteCursor, [UInt8]?) {
        guard offset < UInt64(bytes.count) else {
            throw TraceError(file: path, offset: Int(clamping: offset), "\(name) section lies beyond the end of the file (\(bytes.count) bytes)")
        }
        var c = ByteCursor(bytes: bytes, file: path, order: byteOrder)
        c.position = Int(offset)
        let sectionID = try c.u16("\(name) section id")
        let flags = try c.u16("\(name) section flags")
        _ = try c.u32("\(name) section description")
        let size = try c.length(try c.u64("\(name) section size"), "\(name) section")
        guard sectionID == id.rawValue else {
            throw c.error("expected the \(name) section (id \(id.rawValue)) but found section id \(sectionID)", at: Int(offset))
        }
        let start = c.position
        if flags & 1 != 0 {
            var h = ByteCursor(bytes: UnsafeRawBufferPointer(rebasing: bytes[start..<(start + size)]), base: start, file: path, order: byteOrder)
            let compressedSize = try h.length(UInt64(try h.u32("\(name) compressed size")), "\(name) compressed data")
            let fullSize = Int(try h.u32("\(name) uncompressed size"))
            let data = try h.bytes(compressedSize, "\(name) compressed data")
            let inflated: [UInt8]
            do {
                inflated = try compression.decompress(data, size: fullSize)
            } catch let e as DecompressionError {
                throw TraceError(file: path, offset: start + 8, "\(name) section does not inflate: \(e.message)")
            }
            return (ByteCursor(bytes: UnsafeRawBufferPointer(start: nil, count: 0), base: start, file: path, order: byteOrder), inflated)
        }
        return (ByteCursor(bytes: UnsafeRawBufferPointer(rebasing: bytes[start..<(start + size)]), base: start, file: path, order: byteOrder), nil)
    }

    /// Runs `body` on a section's data, decompressed when needed.
    private func withSection(_ id: TraceDatOption, name: String, _ body: (inout ByteCursor) throws -> Void) throws {
        guard let offset = sectionOffsets[id] else { return }
        let (cursor, inflated) = try sectionData(at: offset, expecting: id, name: name)
        if let inflated {
            try inflated.withUnsafeBytes { raw in
                var c = ByteCursor(bytes: raw, base: cursor.base, file: path, order: byteOrder,
                                   context: "in the \(name) section decompressed from byte \(cursor.base)")
                try body(&c)
            }
        } else {
            var c = cursor
            try body(&c)
        }
    }

    private func readSectionedMetadata(firstOptions: UInt64) throws {
        var next: UInt64? = firstOptions
        var seen: Set<UInt64> = []
        // Where the first options section ends: the data sections follow it.
        var readOptionsEnd = 0
        var lostOptions: TraceError?
        while let offset = next, !seen.contains(offset) {
            seen.insert(offset)
            do {
                var (c, inflated) = try sectionData(at: offset, expecting: .done, name: "options")
                if let inflated {
                    try inflated.withUnsafeBytes { raw in
                        var ic = ByteCursor(bytes: raw, base: c.base, file: path, order: byteOrder, context: "in the options section at byte \(offset)")
                        try readOptions(&ic, sectioned: true)
                    }
                } else {
                    try readOptions(&c, sectioned: true)
                }
                if readOptionsEnd == 0 { readOptionsEnd = sectionEnd(at: offset) }
            } catch let e as TraceError where seen.count > 1 {
                // The options written after the data (where the CPU data lies) are lost, as in a
                // file cut short: the metadata is known, the data is looked for below.
                lostOptions = e
            }
            next = pendingOptionSections.popLast()
        }
        try withSection(.headerInfo, name: "header info") { try readHeaderInfo(&$0) }
        do {
            try withSection(.ftraceEvents, name: "ftrace event formats") { try readFtraceEvents(&$0) }
        } catch let e as TraceError { warn(e) }
        do {
            try withSection(.eventFormats, name: "event formats") { try readEventFormats(&$0) }
        } catch let e as TraceError { warn(e) }
        do {
            try withSection(.printk, name: "printk formats") { try readPrintk(&$0) }
        } catch let e as TraceError { warn(e) }
        do {
            try withSection(.cmdlines, name: "saved cmdlines") { try readCmdlines(&$0) }
        } catch let e as TraceError { warn(e) }
        if let offset = sectionOffsets[.kallsyms] {
            do {
                let (c, inflated) = try sectionDataRange(at: offset, name: "kallsyms")
                kallsymsSource = inflated ?? .file(c)
            } catch let e as TraceError { warn(e) }
        }
        if !sawBufferOption || lostOptions != nil, readOptionsEnd > 0 {
            salvageBuffers(after: readOptionsEnd, lostOptions: lostOptions)
        }
        if buffers.first?.name != "" {
            buffers.insert(TraceDatBuffer(name: "", clock: traceClock, isLatency: false, cpus: [], offset: 0), at: 0)
        }
    }

    /// The end of the section whose header is at `offset` (already read once, so in the file).
    private func sectionEnd(at offset: UInt64) -> Int {
        let start = Int(offset)
        let size = ByteReader.unsigned(bytes, at: start + 8, size: 8, order: byteOrder)
        return min(bytes.count, start + 16 + Int(clamping: size))
    }

    /// No BUFFER option said where the CPU data lies (the options after the data are lost): the
    /// data sections are found by walking the file (see `FlyrecordSalvage`), with a warning.
    private func salvageBuffers(after offset: Int, lostOptions: TraceError?) {
        let salvage = FlyrecordSalvage(bytes: bytes, path: path, order: byteOrder, pageSize: pageSize,
                                       compressed: compression != .none, cpuCount: cpuCount > 0 ? cpuCount : nil)
        let known = Set(buffers.filter { !$0.isLatency }.map(\.offset))
        let found = salvage.scan(from: offset).filter { !known.contains($0.offset) }
        let why = lostOptions.map { lost in
            (lost.offset.map { "options section at byte \($0): " } ?? "") + lost.message + "; "
        } ?? "no BUFFER option; "
        guard !found.isEmpty else {
            if let lostOptions { warn(lostOptions) }
            return
        }
        let blocks = found.reduce(0) { $0 + $1.cpus.count }
        warn(TraceError(file: path, offset: offset,
                        why + "the options that say where the CPU data lies are missing (file cut short?): "
                        + "\(blocks) CPU data block(s) found in \(found.count) data section(s) after byte \(offset), "
                        + "numbered as CPUs in file order, buffer names unknown"))
        var unnamed = 0
        for var buffer in found {
            if !buffers.contains(where: { $0.name.isEmpty && !$0.cpus.isEmpty }) {
                buffer.name = ""
                buffer.clock = traceClock
                buffers.insert(buffer, at: 0)
            } else {
                unnamed += 1
                buffer.name = "unnamed\(unnamed)"
                buffers.append(buffer)
            }
        }
    }

    /// Locates the kallsyms text without decompressing it.
    private func sectionDataRange(at offset: UInt64, name: String) throws -> (Range<Int>, KallsymsSource?) {
        guard offset < UInt64(bytes.count) else {
            throw TraceError(file: path, offset: Int(clamping: offset), "\(name) section lies beyond the end of the file")
        }
        var c = ByteCursor(bytes: bytes, file: path, order: byteOrder)
        c.position = Int(offset)
        let id = try c.u16("\(name) section id")
        let flags = try c.u16("\(name) section flags")
        _ = try c.u32("\(name) section description")
        let size = try c.length(try c.u64("\(name) section size"), "\(name) section")
        guard id == TraceDatOption.kallsyms.rawValue else {
            throw c.error("expected the \(name) section but found section id \(id)", at: Int(offset))
        }
        if flags & 1 != 0 {
            let compressedSize = try c.length(UInt64(try c.u32("\(name) compressed size")), "\(name) data")
            let full = Int(try c.u32("\(name) uncompressed size"))
            return (0..<0, .compressed(data: c.position..<(c.position + compressedSize), size: full))
        }
        let textSize = try c.length(UInt64(try c.u32("kallsyms size")), "kallsyms")
        _ = size
        return (c.position..<(c.position + textSize), nil)
    }
}
