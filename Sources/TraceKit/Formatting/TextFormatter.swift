/// ringside's own readable one-line-per-record format:
///
///     22:50:11.698278647 [0] sh-5113 lttng_ust_statedump:procname: procname="sh"
///     173.829816115 [0] bash-3772 sched_switch: prev_comm="bash" prev_pid=3772 ...
///     173.900000000 [1] LOST 12 events since 173.800000000
///
/// Integers print in the base their format asks for, enumerations as `LABEL(value)`, arrays as
/// `[a, b]`, structures as `{a=1 b=2}`, contexts after payload between `|` separators.
///
/// This formatter reads fields through `Trace`; dumps of whole traces go through
/// `TextStreamFormatter`, which decodes each record once on the thread that owns its cursor.
public struct TextFormatter {
    public init() {}

    public func write(_ record: EventRecord, of set: TraceSet, to out: OutputBuffer) throws {
        let trace = set.trace(of: record)
        try out.withByteBuffer { buffer in
            var writer = TextRecordWriter(line: buffer)
            defer { buffer = writer.line }
            let mark = writer.line.count
            let domain = set.timeDomain
            if case .lostEvents(let count, let since) = record.kind {
                writer.writeLostEvents(timestamp: record.timestamp, cpu: record.cpu, count: count, since: since,
                                       domain: domain)
                return
            }
            do {
                var name = set.eventClass(of: record)?.qualifiedName ?? set.eventName(of: record)
                try name.withUTF8 { name in
                    writer.beginRecord(timestamp: record.timestamp, cpu: record.cpu, domain: domain,
                                       name: UnsafeRawBufferPointer(name))
                    if let task = trace.task(of: record) {
                        var comm = task.comm
                        comm.withUTF8 { writer.visitTask(pid: task.pid, comm: UnsafeRawBufferPointer($0)) }
                    }
                    writer.beginPart(.payload)
                    try trace.decodeFields(of: record, scope: .payload, into: &writer)
                    writer.beginPart(.context)
                    try trace.decodeFields(of: record, scope: .context, into: &writer)
                    writer.endRecord()
                }
            } catch {
                writer.abandonRecord(at: mark)
                throw error
            }
        }
    }
}

/// Writes one text line per record into a `ByteBuffer`, from field visits (the visitor a reader
/// decodes into). A context reported before the payload is kept aside and written after it;
/// attributes are not shown.
public struct TextRecordWriter: RecordVisitor {
    public var line: ByteBuffer
    /// The context (or discarded attributes) while they arrive before the payload.
    @usableFromInline var aside: ByteBuffer?
    @usableFromInline var stage: Stage = .idle
    @usableFromInline var nesting = MemberNesting()
    /// `name:` of the record, written before its fields (after the task).
    @usableFromInline var name = UnsafeRawBufferPointer(start: nil, count: 0)
    @usableFromInline var contextMark = 0
    /// The current record's context is in `aside`, to be written after the payload.
    @usableFromInline var contextIsAside = false

    @usableFromInline enum Stage {
        case idle
        /// Time and CPU written; task and name follow.
        case head
        /// Attributes go to `aside` and are dropped (`line` and `aside` swapped).
        case attributesAside
        /// Context goes to `aside` (`line` and `aside` swapped).
        case contextAside
        case afterContextAside
        case payload
        case contextAfterPayload
    }

    public init(line: ByteBuffer) {
        self.line = line
    }

    /// Frees the context buffer (the line buffer belongs to the caller).
    public func deallocateScratch() { aside?.deallocate() }

    public mutating func writeLostEvents(timestamp: Int64, cpu: Int32, count: UInt64?, since: Int64, domain: TimeDomain) {
        TextTime.appendClock(timestamp, domain: domain, to: &line)
        appendCPU(cpu)
        line.append("LOST ")
        if let count { line.appendDecimal(count) } else { line.append("an unknown number of") }
        line.append(" events since ")
        TextTime.appendClock(since, domain: domain, to: &line)
        line.append(UInt8(ascii: "\n"))
        stage = .idle
    }

