/// Writes records as JSON Lines: one object per record, keys in a fixed order.
///
/// Events: `{"time":NS,"cpu":N,"event":"NAME","pid":P,"comm":"C",<reader attributes>,"fields":{...},"context":{...}}`;
/// `pid`/`comm` appear when the trace knows the task. Lost events:
/// `{"time":NS,"cpu":N,"lost_events":COUNT|null,"since":NS}`. See the README for the schema.
public struct JSONLinesFormatter {
    public init() {}

    public func write(_ record: EventRecord, of set: TraceSet, to out: OutputBuffer) throws {
        let trace = set.trace(of: record)
        out.write("{\"time\":")
        out.writeDecimal(record.timestamp)
        out.write(",\"cpu\":")
        out.writeDecimal(Int64(record.cpu))
        if case .lostEvents(let count, let since) = record.kind {
            out.write(",\"lost_events\":")
            if let count { out.writeDecimal(count) } else { out.write("null") }
            out.write(",\"since\":")
            out.writeDecimal(since)
            out.write("}\n")
            return
        }
        out.write(",\"event\":")
        JSONWriter.writeString(set.eventName(of: record), to: out)
        if set.traces.count > 1 {
            out.write(",\"trace\":")
            JSONWriter.writeString(trace.name, to: out)
        }
        if let task = trace.task(of: record) {
            out.write(",\"pid\":")
            out.writeDecimal(task.pid)
            out.write(",\"comm\":")
            JSONWriter.writeString(task.comm, to: out)
        }
        if let attributes = trace as? RecordAttributes {
            var attributeWriter = JSONWriter(out: out, continuingObject: true)
            try attributes.decodeRecordAttributes(of: record, into: &attributeWriter)
        }
        out.write(",\"fields\":{")
        var writer = JSONWriter(out: out)
        try trace.decodeFields(of: record, scope: .payload, into: &writer)
        out.write("},\"context\":{")
        writer = JSONWriter(out: out)
        try trace.decodeFields(of: record, scope: .context, into: &writer)
        out.write("}}\n")
    }
}

/// Readers whose records carry header attributes that JSON shows as top-level keys
/// (ftrace: `flags`, `preempt`). Each visited field becomes a key after `pid`/`comm`.
public protocol RecordAttributes {
    func decodeRecordAttributes<V: FieldVisitor>(of record: EventRecord, into visitor: inout V) throws
}

/// A `FieldVisitor` that writes JSON members (`"name":value`) separated by commas.
public struct JSONWriter: FieldVisitor {
    let out: OutputBuffer
    /// Per nesting level: whether a member was already written (so the next needs a comma), and
    /// whether the level is an array (elements have no names).
    private var levels: [(written: Bool, isArray: Bool)]

    /// - Parameter continuingObject: true when members continue an object that already has members
    ///   (the first member is then preceded by a comma).
    public init(out: OutputBuffer, continuingObject: Bool = false) {
        self.out = out
        self.levels = [(continuingObject, false)]
    }

    private mutating func member(_ name: String) {
        let top = levels.count - 1
        if levels[top].written { out.write(byte: UInt8(ascii: ",")) }
        levels[top].written = true
        if !levels[top].isArray {
            JSONWriter.writeString(name, to: out)
            out.write(byte: UInt8(ascii: ":"))
        }
    }

    public mutating func visitInteger(_ name: String, _ value: IntegerValue, base: IntegerBase) {
        member(name)
        JSONWriter.writeInteger(value, to: out)
    }

    public mutating func visitFloat(_ name: String, _ value: Double) {
        member(name)
        if value.isFinite {
            out.write(String(value))
        } else {
            JSONWriter.writeString(value.isNaN ? "nan" : (value < 0 ? "-inf" : "inf"), to: out)
        }
    }

    public mutating func visitString(_ name: String, _ bytes: UnsafeRawBufferPointer) {
        member(name)
        JSONWriter.writeString(bytes, to: out)
    }

    public mutating func visitEnumeration(_ name: String, _ value: IntegerValue, labels: [String]) {
        member(name)
        out.write("{\"value\":")
        JSONWriter.writeInteger(value, to: out)
        out.write(",\"labels\":[")
        for (i, label) in labels.enumerated() {
            if i > 0 { out.write(byte: UInt8(ascii: ",")) }
            JSONWriter.writeString(label, to: out)
        }
        out.write("]}")
    }

