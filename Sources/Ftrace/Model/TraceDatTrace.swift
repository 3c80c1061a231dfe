import TraceKit

/// A trace.dat file as a TraceKit `Trace`: one stream per CPU of each buffer (the top-level
/// buffer first, then instances), one event class per event format.
public final class TraceDatTrace: Trace, RecordAttributes, FtraceRecordData {
    public let file: TraceDatFile
    public let name: String
    public var path: String { file.path }
    public let timeDomain: TimeDomain = .monotonic
    public let eventClasses: [EventClass]
    public let streams: [StreamInfo]
    /// Index into `file.buffers` of each stream's buffer.
    public let bufferOfStream: [Int]
    let sources: [CPUPageSource]
    public var catalog: EventCatalog { file.catalog }

    /// Opens `path`.
    public convenience init(path: String) throws {
        try self.init(file: TraceDatFile(path: path))
    }

    public init(file: TraceDatFile) {
        self.file = file
        let base = file.path.split(separator: "/").last.map(String.init) ?? file.path
        name = base
        eventClasses = file.catalog.events.map { e in
            EventClass(index: e.index, name: e.format.name, system: e.format.system, numericID: Int64(e.format.id),
                       payloadFieldNames: e.format.fields.map(\.name))
        }
        var streams: [StreamInfo] = []
        var bufferOfStream: [Int] = []
        var sources: [CPUPageSource] = []
        for (b, buffer) in file.buffers.enumerated() where !buffer.isLatency {
            for cpu in buffer.cpus {
                let label = buffer.name.isEmpty ? "cpu\(cpu.cpu)" : "\(buffer.name)/cpu\(cpu.cpu)"
                streams.append(StreamInfo(name: label, cpu: Int32(cpu.cpu), file: file.path))
                bufferOfStream.append(b)
                sources.append(CPUPageSource(file: file, cpu: cpu, pageSize: file.pageSize,
                                             label: buffer.name.isEmpty ? "CPU \(cpu.cpu)" : "buffer \"\(buffer.name)\" CPU \(cpu.cpu)"))
            }
        }
        self.streams = streams
        self.bufferOfStream = bufferOfStream
        self.sources = sources
    }

    public var cpuCount: Int {
        max(file.cpuCount, Int((streams.map(\.cpu).max() ?? -1) + 1))
    }

    public var environment: [(String, String)] {
        var env: [(String, String)] = [("format", "trace.dat v\(file.version)")]
        if file.compression != .none { env.append(("compression", file.compression.rawValue + " " + (file.compressionVersion ?? ""))) }
        if let clock = file.traceClock { env.append(("clock", clock)) }
        if let uname = file.uname { env.append(("uname", uname)) }
        if let v = file.traceCmdVersion { env.append(("trace-cmd", v)) }
        env.append(("cpus", String(file.cpuCount)))
        env.append(("page size", String(file.pageSize)))
        for b in file.buffers where !b.name.isEmpty { env.append(("buffer", b.name)) }
        for stats in file.cpuStats { env.append(("cpu stats", stats)) }
        if file.clockConversion.offset != 0 { env.append(("time offset", String(file.clockConversion.offset))) }
        if file.clockConversion.tscMultiplier != 0 {
            env.append(("tsc2nsec", "mult \(file.clockConversion.tscMultiplier) shift \(file.clockConversion.tscShift)"))
        }
        return env
    }

    /// What opening indexed: CPU streams and their ring-buffer pages.
    public var pageIndexSummary: (streams: Int, pages: Int) {
        (sources.count, sources.reduce(0) { $0 + $1.pageCount })
    }

    /// Problems found while opening that did not stop reading.
    public var warnings: [TraceError] { file.warnings }

    public func openStream(_ index: Int) throws -> EventStream {
        guard sources.indices.contains(index) else {
            throw TraceError(file: file.path, "no stream \(index)")
        }
        return try FtraceCPUStream(trace: self, stream: index)
    }

    /// Calls `body` with the payload of `record` (nil for lost-event records or unreadable data).
    public func withData<R>(of record: EventRecord, _ body: (UnsafeRawBufferPointer) throws -> R) rethrows -> R? {
        guard case .event = record.kind, sources.indices.contains(Int(record.stream)) else { return nil }
        let source = sources[Int(record.stream)]
        guard let bytes = try? source.page(record.position.unit),
              let page = try? SubBuffer(bytes, layout: file.layout, byteOrder: file.byteOrder) else { return nil }
        var reader = page.makeReader(resumingAt: record.position.offset, timestamp: record.position.clock)
        guard let r = try? reader.next(), r.offset == record.position.offset else { return nil }
        return try body(r.data)
    }

    public var recordCatalog: EventCatalog { file.catalog }

}
