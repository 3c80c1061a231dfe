#if canImport(Glibc)
import Glibc
#endif
import TraceIO

/// Writes trace.dat files as `trace-cmd extract` does: version 7 (sections, zstd or zlib
/// compression, or none) or version 6, with the metadata of `TraceDatMetadata` and the raw
/// ring-buffer pages of each CPU stored as the top-level buffer.
///
/// Layout of version 7 (trace-cmd.dat.v7(5)): file header; sections HEADER_INFO, FTRACE_EVENTS,
/// EVENT_FORMATS, KALLSYMS, PRINTK, CMDLINES; an OPTIONS section pointing at them; the BUFFER
/// section with page-aligned per-CPU data (compressed in chunks of 10 pages); a second OPTIONS
/// section describing the buffer; the STRINGS section with the section descriptions.
public final class TraceDatWriter {
    /// The file version and compression to write.
    public enum Format: Sendable, Equatable {
        case version6
        case version7(Compression)

        public enum Compression: String, Sendable, Equatable, CaseIterable {
            case zstd, zlib, none
        }
    }

    /// One CPU's raw pages: a file of whole pages as read from `trace_pipe_raw`.
    public struct CPUData: Sendable {
        public var cpu: Int
        public var path: String

        public init(cpu: Int, path: String) {
            self.cpu = cpu
            self.path = path
        }
    }

    /// Option ids (trace-cmd.dat.v7(5)).
    enum OptionID: UInt16 {
        case done = 0, date = 1, cpuStat = 2, buffer = 3, traceClock = 4, uname = 5, hook = 6, offset = 7
        case cpuCount = 8, version = 9, procMaps = 10, traceID = 11, timeShift = 12, guest = 13
        case tsc2nsec = 14, strings = 15, headerInfo = 16, ftraceEvents = 17, eventFormats = 18
        case kallsyms = 19, printk = 20, cmdlines = 21, bufferText = 22
    }

    /// Data pages are compressed in chunks of this many pages (as trace-cmd does).
    static let pagesPerChunk = 10

    public let path: String
    public let format: Format
    let metadata: TraceDatMetadata
    private let file: TraceDatOutputFile
    private let compressor: TraceDatCompressor?
    private var strings: [UInt8] = []
    private var pendingOptions: [(id: OptionID, data: [UInt8])] = []
    /// Where the last written options section keeps its "next options section" offset.
    private var lastOptionsNextField: Int?

    /// Creates `path` and writes everything before the trace data.
    public init(path: String, metadata: TraceDatMetadata, format: Format = .version7(.zstd)) throws {
        self.path = path
        self.format = format
        self.metadata = metadata
        guard metadata.pageSize > 0, metadata.pageSize & (metadata.pageSize - 1) == 0 else {
            throw TraceDatWriterError("page size \(metadata.pageSize) is not a power of two")
        }
        file = try TraceDatOutputFile(path: path)
        switch format {
        case .version6, .version7(.none): compressor = nil
        case .version7(.zstd): compressor = try TraceDatCompressor(.zstd)
        case .version7(.zlib): compressor = try TraceDatCompressor(.zlib)
        }
        do {
            if case .version6 = format { try writeVersion6Head() } else { try writeVersion7Head() }
        } catch {
            file.close()
            unlink(path)
            throw error
        }
    }

    /// Writes the CPUs' pages (CPUs without a file, or with an empty one, are recorded as empty)
    /// and completes the file.
    public func finish(cpuData: [CPUData]) throws {
        defer { file.close() }
        if case .version6 = format {
            try writeVersion6Data(cpuData)
        } else {
            try writeVersion7Data(cpuData)
        }
        try file.flush()
    }

    /// Abandons the file (removes it).
    public func discard() {
        file.close()
        unlink(path)
    }

    // MARK: shared pieces

    private var isCompressed: Bool { compressor != nil }

    private func fileHeader(version: String) -> TraceDatByteWriter {
        var w = TraceDatByteWriter()
        w.bytes([0x17, 0x08, 0x44])
        w.string("tracing", terminated: false)
        w.string(version)
        w.u8(0) // little endian: the pages are in the host's order
        w.u8(UInt8(metadata.longSize))
        w.u32(UInt32(metadata.pageSize))
        return w
    }