    public mutating func beginStructure(_ name: String) {
        member(name)
        out.write(byte: UInt8(ascii: "{"))
        levels.append((false, false))
    }

    public mutating func endStructure() {
        levels.removeLast()
        out.write(byte: UInt8(ascii: "}"))
    }

    public mutating func beginArray(_ name: String, count: Int, isText: Bool) {
        member(name)
        out.write(byte: UInt8(ascii: "["))
        levels.append((false, true))
    }

    public mutating func endArray() {
        levels.removeLast()
        out.write(byte: UInt8(ascii: "]"))
    }

    public mutating func beginVariant(_ name: String, option: String) {
        member(name)
        out.write(byte: UInt8(ascii: "{"))
        levels.append((false, false))
    }

    public mutating func endVariant() {
        levels.removeLast()
        out.write(byte: UInt8(ascii: "}"))
    }

    static func writeInteger(_ value: IntegerValue, to out: OutputBuffer) {
        switch value {
        case .signed(let v): out.writeDecimal(v)
        case .unsigned(let v): out.writeDecimal(v)
        }
    }

    /// A JSON string literal; invalid UTF-8 becomes U+FFFD so the output is always valid JSON.
    public static func writeString(_ text: String, to out: OutputBuffer) {
        var text = text
        text.withUTF8 { writeString(UnsafeRawBufferPointer($0), to: out) }
    }

    public static func writeString(_ bytes: UnsafeRawBufferPointer, to out: OutputBuffer) {
        out.write(byte: UInt8(ascii: "\""))
        var plainStart = 0
        var i = 0
        let n = bytes.count
        func flushPlain(_ end: Int) {
            if end > plainStart { out.write(UnsafeRawBufferPointer(rebasing: bytes[plainStart..<end])) }
        }
        while i < n {
            let b = bytes[i]
            if b >= 0x20 && b < 0x80 && b != UInt8(ascii: "\"") && b != UInt8(ascii: "\\") {
                i += 1
                continue
            }
            if b >= 0x80 {
                let length = UTF8Validation.sequenceLength(bytes, at: i)
                if length > 0 { i += length; continue }
                flushPlain(i)
                out.write("\u{FFFD}")
                i += 1
                plainStart = i
                continue
            }
            flushPlain(i)
            switch b {
            case UInt8(ascii: "\""): out.write("\\\"")
            case UInt8(ascii: "\\"): out.write("\\\\")
            case 0x0A: out.write("\\n")
            case 0x0D: out.write("\\r")
            case 0x09: out.write("\\t")
            default:
                out.write("\\u00")
                out.writeHex(UInt64(b), width: 2)
            }
            i += 1
            plainStart = i
        }
        flushPlain(n)
        out.write(byte: UInt8(ascii: "\""))
    }
}

/// UTF-8 well-formedness checks on raw bytes.
public enum UTF8Validation {
    /// Length of the well-formed UTF-8 sequence starting at `i`, or 0 when it is ill-formed.
    public static func sequenceLength(_ bytes: UnsafeRawBufferPointer, at i: Int) -> Int {
        let b0 = bytes[i]
        let n = bytes.count
        func continuation(_ j: Int, _ low: UInt8 = 0x80, _ high: UInt8 = 0xBF) -> Bool {
            j < n && bytes[j] >= low && bytes[j] <= high
        }
        switch b0 {
        case 0x00...0x7F: return 1
        case 0xC2...0xDF: return continuation(i + 1) ? 2 : 0
        case 0xE0: return continuation(i + 1, 0xA0) && continuation(i + 2) ? 3 : 0
        case 0xE1...0xEC, 0xEE...0xEF: return continuation(i + 1) && continuation(i + 2) ? 3 : 0
        case 0xED: return continuation(i + 1, 0x80, 0x9F) && continuation(i + 2) ? 3 : 0
        case 0xF0: return continuation(i + 1, 0x90) && continuation(i + 2) && continuation(i + 3) ? 4 : 0
        case 0xF1...0xF3: return continuation(i + 1) && continuation(i + 2) && continuation(i + 3) ? 4 : 0
        case 0xF4: return continuation(i + 1, 0x80, 0x8F) && continuation(i + 2) && continuation(i + 3) ? 4 : 0
        default: return 0
        }
    }
}
