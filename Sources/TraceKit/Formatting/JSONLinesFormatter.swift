/// Writes records as JSON Lines: one object per record, keys in a fixed order.
///
/// Events: `{"time":NS,"cpu":N,"event":"NAME","pid":P,"comm":"C",<reader attributes>,"fields":{...},"context":{...}}`;
/// `pid`/`comm` appear when the trace knows the task. Lost events:
/// `{"time":NS,"cpu":N,"lost_events":COUNT|null,"since":NS}`. See the README for the schema.
///
/// This formatter reads fields through `Trace`; dumps of whole traces go through
/// `JSONStreamFormatter`, which decodes each record once on the thread that owns its cursor.
public struct JSONLinesFormatter {
    public init() {}

    public func write(_ record: EventRecord, of set: TraceSet, to out: OutputBuffer) throws {
        let trace = set.trace(of: record)
        try out.withByteBuffer { buffer in
            var writer = JSONRecordWriter(line: buffer)
            defer { buffer = writer.line }
            let mark = writer.line.count
            do {
                if case .lostEvents(let count, let since) = record.kind {
                    writer.writeLostEvents(timestamp: record.timestamp, cpu: record.cpu, count: count, since: since)
                    return
                }
                writer.beginRecord(timestamp: record.timestamp, cpu: record.cpu)
                JSONText.writeString(set.eventName(of: record), to: &writer.line)
                if set.traces.count > 1 {
                    writer.line.append(",\"trace\":")
                    JSONText.writeString(trace.name, to: &writer.line)
                }
                if let task = trace.task(of: record) {
                    var comm = task.comm
                    comm.withUTF8 { writer.visitTask(pid: task.pid, comm: UnsafeRawBufferPointer($0)) }
                }
                if let attributes = trace as? RecordAttributes {
                    writer.beginPart(.attributes)
                    try attributes.decodeRecordAttributes(of: record, into: &writer)
                }
                writer.beginPart(.payload)
                try trace.decodeFields(of: record, scope: .payload, into: &writer)
                writer.beginPart(.context)
                try trace.decodeFields(of: record, scope: .context, into: &writer)
                writer.endRecord()
            } catch {
                // No half-written line.
                writer.abandonRecord(at: mark)
                throw error
            }
        }
    }
}

/// Readers whose records carry header attributes that JSON shows as top-level keys
/// (ftrace: `flags`, `preempt`). Each visited field becomes a key after `pid`/`comm`.
public protocol RecordAttributes {
    func decodeRecordAttributes<V: FieldVisitor>(of record: EventRecord, into visitor: inout V) throws
}

/// Writes one JSON Lines object per record into a `ByteBuffer`, from field visits: the visitor a
/// reader decodes into. Members of every part are written as they arrive; a context reported before
/// the payload (the order CTF stores them) is kept aside and written after `"fields"`.
public struct JSONRecordWriter: RecordVisitor {
    /// The output lines.
    public var line: ByteBuffer
    /// The context part while the payload has not been written yet (allocated on first use).
    @usableFromInline var aside: ByteBuffer?
    @usableFromInline var stage: Stage = .idle
    @usableFromInline var nesting = MemberNesting()
    /// The current record's context is in `aside`, to be written after the payload.
    @usableFromInline var contextIsAside = false

    @usableFromInline enum Stage {
        /// Between records.
        case idle
        /// The record's head is written; members of the current part continue it.
        case head
        case attributes
        /// Writing the context into `aside` (`line` and `aside` are swapped meanwhile).
        case contextAside
        /// Context written aside, back on `line`.
        case afterContextAside
        case payload
        case contextAfterPayload
    }

    public init(line: ByteBuffer) {
        self.line = line
    }

    /// Frees the context buffer (the line buffer belongs to the caller).
    public func deallocateScratch() { aside?.deallocate() }

    /// Writes a lost-events line.
    @inlinable
    public mutating func writeLostEvents(timestamp: Int64, cpu: Int32, count: UInt64?, since: Int64) {
        line.append("{\"time\":")
        line.appendDecimal(timestamp)
        line.append(",\"cpu\":")
        line.appendDecimal(Int64(cpu))
        line.append(",\"lost_events\":")
        if let count { line.appendDecimal(count) } else { line.append("null") }
        line.append(",\"since\":")
        line.appendDecimal(since)
        line.append("}\n")
        stage = .idle
    }