    @inlinable @inline(__always)
    mutating func appendCPU(_ cpu: Int32) {
        line.append(" [")
        if cpu >= 0 { line.appendDecimal(Int64(cpu)) } else { line.append(UInt8(ascii: "?")) }
        line.append("] ")
    }

    /// Starts an event's line with its time and CPU; `name` (the event name, valid until the
    /// record ends) follows the task.
    public mutating func beginRecord(timestamp: Int64, cpu: Int32, domain: TimeDomain, name: UnsafeRawBufferPointer) {
        TextTime.appendClock(timestamp, domain: domain, to: &line)
        appendCPU(cpu)
        self.name = name
        stage = .head
    }

    @inlinable @inline(__always)
    mutating func leaveAside() {
        switch stage {
        case .contextAside:
            if var context = aside {
                swap(&line, &context)
                aside = context
            }
            stage = .afterContextAside
            contextIsAside = true
        case .attributesAside:
            if var attributes = aside {
                swap(&line, &attributes)
                attributes.removeAll()
                aside = attributes
            }
            stage = .head
        default:
            break
        }
    }

    @inlinable @inline(__always)
    mutating func writeNameIfDue() {
        if stage == .head || stage == .afterContextAside {
            line.append(name)
            line.append(UInt8(ascii: ":"))
        }
    }

    public mutating func visitTask(pid: Int64, comm: UnsafeRawBufferPointer) {
        leaveAside()
        TaskNameText.withWellFormed(comm) { line.append($0) }
        line.append(UInt8(ascii: "-"))
        line.appendDecimal(pid)
        line.append(UInt8(ascii: " "))
    }

    @usableFromInline
    mutating func enterAside(_ next: Stage) {
        var other = aside ?? ByteBuffer(capacity: 1 << 10)
        other.removeAll()
        swap(&line, &other)
        aside = other
        stage = next
    }

    public mutating func beginPart(_ part: RecordPart) {
        nesting = MemberNesting()
        switch part {
        case .attributes:
            leaveAside()
            if stage == .head { enterAside(.attributesAside) }
        case .payload:
            leaveAside()
            writeNameIfDue()
            stage = .payload
        case .context:
            leaveAside()
            if stage == .payload {
                contextMark = line.count
                line.append(" |")
                stage = .contextAfterPayload
            } else {
                enterAside(.contextAside)
            }
        }
    }

    public mutating func endRecord() {
        leaveAside()
        switch stage {
        case .payload:
            break
        case .contextAfterPayload:
            if line.count == contextMark &+ 2 { line.truncate(to: contextMark) }
        default:
            writeNameIfDue()
        }
        if contextIsAside, let context = aside, context.count > 0 {
            line.append(" |")
            line.append(context.bytes)
        }
        line.append(UInt8(ascii: "\n"))
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
        if nesting.depth == 0 {
            line.append(UInt8(ascii: " "))
        } else if nesting.needsComma {
            if isArray { line.append(", ") } else { line.append(UInt8(ascii: " ")) }
        }
        if !isArray {
            line.append(name)
            line.append(UInt8(ascii: "="))
        }
    }

    @inlinable
    public mutating func visitInteger(_ name: String, _ value: IntegerValue, base: IntegerBase) {
        member(name)
        TextValues.appendInteger(value, base: base, to: &line)
    }

    public mutating func visitFloat(_ name: String, _ value: Double) {
        member(name)
        line.append(value.description)
    }

    @inlinable
    public mutating func visitString(_ name: String, _ bytes: UnsafeRawBufferPointer) {
        member(name)
        TextValues.appendQuoted(bytes, to: &line)
    }

    public mutating func visitEnumeration(_ name: String, _ value: IntegerValue, labels: [String]) {
        member(name)
        if labels.isEmpty {
            line.append(UInt8(ascii: "?"))
        } else {
            for (i, label) in labels.enumerated() {
                if i > 0 { line.append(UInt8(ascii: "|")) }
                line.append(label)
            }
        }
        line.append(UInt8(ascii: "("))
        TextValues.appendInteger(value, base: .decimal, to: &line)
        line.append(UInt8(ascii: ")"))
    }

