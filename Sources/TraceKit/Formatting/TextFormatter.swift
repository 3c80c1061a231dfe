/// ringside's own readable one-line-per-record format:
///
///     22:50:11.698278647 [0] sh-5113 lttng_ust_statedump:procname: procname="sh"
///     173.829816115 [0] bash-3772 sched_switch: prev_comm="bash" prev_pid=3772 ...
///     173.900000000 [1] LOST 12 events since 173.800000000
///
/// Integers print in the base their format asks for, enumerations as `LABEL(value)`, arrays as
/// `[a, b]`, structures as `{a=1 b=2}`, contexts after payload between `|` separators.
public struct TextFormatter {
    public init() {}

    public func write(_ record: EventRecord, of set: TraceSet, to out: OutputBuffer) throws {
        let trace = set.trace(of: record)
        let domain = set.timeDomain
        out.write(TimeFormatting.clock(record.timestamp, domain: domain))
        out.write(" [")
        if record.cpu >= 0 { out.writeDecimal(Int64(record.cpu)) } else { out.write("?") }
        out.write("] ")
        if case .lostEvents(let count, let since) = record.kind {
            out.write("LOST ")
            if let count { out.writeDecimal(count) } else { out.write("an unknown number of") }
            out.write(" events since ")
            out.write(TimeFormatting.clock(since, domain: domain))
            out.write(byte: 0x0A)
            return
        }
        if let task = trace.task(of: record) {
            out.write(task.comm)
            out.write(byte: UInt8(ascii: "-"))
            out.writeDecimal(task.pid)
            out.write(byte: UInt8(ascii: " "))
        }
        out.write(set.eventClass(of: record)?.qualifiedName ?? set.eventName(of: record))
        out.write(byte: UInt8(ascii: ":"))
        var writer = TextFieldWriter(out: out)
        try trace.decodeFields(of: record, scope: .payload, into: &writer)
        let mark = out.count
        out.write(" |")
        var contextWriter = TextFieldWriter(out: out)
        try trace.decodeFields(of: record, scope: .context, into: &contextWriter)
        if !contextWriter.wroteAny { out.truncate(to: mark) }
        out.write(byte: 0x0A)
    }
}

/// A `FieldVisitor` writing ` name=value` pairs in the text format.
public struct TextFieldWriter: FieldVisitor {
    let out: OutputBuffer
    /// Per nesting level: members written, and whether the level is an array.
    private var levels: [(count: Int, isArray: Bool)] = [(0, false)]
    public private(set) var wroteAny = false

    public init(out: OutputBuffer) { self.out = out }

    private mutating func member(_ name: String) {
        let top = levels.count - 1
        if levels.count == 1 {
            out.write(byte: UInt8(ascii: " "))
        } else if levels[top].count > 0 {
            out.write(levels[top].isArray ? ", " : " ")
        }
        levels[top].count += 1
        wroteAny = true
        if !levels[top].isArray {
            out.write(name)
            out.write(byte: UInt8(ascii: "="))
        }
    }

    public mutating func visitInteger(_ name: String, _ value: IntegerValue, base: IntegerBase) {
        member(name)
        TextFieldWriter.writeInteger(value, base: base, to: out)
    }

    public mutating func visitFloat(_ name: String, _ value: Double) {
        member(name)
        out.write(String(value))
    }

    public mutating func visitString(_ name: String, _ bytes: UnsafeRawBufferPointer) {
        member(name)
        TextFieldWriter.writeQuoted(bytes, to: out)
    }

    public mutating func visitEnumeration(_ name: String, _ value: IntegerValue, labels: [String]) {
        member(name)
        out.write(labels.isEmpty ? "?" : labels.joined(separator: "|"))
        out.write(byte: UInt8(ascii: "("))
        TextFieldWriter.writeInteger(value, base: .decimal, to: out)
        out.write(byte: UInt8(ascii: ")"))
    }

    public mutating func beginStructure(_ name: String) {
        member(name)
        out.write(byte: UInt8(ascii: "{"))
        levels.append((0, false))
    }

    public mutating func endStructure() {
        levels.removeLast()
        out.write(byte: UInt8(ascii: "}"))
    }

    public mutating func beginArray(_ name: String, count: Int, isText: Bool) {
        member(name)
        out.write(byte: UInt8(ascii: "["))
        levels.append((0, true))
    }

    public mutating func endArray() {
        levels.removeLast()
        out.write(byte: UInt8(ascii: "]"))
    }

    public mutating func beginVariant(_ name: String, option: String) {
        member(name)
        out.write(option)
        out.write(byte: UInt8(ascii: ":"))
        levels.append((0, true))  // the option value follows without its name
    }

    public mutating func endVariant() {
        levels.removeLast()
    }

    /// An integer in `base`: `0x` prefix for hexadecimal, `0` for octal, `0b` for binary.
    public static func writeInteger(_ value: IntegerValue, base: IntegerBase, to out: OutputBuffer) {
        switch (base, value) {
        case (.decimal, .signed(let v)): out.writeDecimal(v)
        case (.decimal, .unsigned(let v)): out.writeDecimal(v)
        case (.hexadecimal, _):
            out.write("0x")
            out.writeHex(UInt64(bitPattern: value.int64))
        case (.octal, _):
            out.write("0")
            out.write(String(UInt64(bitPattern: value.int64), radix: 8))
        case (.binary, _):
            out.write("0b")
            out.write(String(UInt64(bitPattern: value.int64), radix: 2))
        }
    }

    /// A double-quoted string with C escapes for quotes, backslashes and control characters.
    public static func writeQuoted(_ bytes: UnsafeRawBufferPointer, to out: OutputBuffer) {
        out.write(byte: UInt8(ascii: "\""))
        for b in bytes {
            switch b {
            case UInt8(ascii: "\""): out.write("\\\"")
            case UInt8(ascii: "\\"): out.write("\\\\")
            case 0x0A: out.write("\\n")
            case 0x09: out.write("\\t")
            case 0x0D: out.write("\\r")
            case 0..<0x20, 0x7F:
                out.write("\\x")
                out.writeHex(UInt64(b), width: 2)
            default: out.write(byte: b)
            }
        }
        out.write(byte: UInt8(ascii: "\""))
    }
}
