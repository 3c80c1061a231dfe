import Glibc
import TraceKit

/// Decodes a scope with its `visitShown` plan and writes it as babeltrace2's pretty printer does:
/// structures `{ a = 1, b = 2 }`, arrays `[ [0] = 1, [1] = 2 ]`, variants `{ value }`, enumerations
/// `( "LABEL" : container = 3 )`, strings quoted and escaped.
///
/// This is the hot path of `dump --format babeltrace`, so it writes straight into the output
/// buffer instead of going through a `FieldVisitor`.
extension FieldDecoder {
    mutating func printScope(_ plan: DecodePlan, to out: OutputBuffer) throws {
        try plan.ops.withUnsafeBufferPointer { ops in
            try plan.fields.withUnsafeBufferPointer { fields in
                out.write(byte: UInt8(ascii: "{"))
                var count = 0
                try print(ops, fields, 0..<ops.count, out, &count, inArray: false)
                out.write(" }")
            }
        }
    }

    /// Writes the separator and name of the next member of a structure or element of an array.
    @inline(__always)
    private func member(_ name: String, _ out: OutputBuffer, _ count: inout Int, inArray: Bool) {
        out.write(count == 0 ? " " : ", ")
        if inArray {
            out.write(byte: UInt8(ascii: "["))
            out.writeDecimal(UInt64(count))
            out.write("] = ")
        } else {
            var name = name
            name.withUTF8 { out.write(UnsafeRawBufferPointer($0)) }
            out.write(" = ")
        }
        count += 1
    }

    /// `count` is the number of members already written at this level; `inArray` says whether
    /// they are array elements. Variant options are written without a separator (`nameless`).
    private mutating func print(_ ops: UnsafeBufferPointer<DecodeOp>, _ fields: UnsafeBufferPointer<FieldInfo>,
                                _ range: Range<Int>, _ out: OutputBuffer, _ count: inout Int, inArray: Bool,
                                nameless: Bool = false) throws {
        var pc = range.lowerBound
        while pc < range.upperBound {
            let op = ops[pc]
            let shown = op.flags.contains(.visited)
            switch op.code {
            case .structBegin:
                if shown {
                    if !nameless { member(fields[Int(op.info)].name, out, &count, inArray: inArray) }
                    out.write(byte: UInt8(ascii: "{"))
                }
                position = BitReader.align(position, Int(op.alignment))
                if position > limit { throw DecodeFailure(bitPosition: position, message: "structure alignment goes past the end of the packet content") }
                var inner = 0
                try print(ops, fields, (pc + 1)..<(Int(op.end) - 1), out, &inner, inArray: false)
                if shown { out.write(" }") }
                pc = Int(op.end)
                continue
            case .array, .sequence:
                let n = op.code == .array ? op.operand : try storedValue(op)
                position = BitReader.align(position, Int(op.alignment))
                if position > limit { throw DecodeFailure(bitPosition: position, message: "array alignment goes past the end of the packet content") }
                if shown {
                    if !nameless { member(fields[Int(op.info)].name, out, &count, inArray: inArray) }
                    out.write(byte: UInt8(ascii: "["))
                }
                let body = (pc + 1)..<Int(op.end)
                var elements = 0
                var i: UInt64 = 0
                while i < n {
                    let before = position
                    try print(ops, fields, body, out, &elements, inArray: true)
                    i &+= 1
                    if position == before && n - i > 1 << 20 {
                        throw DecodeFailure(bitPosition: position, message: "\(n) empty array elements")
                    }
                }
                if shown { out.write(" ]") }
                pc = Int(op.end)
                continue
            case .variant:
                let info = fields[Int(op.info)]
                let table = info.variant!
                let tag = try storedValue(op)
                guard let option = table.option(forTag: tag) else {
                    throw DecodeFailure(bitPosition: position,
                                        message: "no variant option for tag value \(Int64(bitPattern: tag)) (unsigned \(tag))")
                }
                if shown {
                    if !nameless { member(info.name, out, &count, inArray: inArray) }
                    out.write("{ ")
                }
                var inner = 0
                try print(ops, fields, table.optionRanges[option], out, &inner, inArray: false, nameless: true)
                if shown { out.write(" }") }
                pc = Int(op.end)
                continue
            default:
                if shown && !nameless { member(fields[Int(op.info)].name, out, &count, inArray: inArray) }
                try printLeaf(op, fields, out, shown: shown)
            }
            pc &+= 1
        }
    }

    @inline(__always)
    private func storedValue(_ op: DecodeOp) throws -> UInt64 {
        let slot = Int(op.slot)
        guard slot >= 0 && slot < slotCount else {
            throw DecodeFailure(bitPosition: position, message: "unresolved sequence length or variant tag")
        }
        return slots[slot]
    }