    public mutating func beginStructure(_ name: String) {
        member(name)
        line.append(UInt8(ascii: "{"))
        nesting.push(isArray: false)
    }

    public mutating func endStructure() {
        nesting.pop()
        line.append(UInt8(ascii: "}"))
    }

    public mutating func beginArray(_ name: String, count: Int, isText: Bool) {
        member(name)
        line.append(UInt8(ascii: "["))
        nesting.push(isArray: true)
    }

    public mutating func endArray() {
        nesting.pop()
        line.append(UInt8(ascii: "]"))
    }

    public mutating func beginVariant(_ name: String, option: String) {
        member(name)
        line.append(option)
        line.append(UInt8(ascii: ":"))
        nesting.push(isArray: true)  // the option value follows without its name
    }

    public mutating func endVariant() {
        nesting.pop()
    }
}

/// A `FieldVisitor` writing ` name=value` pairs in the text format to an `OutputBuffer`.
public struct TextFieldWriter: FieldVisitor {
    let out: OutputBuffer
    private var nesting = MemberNesting()
    public private(set) var wroteAny = false

    public init(out: OutputBuffer) { self.out = out }

    /// Runs one `TextRecordWriter` step on the output's buffer.
    private mutating func step(_ body: (inout TextRecordWriter) -> Void) {
        wroteAny = true
        let state = nesting
        nesting = out.withByteBuffer { buffer -> MemberNesting in
            var writer = TextRecordWriter(line: buffer)
            writer.stage = .payload
            writer.nesting = state
            body(&writer)
            buffer = writer.line
            return writer.nesting
        }
    }

    public mutating func visitInteger(_ name: String, _ value: IntegerValue, base: IntegerBase) {
        step { $0.visitInteger(name, value, base: base) }
    }

    public mutating func visitFloat(_ name: String, _ value: Double) { step { $0.visitFloat(name, value) } }

    public mutating func visitString(_ name: String, _ bytes: UnsafeRawBufferPointer) {
        step { $0.visitString(name, bytes) }
    }

    public mutating func visitEnumeration(_ name: String, _ value: IntegerValue, labels: [String]) {
        step { $0.visitEnumeration(name, value, labels: labels) }
    }

    public mutating func beginStructure(_ name: String) { step { $0.beginStructure(name) } }
    public mutating func endStructure() { step { $0.endStructure() } }

    public mutating func beginArray(_ name: String, count: Int, isText: Bool) {
        step { $0.beginArray(name, count: count, isText: isText) }
    }

    public mutating func endArray() { step { $0.endArray() } }

    public mutating func beginVariant(_ name: String, option: String) {
        step { $0.beginVariant(name, option: option) }
    }

    public mutating func endVariant() { step { $0.endVariant() } }

    /// An integer in `base`: `0x` prefix for hexadecimal, `0` for octal, `0b` for binary.
    public static func writeInteger(_ value: IntegerValue, base: IntegerBase, to out: OutputBuffer) {
        out.withByteBuffer { TextValues.appendInteger(value, base: base, to: &$0) }
    }

    /// A double-quoted string with C escapes for quotes, backslashes and control characters.
    public static func writeQuoted(_ bytes: UnsafeRawBufferPointer, to out: OutputBuffer) {
        out.withByteBuffer { TextValues.appendQuoted(bytes, to: &$0) }
    }
}

/// Values in the text format.
public enum TextValues {
    /// An integer in `base`: `0x` prefix for hexadecimal, `0` for octal, `0b` for binary.
    @inlinable
    public static func appendInteger(_ value: IntegerValue, base: IntegerBase, to out: inout ByteBuffer) {
        switch (base, value) {
        case (.decimal, .signed(let v)): out.appendDecimal(v)
        case (.decimal, .unsigned(let v)): out.appendDecimal(v)
        default: appendInBase(value, base: base, to: &out)
        }
    }

