import TraceKit

/// The event formats of one trace or one tracefs instance, keyed by event id, with the tables
/// needed to print records as `trace-cmd report` does (kernel symbols, printk formats, task names).
///
/// Usable without a trace.dat file: the live path fills it from tracefs
/// (`events/header_page`, `events/<system>/<event>/format`, `printk_formats`, `/proc/kallsyms`,
/// `saved_cmdlines`) and renders records read from `trace_pipe_raw`.
public final class EventCatalog {
    public let byteOrder: ByteOrder
    /// Size of the traced kernel's `long` (4 or 8).
    public internal(set) var longSize: Int
    public var symbols: SymbolTables
    public var taskNames: TaskNames
    /// Events in the order they were added.
    public private(set) var events: [CatalogEvent] = []
    private var byID: [Int: CatalogEvent] = [:]
    /// Dense lookup for ids below 65536 (`common_type` is 16 bits wide).
    private var dense: [CatalogEvent?] = []
    /// Format files that did not parse: where and why.
    public private(set) var formatErrors: [(source: String, error: FormatParseError)] = []

    private var commonLayout: CommonLayout?
    /// Event index by id for ids below 65536 (-1: none).
    private let denseIndex: UnsafeMutablePointer<Int32> = {
        let p = UnsafeMutablePointer<Int32>.allocate(capacity: 65536)
        p.initialize(repeating: -1, count: 65536)
        return p
    }()
    private var denseIndexCount = 0

    deinit { denseIndex.deallocate() }

    public init(byteOrder: ByteOrder = .little, longSize: Int = 8, symbols: SymbolTables = SymbolTables(),
                taskNames: TaskNames = TaskNames()) {
        self.byteOrder = byteOrder
        self.longSize = longSize
        self.symbols = symbols
        self.taskNames = taskNames
    }

    /// Parses a format file and adds its event. On a parse error the event is left out (records
    /// with its id print as unknown events), the error is recorded in `formatErrors` and rethrown.
    @discardableResult
    public func addFormat(_ text: [UInt8], system: String, source: String? = nil) throws -> CatalogEvent {
        do {
            let format = try EventFormat.parse(text, system: system, longSize: longSize)
            return add(format)
        } catch let error as FormatParseError {
            formatErrors.append((source ?? "events/\(system)/format", error))
            throw error
        }
    }

    /// Adds a parsed event format (replacing an event with the same id).
    @discardableResult
    public func add(_ format: EventFormat) -> CatalogEvent {
        let event = CatalogEvent(format: format, index: events.count)
        events.append(event)
        byID[format.id] = event
        if format.id >= 0 && format.id < 65536 {
            if dense.count <= format.id { dense += Array(repeating: nil, count: format.id + 1 - dense.count) }
            dense[format.id] = event
            denseIndex[format.id] = Int32(event.index)
            denseIndexCount = max(denseIndexCount, format.id + 1)
        }
        commonLayout = nil
        return event
    }

    /// The event with `id`.
    @inline(__always)
    public func event(id: Int) -> CatalogEvent? {
        if id >= 0 && id < dense.count { return dense[id] }
        return byID[id]
    }

    /// Events sorted by id.
    public var eventsByID: [CatalogEvent] { events.sorted { $0.format.id < $1.format.id } }

    // MARK: Common fields

    /// Where the `common_*` fields are, taken from the event with the lowest id (as libtraceevent
    /// does).
    struct CommonLayout {
        var type: (offset: Int, size: Int)
        var pid: (offset: Int, size: Int)
        var flags: (offset: Int, size: Int)
        var preempt: (offset: Int, size: Int)
    }

    var layout: CommonLayout {
        if let l = commonLayout { return l }
        let first = events.min { $0.format.id < $1.format.id }
        func locate(_ name: String, _ fallback: (Int, Int)) -> (offset: Int, size: Int) {
            guard let f = first?.format.commonFields.first(where: { $0.name == name }) else { return fallback }
            return (f.offset, f.size)
        }
        let l = CommonLayout(type: locate("common_type", (0, 2)), pid: locate("common_pid", (4, 4)),
                             flags: locate("common_flags", (2, 1)), preempt: locate("common_preempt_count", (3, 1)))
        commonLayout = l
        return l
    }