    /// Decodes one non-compound op, writing its value when `shown`.
    @inline(__always)
    private mutating func printLeaf(_ op: DecodeOp, _ fields: UnsafeBufferPointer<FieldInfo>, _ out: OutputBuffer,
                                    shown: Bool) throws {
        switch op.code {
        case .integer, .enumeration:
            let size = Int(op.size)
            position = BitReader.align(position, Int(op.alignment))
            guard position &+ size <= limit else {
                throw DecodeFailure(bitPosition: position, message: "a \(size)-bit field goes past the end of the packet content")
            }
            let raw = BitReader.read(base, available: available, bitOffset: position, size: size,
                                     bigEndian: op.flags.contains(.bigEndian))
            position &+= size
            if op.flags.contains(.storesSlot) {
                let slot = Int(op.slot)
                if slot >= 0 && slot < slotCount {
                    slots[slot] = op.flags.contains(.signed) ? UInt64(bitPattern: BitReader.signExtend(raw, size: size)) : raw
                }
            }
            guard shown else { return }
            let info = fields[Int(op.info)]
            let signed = op.flags.contains(.signed)
            if op.code == .enumeration {
                let key = signed ? UInt64(bitPattern: BitReader.signExtend(raw, size: size)) ^ (1 << 63) : raw
                let labels = info.labels(forKey: key)
                out.write("( ")
                if labels.isEmpty {
                    out.write("<unknown>")
                } else {
                    for (i, label) in labels.enumerated() {
                        if i > 0 { out.write(", ") }
                        BabeltraceValueFormat.writeString(label, to: out)
                    }
                }
                out.write(" : container = ")
                BabeltraceValueFormat.writeInteger(raw, signed: signed, size: size, base: info.base, to: out)
                out.write(" )")
            } else {
                BabeltraceValueFormat.writeInteger(raw, signed: signed, size: size, base: info.base, to: out)
            }
        case .float:
            let size = Int(op.size)
            position = BitReader.align(position, Int(op.alignment))
            guard position &+ size <= limit else {
                throw DecodeFailure(bitPosition: position, message: "a \(size)-bit field goes past the end of the packet content")
            }
            let raw = BitReader.read(base, available: available, bitOffset: position, size: size,
                                     bigEndian: op.flags.contains(.bigEndian))
            position &+= size
            if shown {
                let value = size == 32 ? Double(Float(bitPattern: UInt32(truncatingIfNeeded: raw))) : Double(bitPattern: raw)
                BabeltraceValueFormat.writeFloat(value, to: out)
            }
        case .string:
            position = BitReader.align(position, 8)
            let start = position >> 3
            let end = limit >> 3
            guard start <= end, let nul = memchr(base + start, 0, end - start) else {
                throw DecodeFailure(bitPosition: position, message: "string is not terminated before the end of the packet content")
            }
            let length = base.distance(to: UnsafeRawPointer(nul)) - start
            if shown {
                BabeltraceValueFormat.writeString(UnsafeRawBufferPointer(start: base + start, count: length), to: out)
            }
            position &+= (length &+ 1) << 3
        case .textArray, .textSequence:
            position = BitReader.align(position, 8)
            let n = op.code == .textArray ? op.operand : try storedValue(op)
            guard n <= UInt64(limit), position &+ Int(n) &* 8 <= limit else {
                throw DecodeFailure(bitPosition: position, message: "length \(n) goes past the end of the packet content")
            }
            if shown {
                let start = base + (position >> 3)
                let text = memchr(start, 0, Int(n)).map { start.distance(to: UnsafeRawPointer($0)) } ?? Int(n)
                BabeltraceValueFormat.writeString(UnsafeRawBufferPointer(start: start, count: text), to: out)
            }
            position &+= Int(n) << 3
        case .skip:
            position = BitReader.align(position, Int(op.alignment)) &+ Int(op.operand)
            if position > limit { throw DecodeFailure(bitPosition: position, message: "a field goes past the end of the packet content") }
        case .skipSequence:
            position = BitReader.align(position, Int(op.alignment))
            let n = try storedValue(op)
            let (total, overflow) = Int(clamping: n).multipliedReportingOverflow(by: Int(op.size))
            guard n <= UInt64(limit), !overflow, position &+ total <= limit else {
                throw DecodeFailure(bitPosition: position, message: "length \(n) goes past the end of the packet content")
            }
            position &+= total
        case .structEnd, .structBegin, .array, .sequence, .variant:
            break
        }
    }
}