    private func headerInfo() -> [UInt8] {
        var w = TraceDatByteWriter()
        w.string("header_page")
        w.u64(UInt64(metadata.headerPage.count))
        w.bytes(metadata.headerPage)
        w.string("header_event")
        w.u64(UInt64(metadata.headerEvent.count))
        w.bytes(metadata.headerEvent)
        return w.data
    }

    private func ftraceEvents() -> [UInt8] {
        var w = TraceDatByteWriter()
        w.u32(UInt32(metadata.ftraceFormats.count))
        for format in metadata.ftraceFormats {
            w.u64(UInt64(format.count))
            w.bytes(format)
        }
        return w.data
    }

    private func eventFormats() -> [UInt8] {
        var w = TraceDatByteWriter()
        w.u32(UInt32(metadata.eventSystems.count))
        for system in metadata.eventSystems {
            w.string(system.name)
            w.u32(UInt32(system.formats.count))
            for format in system.formats {
                w.u64(UInt64(format.count))
                w.bytes(format)
            }
        }
        return w.data
    }

    private func sized32(_ data: [UInt8]) -> [UInt8] {
        var w = TraceDatByteWriter()
        w.u32(UInt32(data.count))
        w.bytes(data)
        return w.data
    }

    private func sized64(_ data: [UInt8]) -> [UInt8] {
        var w = TraceDatByteWriter()
        w.u64(UInt64(data.count))
        w.bytes(data)
        return w.data
    }

    /// The options every file carries, in trace-cmd's order.
    private func descriptiveOptions() -> [(OptionID, [UInt8])] {
        var options: [(OptionID, [UInt8])] = []
        options.append((.traceClock, Array(metadata.traceClockFile.utf8) + [0]))
        options.append((.uname, Array(metadata.uname.utf8) + [0]))
        options.append((.version, Array(metadata.version.utf8) + [0]))
        var id = TraceDatByteWriter()
        id.u64(metadata.traceID)
        options.append((.traceID, id.data))
        for (cpu, stats) in metadata.cpuStats.enumerated() {
            options.append((.cpuStat, Array("CPU: \(cpu)\n\(stats)".utf8) + [0]))
        }
        return options
    }

    private func cpuCountOption() -> (OptionID, [UInt8]) {
        var w = TraceDatByteWriter()
        w.u32(UInt32(metadata.cpuCount))
        return (.cpuCount, w.data)
    }

    // MARK: version 7

    private func addString(_ text: String) -> UInt32 {
        let id = UInt32(strings.count)
        strings += Array(text.utf8) + [0]
        return id
    }

    private func writeVersion7Head() throws {
        var header = fileHeader(version: "7")
        header.string(compressor?.name ?? "none")
        header.string(compressor?.version ?? "")
        let firstOptionsField = file.position + header.data.count
        header.u64(0)
        try file.write(header.data)

        let headers = try writeSection(.headerInfo, "headers", headerInfo(), compress: isCompressed)
        let ftrace = try writeSection(.ftraceEvents, "ftrace events", ftraceEvents(), compress: isCompressed)
        let events = try writeSection(.eventFormats, "events format", eventFormats(), compress: isCompressed)
        let kallsyms = try writeSection(.kallsyms, "kallsyms", sized32(metadata.kallsyms), compress: isCompressed)
        let printk = try writeSection(.printk, "printk", sized32(metadata.printkFormats), compress: isCompressed)
        let cmdlines = try writeSection(.cmdlines, "command lines", sized64(metadata.savedCmdlines), compress: isCompressed)

        var options: [(OptionID, [UInt8])] = []
        for (id, offset) in [(OptionID.headerInfo, headers), (.ftraceEvents, ftrace), (.eventFormats, events),
                             (.kallsyms, kallsyms), (.printk, printk)] {
            var w = TraceDatByteWriter()
            w.u64(UInt64(offset))
            options.append((id, w.data))
        }
        options += descriptiveOptions()
        var cmdlinesOffset = TraceDatByteWriter()
        cmdlinesOffset.u64(UInt64(cmdlines))
        options.append((.cmdlines, cmdlinesOffset.data))
        options.append(cpuCountOption())
        try file.patch(u64: UInt64(file.position), at: firstOptionsField)
        try writeOptionsSection(options)
    }