    /// Index in `events` of the record's event (-1 when unknown), without reference counting.
    @inline(__always)
    public func classIndex(ofRecord data: UnsafeRawBufferPointer) -> Int {
        let id = eventID(ofRecord: data)
        guard id >= 0 && id < denseIndexCount else { return byID[id]?.index ?? -1 }
        return Int(denseIndex[id])
    }

    /// The dense id-to-index table and its length, for readers that look up every record.
    var classIndexTable: (UnsafeMutablePointer<Int32>, Int) { (denseIndex, denseIndexCount) }

    /// The event id stored in a record's data.
    @inline(__always)
    public func eventID(ofRecord data: UnsafeRawBufferPointer) -> Int {
        let l = layout.type
        return Int(ByteReader.unsigned(data, at: l.offset, size: l.size, order: byteOrder))
    }

    /// The pid stored in a record's data (`common_pid`).
    @inline(__always)
    public func pid(ofRecord data: UnsafeRawBufferPointer) -> Int32 {
        let l = layout.pid
        return Int32(truncatingIfNeeded: ByteReader.unsigned(data, at: l.offset, size: l.size, order: byteOrder))
    }

    /// `common_flags` (irqs-off, need-resched, hardirq, softirq bits).
    public func flags(ofRecord data: UnsafeRawBufferPointer) -> UInt64 {
        let l = layout.flags
        return ByteReader.unsigned(data, at: l.offset, size: l.size, order: byteOrder)
    }

    /// `common_preempt_count`.
    public func preemptCount(ofRecord data: UnsafeRawBufferPointer) -> UInt64 {
        let l = layout.preempt
        return ByteReader.unsigned(data, at: l.offset, size: l.size, order: byteOrder)
    }

    // MARK: Rendering

    func renderer(raw: Bool) -> PrintRenderer {
        PrintRenderer(order: byteOrder, longSize: longSize, tables: symbols, raw: raw)
    }

    /// Writes the event's text as `trace-cmd report` shows it after the event name: the rendered
    /// print format, or with `raw` the ` name=value` list of `trace-cmd report -R`.
    public func writeInfo(of event: CatalogEvent, record data: UnsafeRawBufferPointer, raw: Bool, to out: OutputBuffer) {
        var line = LineBuffer(capacity: 256)
        defer { line.deallocate() }
        writeInfo(of: event, record: data, raw: raw, to: &line)
        line.copy(to: out)
    }

    /// Writes the event's text into a line buffer (see the `OutputBuffer` variant).
    public func writeInfo(of event: CatalogEvent, record data: UnsafeRawBufferPointer, raw: Bool, to out: inout LineBuffer) {
        if raw {
            writeFields(of: event, record: data, raw: true, to: &out)
            return
        }
        let printFormat = event.printFormat(longSize: longSize)
        if event.failed {
            out.write("[FAILED TO PARSE]")
            writeFields(of: event, record: data, raw: false, to: &out)
            return
        }
        let r = renderer(raw: false)
        if event.isBinaryPrintk {
            let (compiled, failedNow) = BinaryPrintk.segments(for: event, record: data, catalog: self)
            if failedNow { event.failed = true }
            r.write(UnsafeMutableBufferPointer(rebasing: compiled.segments[0..<compiled.segmentCount]), data, to: &out)
            return
        }
        guard let printFormat else { return }
        r.write(printFormat.segments, data, to: &out)
    }

    /// `print_selected_fields`: ` name=value` for every non-common field; fields that appear
    /// directly in the print format use its conversion.
    func writeFields(of event: CatalogEvent, record data: UnsafeRawBufferPointer, raw: Bool, to out: inout LineBuffer) {
        let printFormat = event.isBinaryPrintk ? nil : event.printFormat(longSize: longSize)
        let segments = printFormat?.segments ?? UnsafeMutableBufferPointer(start: nil, count: 0)
        var cursor: Int? = segments.isEmpty ? nil : 0
        // libtraceevent 1.7 prints `%pS` fields the same way in raw mode.
        let r = renderer(raw: false)
        for (index, field) in event.format.fields.enumerated() {
            out.write(byte: 0x20)
            out.write(event.fieldNameBytes[index])
            out.write(byte: UInt8(ascii: "="))
            writeField(index, field, of: event, segments: segments, cursor: &cursor, renderer: r, data, to: &out)
        }
    }

