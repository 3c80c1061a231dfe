import Glibc
import TraceKit

/// The pre-rendered parts of a plan the printer reads, borrowed for one scope.
private struct PrintTables {
    let ops: UnsafeBufferPointer<DecodeOp>
    let fields: UnsafeBufferPointer<FieldInfo>
    let text: UnsafeBufferPointer<UInt8>
    let labelStarts: UnsafeBufferPointer<UInt64>
    let labelTexts: UnsafeBufferPointer<UInt64>

    @inline(__always)
    func text(_ start: Int32, _ count: Int32) -> UnsafeRawBufferPointer {
        UnsafeRawBufferPointer(rebasing: UnsafeRawBufferPointer(text)[Int(start)..<Int(start) + Int(count)])
    }

    /// The rendered labels of an enumeration value (`"A", "B"` or `<unknown>`).
    @inline(__always)
    func labels(_ op: DecodeOp, key: UInt64) -> UnsafeRawBufferPointer {
        var low = Int(op.textStart), high = Int(op.textStart) + Int(op.textCount)
        let first = low
        while low < high {
            let mid = (low + high) >> 1
            if labelStarts[mid] <= key { low = mid + 1 } else { high = mid }
        }
        if low == first { return UnsafeRawBufferPointer(start: nil, count: 0) }
        let packed = labelTexts[low - 1]
        return text(Int32(truncatingIfNeeded: packed >> 32), Int32(truncatingIfNeeded: packed & 0xFFFF_FFFF))
    }
}

/// Decodes a scope with its `visitShown` plan and writes it as babeltrace2's pretty printer does:
/// structures `{ a = 1, b = 2 }`, arrays `[ [0] = 1, [1] = 2 ]`, variants `{ value }`, enumerations
/// `( "LABEL" : container = 3 )`, strings quoted and escaped.
///
/// This is the hot path of `dump --format babeltrace`, so it writes straight into a `TextBuffer`
/// with names and labels rendered in advance, instead of going through a `FieldVisitor`.
extension FieldDecoder {
    mutating func printScope(_ plan: DecodePlan, to out: inout TextBuffer) throws {
        let tables = PrintTables(ops: plan.opsBuffer, fields: plan.fieldsBuffer, text: plan.textBuffer,
                                 labelStarts: plan.labelStartsBuffer, labelTexts: plan.labelTextsBuffer)
        out.append(UInt8(ascii: "{"))
        var count = 0
        try print(tables, 0..<tables.ops.count, &out, &count, inArray: false, nameless: false)
        out.append(" }")
    }

    /// Writes the separator and name of the next structure member or array element.
    @inline(__always)
    private func member(_ name: UnsafeRawBufferPointer, _ out: inout TextBuffer, _ count: inout Int, inArray: Bool) {
        if count == 0 {
            out.append(UInt8(ascii: " "))
        } else {
            out.append(", ")
        }
        if inArray {
            out.append(UInt8(ascii: "["))
            out.appendDecimal(UInt64(count))
            out.append("] = ")
        } else {
            out.append(name)
        }
        count &+= 1
    }

    /// `count` is the number of members already written at this level; `inArray` says whether
    /// they are array elements; variant options are written without a name (`nameless`).
    private mutating func print(_ t: PrintTables, _ range: Range<Int>, _ out: inout TextBuffer, _ count: inout Int,
                                inArray: Bool, nameless: Bool) throws {
        var pc = range.lowerBound
        while pc < range.upperBound {
            let op = t.ops[pc]
            let shown = op.flags.contains(.visited)
            switch op.code {
            case .structBegin:
                if shown {
                    if !nameless { member(t.text(op.textStart, op.textCount), &out, &count, inArray: inArray) }
                    out.append(UInt8(ascii: "{"))
                }
                position = BitReader.align(position, Int(op.alignment))
                if position > limit {
                    throw DecodeFailure(bitPosition: position, message: "structure alignment goes past the end of the packet content")
                }
                var inner = 0
                try print(t, (pc + 1)..<(Int(op.end) - 1), &out, &inner, inArray: false, nameless: false)
                if shown { out.append(" }") }
                pc = Int(op.end)
                continue
            case .array, .sequence:
                let n = op.code == .array ? op.operand : try storedValue(op)
                position = BitReader.align(position, Int(op.alignment))
                if position > limit {
                    throw DecodeFailure(bitPosition: position, message: "array alignment goes past the end of the packet content")
                }
                if shown {
                    if !nameless { member(t.text(op.textStart, op.textCount), &out, &count, inArray: inArray) }
                    out.append(UInt8(ascii: "["))
                }
                let body = (pc + 1)..<Int(op.end)
                var elements = 0
                var i: UInt64 = 0
                while i < n {
                    let before = position
                    try print(t, body, &out, &elements, inArray: true, nameless: false)
                    i &+= 1
                    if position == before && n - i > 1 << 20 {
                        throw DecodeFailure(bitPosition: position, message: "\(n) empty array elements")
                    }
                }
                if shown { out.append(" ]") }
                pc = Int(op.end)
                continue
            case .variant:
                let table = t.fields[Int(op.info)].variant!
                let tag = try storedValue(op)
                guard let option = table.option(forTag: tag) else {
                    throw DecodeFailure(bitPosition: position,
                                        message: "no variant option for tag value \(Int64(bitPattern: tag)) (unsigned \(tag))")
                }
                if shown {
                    if !nameless { member(t.text(op.textStart, op.textCount), &out, &count, inArray: inArray) }
                    out.append("{ ")
                }
                var inner = 0
                try print(t, table.optionRanges[option], &out, &inner, inArray: false, nameless: true)
                if shown { out.append(" }") }
                pc = Int(op.end)
                continue
            case .enumeration:
                if shown && !nameless {
                    let packed = op.operand
                    member(t.text(Int32(truncatingIfNeeded: packed >> 32), Int32(truncatingIfNeeded: packed & 0xFFFF_FFFF)),
                           &out, &count, inArray: inArray)
                }
                try printLeaf(op, t, &out, shown: shown)
            default:
                if shown && !nameless { member(t.text(op.textStart, op.textCount), &out, &count, inArray: inArray) }
                try printLeaf(op, t, &out, shown: shown)
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
    private mutating func printLeaf(_ op: DecodeOp, _ t: PrintTables, _ out: inout TextBuffer, shown: Bool) throws {
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
            let base = op.base
            let signed = op.flags.contains(.signed)
            if op.code == .enumeration {
                let key = signed ? UInt64(bitPattern: BitReader.signExtend(raw, size: size)) ^ (1 << 63) : raw
                out.append("( ")
                let labels = t.labels(op, key: key)
                if labels.isEmpty { out.append("<unknown>") } else { out.append(labels) }
                out.append(" : container = ")
                BabeltraceValueFormat.appendInteger(raw, signed: signed, size: size, base: base, to: &out)
                out.append(" )")
            } else {
                BabeltraceValueFormat.appendInteger(raw, signed: signed, size: size, base: base, to: &out)
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
                BabeltraceValueFormat.appendFloat(value, to: &out)
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
                BabeltraceValueFormat.appendString(UnsafeRawBufferPointer(start: base + start, count: length), to: &out)
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
                BabeltraceValueFormat.appendString(UnsafeRawBufferPointer(start: start, count: text), to: &out)
            }
            position &+= Int(n) << 3
        case .skip:
            position = BitReader.align(position, Int(op.alignment)) &+ Int(op.operand)
            if position > limit {
                throw DecodeFailure(bitPosition: position, message: "a field goes past the end of the packet content")
            }
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