    /// Writes a section and returns the offset of its header.
    @discardableResult
    private func writeSection(_ id: OptionID, _ description: String, _ content: [UInt8], compress: Bool) throws -> Int {
        let start = file.position
        var header = TraceDatByteWriter()
        header.u16(id.rawValue)
        header.u16(compress ? 1 : 0)
        header.u32(addString(description))
        if compress, let compressor {
            let packed = try compressor.compress(content)
            header.u64(UInt64(8 + packed.count))
            header.u32(UInt32(packed.count))
            header.u32(UInt32(content.count))
            try file.write(header.data)
            try file.write(packed)
        } else {
            header.u64(UInt64(content.count))
            try file.write(header.data)
            try file.write(content)
        }
        return start
    }

    /// Writes an options section ending in DONE, linking the previous section's DONE to it.
    private func writeOptionsSection(_ options: [(OptionID, [UInt8])]) throws {
        let start = file.position
        if let previous = lastOptionsNextField { try file.patch(u64: UInt64(start), at: previous) }
        var body = TraceDatByteWriter()
        for (id, data) in options {
            body.u16(id.rawValue)
            body.u32(UInt32(data.count))
            body.bytes(data)
        }
        body.u16(OptionID.done.rawValue)
        body.u32(8)
        let nextField = start + 16 + body.data.count
        body.u64(0)
        var header = TraceDatByteWriter()
        header.u16(OptionID.done.rawValue)
        header.u16(0)
        header.u32(addString("options"))
        header.u64(UInt64(body.data.count))
        try file.write(header.data)
        try file.write(body.data)
        lastOptionsNextField = nextField
    }

    private func writeVersion7Data(_ cpuData: [CPUData]) throws {
        let pageSize = metadata.pageSize
        let sectionStart = file.position
        var header = TraceDatByteWriter()
        header.u16(OptionID.buffer.rawValue)
        header.u16(isCompressed ? 1 : 0)
        header.u32(addString("buffer flyrecord "))
        let sizeField = file.position + 8
        header.u64(0)
        try file.write(header.data)

        var described: [(cpu: Int, offset: Int, size: Int)] = []
        for cpu in 0..<metadata.cpuCount {
            let offset = (file.position + pageSize - 1) / pageSize * pageSize
            try file.pad(to: offset)
            guard let source = cpuData.first(where: { $0.cpu == cpu }), let input = try TraceDatInputFile(path: source.path),
                  input.size > 0 else { continue }
            defer { input.close() }
            let written: Int
            if let compressor {
                written = try writeCompressedChunks(from: input, compressor: compressor)
            } else {
                written = try copy(from: input)
            }
            described.append((cpu, offset, written))
        }
        try file.patch(u64: UInt64(file.position - sectionStart - 16), at: sizeField)

        var option = TraceDatByteWriter()
        option.u64(UInt64(sectionStart))
        option.string("")
        option.string(metadata.clock)
        option.u32(UInt32(pageSize))
        option.u32(UInt32(described.count))
        for entry in described {
            option.u32(UInt32(entry.cpu))
            option.u64(UInt64(entry.offset))
            option.u64(UInt64(entry.size))
        }
        try writeOptionsSection([(.buffer, option.data)])
        try writeStringsSection()
    }

    /// The strings section holds every description, its own included.
    private func writeStringsSection() throws {
        let descriptionID = addString("strings")
        var header = TraceDatByteWriter()
        header.u16(OptionID.strings.rawValue)
        header.u16(isCompressed ? 1 : 0)
        header.u32(descriptionID)
        if let compressor {
            let packed = try compressor.compress(strings)
            header.u64(UInt64(8 + packed.count))
            header.u32(UInt32(packed.count))
            header.u32(UInt32(strings.count))
            try file.write(header.data)
            try file.write(packed)
        } else {
            header.u64(UInt64(strings.count))
            try file.write(header.data)
            try file.write(strings)
        }
    }