    /// Starts an event's object: `{"time":NS,"cpu":N,"event":` (the name follows, as a JSON string).
    @inlinable
    public mutating func beginRecord(timestamp: Int64, cpu: Int32) {
        line.append("{\"time\":")
        line.appendDecimal(timestamp)
        line.append(",\"cpu\":")
        line.appendDecimal(Int64(cpu))
        line.append(",\"event\":")
        stage = .head
    }

    /// Leaves `aside` if the context was being written there.
    @inlinable @inline(__always)
    mutating func leaveAside() {
        if stage == .contextAside, var context = aside {
            swap(&line, &context)
            aside = context
            stage = .afterContextAside
            contextIsAside = true
        }
    }

    public mutating func visitTask(pid: Int64, comm: UnsafeRawBufferPointer) {
        leaveAside()
        line.append(",\"pid\":")
        line.appendDecimal(pid)
        line.append(",\"comm\":")
        TaskNameText.withWellFormed(comm) { JSONText.writeString($0, to: &line) }
    }

    @inlinable
    public mutating func beginPart(_ part: RecordPart) {
        nesting = MemberNesting()
        switch part {
        case .attributes:
            leaveAside()
            // Attributes continue the record's object: every one is preceded by a comma.
            nesting.continueObject()
            stage = .attributes
        case .payload:
            leaveAside()
            line.append(",\"fields\":{")
            stage = .payload
        case .context:
            if stage == .payload {
                line.append("},\"context\":{")
                stage = .contextAfterPayload
            } else {
                var context = aside ?? ByteBuffer(capacity: 1 << 10)
                context.removeAll()
                swap(&line, &context)
                aside = context
                stage = .contextAside
            }
        }
    }

    /// Closes the record's object and its line.
    @inlinable
    public mutating func endRecord() {
        leaveAside()
        switch stage {
        case .payload:
            line.append("},\"context\":{")
        case .contextAfterPayload:
            break
        default:
            line.append(",\"fields\":{},\"context\":{")
        }
        if contextIsAside, let context = aside {
            line.append(context.bytes)
        }
        line.append("}}\n")
        stage = .idle
        contextIsAside = false
    }

    /// Drops what was written of the current record since `mark` (a decoding failure).
    public mutating func abandonRecord(at mark: Int) {
        leaveAside()
        line.truncate(to: mark)
        stage = .idle
        contextIsAside = false
    }

    // MARK: FieldVisitor

    @inlinable @inline(__always)
    mutating func member(_ name: String) {
        let isArray = nesting.enterMember()
        if nesting.needsComma { line.append(UInt8(ascii: ",")) }
        if !isArray {
            JSONText.writeString(name, to: &line)
            line.append(UInt8(ascii: ":"))
        }
    }

    @inlinable
    public mutating func visitInteger(_ name: String, _ value: IntegerValue, base: IntegerBase) {
        member(name)
        switch value {
        case .signed(let v): line.appendDecimal(v)
        case .unsigned(let v): line.appendDecimal(v)
        }
    }

    public mutating func visitFloat(_ name: String, _ value: Double) {
        member(name)
        JSONText.writeFloat(value, to: &line)
    }

    @inlinable
    public mutating func visitString(_ name: String, _ bytes: UnsafeRawBufferPointer) {
        member(name)
        JSONText.writeString(bytes, to: &line)
    }

    public mutating func visitEnumeration(_ name: String, _ value: IntegerValue, labels: [String]) {
        member(name)
        line.append("{\"value\":")
        switch value {
        case .signed(let v): line.appendDecimal(v)
        case .unsigned(let v): line.appendDecimal(v)
        }
        line.append(",\"labels\":[")
        for (i, label) in labels.enumerated() {
            if i > 0 { line.append(UInt8(ascii: ",")) }
            JSONText.writeString(label, to: &line)
        }
        line.append("]}")
    }

    @inlinable
    public mutating func beginStructure(_ name: String) {
        member(name)
        line.append(UInt8(ascii: "{"))
        nesting.push(isArray: false)
    }

