import Glibc
import TraceKit

/// Decodes a scope with its `visitShown` plan and writes it as babeltrace2's pretty printer does:
/// structures `{ a = 1, b = 2 }`, arrays `[ [0] = 1, [1] = 2 ]`, variants `{ value }`, enumerations
/// `( "LABEL" : container = 3 )`, strings quoted and escaped.
///
/// This is the hot path of `dump --format babeltrace`: it writes straight into a `TextBuffer`,
/// separators and names are rendered in advance, and nothing is reference counted.
extension FieldDecoder {
    mutating func printScope(_ plan: PlanView, to out: inout TextBuffer) throws {
        var tables = plan
        out.append(UInt8(ascii: "{"))
        // The tables go by address: the recursive printer should not copy them at each call.
        try withUnsafePointer(to: &tables) { t in
            try print(t, 0..<plan.count, &out, element: 0)
        }
        out.append(" }")
    }

    /// Prints the ops of `range`; `element` is the index of the array element they form, if any.
    private mutating func print(_ t: UnsafePointer<PlanView>, _ range: Range<Int>, _ out: inout TextBuffer,
                                element: Int) throws {
        var pc = range.lowerBound
        while pc < range.upperBound {
            let op = t.pointee.ops + pc
            let flags = op.pointee.flags
            let shown = flags.contains(.visited)
            if shown {
                // What precedes a shown value: `, name = `, ` [i] = ` for array elements, nothing
                // for variant options (written before decoding: a failure drops the whole event).
                if flags.contains(.element) {
                    out.append(element == 0 ? " [" : ", [")
                    out.appendDecimal(UInt64(element))
                    out.append("] = ")
                } else {
                    out.append(UnsafeRawBufferPointer(start: t.pointee.text + Int(op.pointee.prefixStart),
                                                      count: Int(op.pointee.prefixCount)))
                }
            }
            switch op.pointee.code {
            case .integer, .enumeration:
                let size = Int(op.pointee.size)
                position = BitReader.align(position, Int(op.pointee.alignment))
                guard position &+ size <= limit else {
                    throw DecodeFailure(bitPosition: position, message: "a \(size)-bit field goes past the end of the packet content")
                }
                let raw = BitReader.read(base, available: available, bitOffset: position, size: size,
                                         bigEndian: flags.contains(.bigEndian))
                position &+= size
                if flags.contains(.storesSlot) {
                    let slot = Int(op.pointee.slot)
                    if slot >= 0 && slot < slotCount {
                        slots[slot] = flags.contains(.signed) ? UInt64(bitPattern: BitReader.signExtend(raw, size: size)) : raw
                    }
                }
                if shown {
                    let signed = flags.contains(.signed)
                    if op.pointee.code == .enumeration {
                        let key = signed ? UInt64(bitPattern: BitReader.signExtend(raw, size: size)) ^ (1 << 63) : raw
                        out.append("( ")
                        let labels = t.pointee.labels(op, key: key)
                        if labels.isEmpty { out.append("<unknown>") } else { out.append(labels) }
                        out.append(" : container = ")
                        BabeltraceValueFormat.appendInteger(raw, signed: signed, size: size, base: op.pointee.base, to: &out)
                        out.append(" )")
                    } else if op.pointee.base == .decimal {
                        if signed {
                            out.appendDecimal(BitReader.signExtend(raw, size: size))
                        } else {
                            out.appendDecimal(raw)
                        }
                    } else {
                        BabeltraceValueFormat.appendInteger(raw, signed: signed, size: size, base: op.pointee.base, to: &out)
                    }
                }
            case .string:
                position = BitReader.align(position, 8)
                let start = position >> 3
                let end = limit >> 3
                guard start <= end, let nul = FieldDecoder.firstNUL(base, from: start, end: end) else {
                    throw DecodeFailure(bitPosition: position, message: "string is not terminated before the end of the packet content")
                }
                let length = nul - start
                if shown {
                    BabeltraceValueFormat.appendString(UnsafeRawBufferPointer(start: base + start, count: length), to: &out)
                }
                position &+= (length &+ 1) << 3
            case .textArray, .textSequence:
                position = BitReader.align(position, 8)
                let n = op.pointee.code == .textArray ? op.pointee.operand : try storedValue(op)
                guard n <= UInt64(limit), position &+ Int(n) &* 8 <= limit else {
                    throw DecodeFailure(bitPosition: position, message: "length \(n) goes past the end of the packet content")
                }
                if shown {
                    let start = base + (position >> 3)
                    let text = memchr(start, 0, Int(n)).map { start.distance(to: UnsafeRawPointer($0)) } ?? Int(n)
                    BabeltraceValueFormat.appendString(UnsafeRawBufferPointer(start: start, count: text), to: &out)
                }
                position &+= Int(n) << 3
            case .float:
                let size = Int(op.pointee.size)
                position = BitReader.align(position, Int(op.pointee.alignment))
                guard position &+ size <= limit else {
                    throw DecodeFailure(bitPosition: position, message: "a \(size)-bit field goes past the end of the packet content")
                }
                let raw = BitReader.read(base, available: available, bitOffset: position, size: size,
                                         bigEndian: flags.contains(.bigEndian))
                position &+= size
                if shown {
                    let value = size == 32 ? Double(Float(bitPattern: UInt32(truncatingIfNeeded: raw))) : Double(bitPattern: raw)
                    BabeltraceValueFormat.appendFloat(value, to: &out)
                }
            case .structBegin:
                if shown {
                    out.append(UInt8(ascii: "{"))
                }
                position = BitReader.align(position, Int(op.pointee.alignment))
                if position > limit {
                    throw DecodeFailure(bitPosition: position, message: "structure alignment goes past the end of the packet content")
                }
                let end = Int(op.pointee.end)
                try print(t, (pc + 1)..<(end - 1), &out, element: 0)
                if shown { out.append(" }") }
                pc = end
                continue
            case .array, .sequence:
                let n = op.pointee.code == .array ? op.pointee.operand : try storedValue(op)
                position = BitReader.align(position, Int(op.pointee.alignment))
                if position > limit {
                    throw DecodeFailure(bitPosition: position, message: "array alignment goes past the end of the packet content")
                }
                if shown {
                    out.append(UInt8(ascii: "["))
                }
                let end = Int(op.pointee.end)
                let body = (pc + 1)..<end
                var i: UInt64 = 0
                while i < n {
                    let before = position
                    try print(t, body, &out, element: Int(truncatingIfNeeded: i))
                    i &+= 1
                    if position == before && n - i > 1 << 20 {
                        throw DecodeFailure(bitPosition: position, message: "\(n) empty array elements")
                    }
                }
                if shown { out.append(" ]") }
                pc = end
                continue
            case .variant:
                let tag = try storedValue(op)
                guard let option = FieldDecoder.variantOption(op.pointee, tag: tag, t.pointee.selectors) else {
                    throw DecodeFailure(bitPosition: position,
                                        message: "no variant option for tag value \(Int64(bitPattern: tag)) (unsigned \(tag))")
                }
                if shown {
                    out.append("{ ")
                }
                try print(t, option, &out, element: 0)
                if shown { out.append(" }") }
                pc = Int(op.pointee.end)
                continue
            case .skip:
                position = BitReader.align(position, Int(op.pointee.alignment)) &+ Int(op.pointee.operand)
                if position > limit {
                    throw DecodeFailure(bitPosition: position, message: "a field goes past the end of the packet content")
                }
            case .skipSequence:
                position = BitReader.align(position, Int(op.pointee.alignment))
                let n = try storedValue(op)
                let (total, overflow) = Int(clamping: n).multipliedReportingOverflow(by: Int(op.pointee.size))
                guard n <= UInt64(limit), !overflow, position &+ total <= limit else {
                    throw DecodeFailure(bitPosition: position, message: "length \(n) goes past the end of the packet content")
                }
                position &+= total
            case .structEnd:
                break
            }
            pc &+= 1
        }
    }

    @inline(__always)
    private func storedValue(_ op: UnsafePointer<DecodeOp>) throws -> UInt64 {
        let slot = Int(op.pointee.slot)
        guard slot >= 0 && slot < slotCount else {
            throw DecodeFailure(bitPosition: position, message: "unresolved sequence length or variant tag")
        }
        return slots[slot]
    }
}