    /// Writes a CPU's pages as compressed chunks: a chunk count, then per chunk the compressed
    /// size, the uncompressed size and the data. Returns the size trace-cmd records for it (the
    /// chunks without the count).
    private func writeCompressedChunks(from input: TraceDatInputFile, compressor: TraceDatCompressor) throws -> Int {
        let chunkSize = Self.pagesPerChunk * metadata.pageSize
        let countField = file.position
        try file.write([0, 0, 0, 0])
        var chunks: UInt32 = 0
        var written = 0
        var buffer = [UInt8](repeating: 0, count: chunkSize)
        while true {
            let count = try buffer.withUnsafeMutableBytes { try input.read(into: $0) }
            if count == 0 { break }
            let packed = try buffer.withUnsafeBytes { try compressor.compress(UnsafeRawBufferPointer(rebasing: $0[0..<count])) }
            var head = TraceDatByteWriter()
            head.u32(UInt32(packed.count))
            head.u32(UInt32(count))
            try file.write(head.data)
            try file.write(packed)
            written += 8 + packed.count
            chunks += 1
        }
        try file.patch(u32: chunks, at: countField)
        return written
    }

    private func copy(from input: TraceDatInputFile) throws -> Int {
        var buffer = [UInt8](repeating: 0, count: 1 << 20)
        var total = 0
        while true {
            let count = try buffer.withUnsafeMutableBytes { try input.read(into: $0) }
            if count == 0 { break }
            try buffer.withUnsafeBytes { try file.write(UnsafeRawBufferPointer(rebasing: $0[0..<count])) }
            total += count
        }
        return total
    }

    // MARK: version 6

    private func writeVersion6Head() throws {
        var w = fileHeader(version: "6")
        w.bytes(headerInfo())
        w.bytes(ftraceEvents())
        w.bytes(eventFormats())
        w.bytes(sized32(metadata.kallsyms))
        w.bytes(sized32(metadata.printkFormats))
        w.bytes(sized64(metadata.savedCmdlines))
        w.u32(UInt32(metadata.cpuCount))
        w.string("options  ")
        for (id, data) in descriptiveOptions() + [cpuCountOption()] {
            w.u16(id.rawValue)
            w.u32(UInt32(data.count))
            w.bytes(data)
        }
        w.u16(OptionID.done.rawValue)
        try file.write(w.data)
    }

    private func writeVersion6Data(_ cpuData: [CPUData]) throws {
        let pageSize = metadata.pageSize
        var head = TraceDatByteWriter()
        head.string("flyrecord")
        let tableStart = file.position + head.data.count
        for _ in 0..<metadata.cpuCount {
            head.u64(0)
            head.u64(0)
        }
        let clock = Array("[\(metadata.clock)]".utf8)
        head.u64(UInt64(clock.count))
        head.bytes(clock)
        try file.write(head.data)
        for cpu in 0..<metadata.cpuCount {
            let offset = (file.position + pageSize - 1) / pageSize * pageSize
            try file.pad(to: offset)
            var size = 0
            if let source = cpuData.first(where: { $0.cpu == cpu }), let input = try TraceDatInputFile(path: source.path) {
                defer { input.close() }
                size = try copy(from: input)
            }
            try file.patch(u64: UInt64(offset), at: tableStart + cpu * 16)
            try file.patch(u64: UInt64(size), at: tableStart + cpu * 16 + 8)
        }
    }
}

/// Little-endian serialization into a byte array.
struct TraceDatByteWriter {
    var data: [UInt8] = []