    @inlinable
    public mutating func endStructure() {
        nesting.pop()
        line.append(UInt8(ascii: "}"))
    }

    @inlinable
    public mutating func beginArray(_ name: String, count: Int, isText: Bool) {
        member(name)
        line.append(UInt8(ascii: "["))
        nesting.push(isArray: true)
    }

    @inlinable
    public mutating func endArray() {
        nesting.pop()
        line.append(UInt8(ascii: "]"))
    }

    @inlinable
    public mutating func beginVariant(_ name: String, option: String) {
        member(name)
        line.append(UInt8(ascii: "{"))
        nesting.push(isArray: false)
    }

    @inlinable
    public mutating func endVariant() {
        nesting.pop()
        line.append(UInt8(ascii: "}"))
    }
}

/// JSON text of strings and numbers.
public enum JSONText {
    /// A JSON string literal; invalid UTF-8 becomes U+FFFD so the output is always valid JSON.
    @inlinable
    public static func writeString(_ text: String, to out: inout ByteBuffer) {
        var text = text
        text.withUTF8 { writeString(UnsafeRawBufferPointer($0), to: &out) }
    }

    /// A JSON string literal of raw bytes (see `writeString(_:to:)`).
    @inlinable
    public static func writeString(_ bytes: UnsafeRawBufferPointer, to out: inout ByteBuffer) {
        let n = bytes.count
        out.reserve(n &+ 2)
        // Common case: printable ASCII with nothing to escape, copied at once.
        if let p = bytes.baseAddress {
            var i = 0
            while i < n {
                let b = p.load(fromByteOffset: i, as: UInt8.self)
                if b < 0x20 || b >= 0x80 || b == UInt8(ascii: "\"") || b == UInt8(ascii: "\\") { break }
                i &+= 1
            }
            if i == n {
                let d = out.end
                d.pointee = UInt8(ascii: "\"")
                UnsafeMutableRawPointer(d + 1).copyMemory(from: p, byteCount: n)
                d[n &+ 1] = UInt8(ascii: "\"")
                out.commit(n &+ 2)
                return
            }
        } else {
            out.append("\"\"")
            return
        }
        writeEscaped(bytes, to: &out)
    }

    @usableFromInline
    static func writeEscaped(_ bytes: UnsafeRawBufferPointer, to out: inout ByteBuffer) {
        out.append(UInt8(ascii: "\""))
        var plainStart = 0
        var i = 0
        let n = bytes.count
        func flushPlain(_ end: Int, _ out: inout ByteBuffer) {
            if end > plainStart { out.append(UnsafeRawBufferPointer(rebasing: bytes[plainStart..<end])) }
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
                flushPlain(i, &out)
                out.append("\u{FFFD}")
                i += 1
                plainStart = i
                continue
            }
            flushPlain(i, &out)
            switch b {
            case UInt8(ascii: "\""): out.append("\\\"")
            case UInt8(ascii: "\\"): out.append("\\\\")
            case 0x0A: out.append("\\n")
            case 0x0D: out.append("\\r")
            case 0x09: out.append("\\t")
            default:
                out.append("\\u00")
                out.appendHex(UInt64(b), width: 2)
            }
            i += 1
            plainStart = i
        }
        flushPlain(n, &out)
        out.append(UInt8(ascii: "\""))
    }

    /// A number as Swift prints it (shortest text that reads back the same), or the strings
    /// `"nan"`, `"inf"`, `"-inf"`.
    public static func writeFloat(_ value: Double, to out: inout ByteBuffer) {
        if value.isFinite {
            out.append(value.description)
        } else {
            out.append(value.isNaN ? "\"nan\"" : (value < 0 ? "\"-inf\"" : "\"inf\""))
        }
    }
}

/// The JSON string writers on `OutputBuffer`, kept for callers that write JSON piecemeal.
public enum JSONWriter {
    /// A JSON string literal; invalid UTF-8 becomes U+FFFD so the output is always valid JSON.
    public static func writeString(_ text: String, to out: OutputBuffer) {
        out.withByteBuffer { JSONText.writeString(text, to: &$0) }
    }

    public static func writeString(_ bytes: UnsafeRawBufferPointer, to out: OutputBuffer) {
        out.withByteBuffer { JSONText.writeString(bytes, to: &$0) }
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