    @usableFromInline
    static func appendInBase(_ value: IntegerValue, base: IntegerBase, to out: inout ByteBuffer) {
        let bits = UInt64(bitPattern: value.int64)
        switch base {
        case .hexadecimal:
            out.append("0x")
            out.appendHex(bits)
        case .octal:
            out.append("0")
            out.append(String(bits, radix: 8))
        case .binary:
            out.append("0b")
            out.append(String(bits, radix: 2))
        case .decimal:
            out.appendDecimal(value.int64)
        }
    }

    /// A double-quoted string with C escapes for quotes, backslashes and control characters.
    @inlinable
    public static func appendQuoted(_ bytes: UnsafeRawBufferPointer, to out: inout ByteBuffer) {
        if let p = bytes.baseAddress {
            var i = 0
            let n = bytes.count
            while i < n {
                let b = p.load(fromByteOffset: i, as: UInt8.self)
                if b < 0x20 || b == 0x7F || b == UInt8(ascii: "\"") || b == UInt8(ascii: "\\") { break }
                i &+= 1
            }
            if i == n {
                out.reserve(n &+ 2)
                let d = out.end
                d.pointee = UInt8(ascii: "\"")
                UnsafeMutableRawPointer(d + 1).copyMemory(from: p, byteCount: n)
                d[n &+ 1] = UInt8(ascii: "\"")
                out.commit(n &+ 2)
                return
            }
        }
        appendEscaped(bytes, to: &out)
    }

    @usableFromInline
    static func appendEscaped(_ bytes: UnsafeRawBufferPointer, to out: inout ByteBuffer) {
        out.append(UInt8(ascii: "\""))
        for b in bytes {
            switch b {
            case UInt8(ascii: "\""): out.append("\\\"")
            case UInt8(ascii: "\\"): out.append("\\\\")
            case 0x0A: out.append("\\n")
            case 0x09: out.append("\\t")
            case 0x0D: out.append("\\r")
            case 0..<0x20, 0x7F:
                out.append("\\x")
                out.appendHex(UInt64(b), width: 2)
            default: out.append(b)
            }
        }
        out.append(UInt8(ascii: "\""))
    }
}

/// Times in the text format, written straight into a buffer.
public enum TextTime {
    /// `TimeFormatting.clock`: `HH:MM:SS.nnnnnnnnn` (UTC) for epoch time, `S.nnnnnnnnn` otherwise.
    public static func appendClock(_ ns: Int64, domain: TimeDomain, to out: inout ByteBuffer) {
        switch domain {
        case .unixEpoch:
            let perSecond: Int64 = 1_000_000_000
            var seconds = ns / perSecond
            var nanos = ns % perSecond
            if nanos < 0 { nanos += perSecond; seconds -= 1 }
            var secondOfDay = seconds % 86_400
            if secondOfDay < 0 { secondOfDay += 86_400 }
            out.appendDecimal(UInt64(secondOfDay / 3600), width: 2, pad: UInt8(ascii: "0"))
            out.append(UInt8(ascii: ":"))
            out.appendDecimal(UInt64(secondOfDay / 60 % 60), width: 2, pad: UInt8(ascii: "0"))
            out.append(UInt8(ascii: ":"))
            out.appendDecimal(UInt64(secondOfDay % 60), width: 2, pad: UInt8(ascii: "0"))
            out.append(UInt8(ascii: "."))
            out.appendDecimal(UInt64(nanos), width: 9, pad: UInt8(ascii: "0"))
        case .monotonic:
            if ns < 0 { out.append(UInt8(ascii: "-")) }
            let m = ns.magnitude
            out.appendDecimal(m / 1_000_000_000)
            out.append(UInt8(ascii: "."))
            out.appendDecimal(m % 1_000_000_000, width: 9, pad: UInt8(ascii: "0"))
        }
    }
}