    mutating func u8(_ v: UInt8) { data.append(v) }
    mutating func u16(_ v: UInt16) { withUnsafeBytes(of: v.littleEndian) { data += $0 } }
    mutating func u32(_ v: UInt32) { withUnsafeBytes(of: v.littleEndian) { data += $0 } }
    mutating func u64(_ v: UInt64) { withUnsafeBytes(of: v.littleEndian) { data += $0 } }
    mutating func bytes(_ b: [UInt8]) { data += b }
    mutating func bytes(_ b: UnsafeRawBufferPointer) { data += b }
    /// The string's UTF-8 bytes, NUL-terminated unless told otherwise.
    mutating func string(_ s: String, terminated: Bool = true) {
        data += Array(s.utf8)
        if terminated { data.append(0) }
    }
}

/// The output file: buffered appends plus in-place patches of fields written earlier.
final class TraceDatOutputFile {
    private var fd: Int32
    let path: String
    private var buffer: [UInt8] = []
    /// Bytes already handed to the kernel.
    private var flushed = 0

    init(path: String) throws {
        self.path = path
        fd = open(path, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw TraceDatWriterError("\(path): cannot create: \(SystemError.message(errno))") }
        buffer.reserveCapacity(1 << 20)
    }

    var position: Int { flushed + buffer.count }

    func write(_ bytes: [UInt8]) throws {
        buffer += bytes
        if buffer.count >= 1 << 20 { try flush() }
    }

    func write(_ bytes: UnsafeRawBufferPointer) throws {
        buffer += bytes
        if buffer.count >= 1 << 20 { try flush() }
    }

    /// Zero bytes up to `offset`.
    func pad(to offset: Int) throws {
        if offset > position { try write([UInt8](repeating: 0, count: offset - position)) }
    }

    func flush() throws {
        guard !buffer.isEmpty else { return }
        try buffer.withUnsafeBytes { raw in
            var done = 0
            while done < raw.count {
                let n = pwrite(fd, raw.baseAddress! + done, raw.count - done, off_t(flushed + done))
                if n < 0 {
                    if errno == EINTR { continue }
                    throw TraceDatWriterError("\(path): write failed: \(SystemError.message(errno))")
                }
                done += n
            }
        }
        flushed += buffer.count
        buffer.removeAll(keepingCapacity: true)
    }

    func patch(u64 value: UInt64, at offset: Int) throws {
        var w = TraceDatByteWriter()
        w.u64(value)
        try patch(w.data, at: offset)
    }

    func patch(u32 value: UInt32, at offset: Int) throws {
        var w = TraceDatByteWriter()
        w.u32(value)
        try patch(w.data, at: offset)
    }

    private func patch(_ bytes: [UInt8], at offset: Int) throws {
        if offset >= flushed {
            for (i, b) in bytes.enumerated() { buffer[offset - flushed + i] = b }
            return
        }
        try flush()
        let n = bytes.withUnsafeBytes { pwrite(fd, $0.baseAddress, $0.count, off_t(offset)) }
        guard n == bytes.count else { throw TraceDatWriterError("\(path): write failed: \(SystemError.message(errno))") }
    }

    func close() {
        if fd >= 0 {
            try? flush()
            Glibc.close(fd)
            fd = -1
        }
    }

    deinit { close() }
}

/// Sequential reads of a CPU's page file.
final class TraceDatInputFile {
    private var fd: Int32
    let path: String
    let size: Int

    /// nil when the file does not exist.
    init?(path: String) throws {
        self.path = path
        fd = open(path, O_RDONLY | O_CLOEXEC)
        if fd < 0 {
            if errno == ENOENT { return nil }
            throw TraceDatWriterError("\(path): cannot open: \(SystemError.message(errno))")
        }
        var info = stat()
        fstat(fd, &info)
        size = Int(info.st_size)
    }

    /// Fills as much of `buffer` as the file still has; 0 at the end.
    func read(into buffer: UnsafeMutableRawBufferPointer) throws -> Int {
        var total = 0
        while total < buffer.count {
            let n = Glibc.read(fd, buffer.baseAddress! + total, buffer.count - total)
            if n < 0 {
                if errno == EINTR { continue }
                throw TraceDatWriterError("\(path): read failed: \(SystemError.message(errno))")
            }
            if n == 0 { break }
            total += n
        }
        return total
    }

    func close() {
        if fd >= 0 { Glibc.close(fd); fd = -1 }
    }

    deinit { close() }
}