    private func writeField(_ index: Int, _ field: FieldFormat, of event: CatalogEvent,
                            segments: UnsafeMutableBufferPointer<PrintFormat.Segment>,
                            cursor: inout Int?, renderer r: PrintRenderer, _ data: UnsafeRawBufferPointer,
                            to out: inout LineBuffer) {
        let isString = field.isString && !event.demotedStringFields[index]
        if let start = cursor, !event.failed, !field.isArray, !isString {
            var position = start
            var has0x = false
            repeat {
                let segment = segments.baseAddress! + position
                var argument: Expr?
                if segment.pointee.kind == .literal {
                    let text = segment.pointee.text
                    has0x = text.count > 1 && text[text.count - 2] == UInt8(ascii: "0") && text[text.count - 1] == UInt8(ascii: "x")
                } else {
                    argument = segment.pointee.argument
                }
                if let argument {
                    let target = argument.strippingCasts
                    if target.kind == .field, let f = target.field, f.refers(to: field) {
                        if has0x { out.write("0x") }
                        r.write(segment, data, to: &out)
                        cursor = position + 1 < segments.count ? position + 1 : nil
                        return
                    }
                    has0x = false
                }
                position = position + 1 < segments.count ? position + 1 : 0
            } while position != start
        }
        writeRawField(index, field, of: event, data, to: &out)
    }

    /// `print_field_raw`.
    private func writeRawField(_ index: Int, _ field: FieldFormat, of event: CatalogEvent, _ data: UnsafeRawBufferPointer,
                               to out: inout LineBuffer) {
        if field.isArray {
            var offset = field.offset
            var length = field.size
            if field.isDynamic {
                (offset, length) = field.dynamicLocation(in: data, order: byteOrder)
            }
            let start = min(max(0, offset), data.count)
            let end = min(data.count, start + max(0, length))
            let isString = field.isString && !event.demotedStringFields[index]
            if isString && FieldText.isPrintable(data, start, end) {
                var n = start
                while n < data.count && data[n] != 0 { n += 1 }
                out.write(UnsafeRawBufferPointer(rebasing: data[start..<n]))
            } else {
                out.write("ARRAY[")
                for i in 0..<max(0, length) {
                    if i > 0 { out.write(", ") }
                    let b: UInt8 = start + i < data.count ? data[start + i] : 0
                    out.writeHex(UInt64(b), width: 2)
                }
                out.write(byte: UInt8(ascii: "]"))
                if field.isString { event.demotedStringFields[index] = true }
            }
            return
        }
        let value = field.offset + field.size <= data.count
            ? ByteReader.unsigned(data, at: field.offset, size: field.size, order: byteOrder) : 0
        if field.isPointer {
            out.write("0x")
            out.writeHex(value)
        } else if field.isSigned {
            switch field.size {
            case 4:
                if field.isLong {
                    out.write("0x")
                    out.writeHex(value & 0xFFFF_FFFF)
                } else {
                    out.writeDecimal(Int64(Int32(truncatingIfNeeded: value)))
                }
            case 2: out.writeDecimal(Int64(Int16(truncatingIfNeeded: value)), width: 2)
            case 1: out.writeDecimal(Int64(Int8(truncatingIfNeeded: value)), width: 1)
            default: out.writeDecimal(Int64(bitPattern: value))
            }
        } else if field.isLong {
            out.write("0x")
            out.writeHex(value)
        } else {
            out.writeDecimal(value)
        }
    }
}

enum FieldText {
    /// `is_printable_array`: every byte before the first NUL is printable or a space.
    static func isPrintable(_ data: UnsafeRawBufferPointer, _ start: Int, _ end: Int) -> Bool {
        var i = start
        while i < end {
            let b = data[i]
            if b == 0 { break }
            let printable = b >= 0x20 && b < 0x7F
            let space = b == 0x20 || (b >= 0x09 && b <= 0x0D)
            if !printable && !space { return false }
            i += 1
        }
        return true
    }
}
