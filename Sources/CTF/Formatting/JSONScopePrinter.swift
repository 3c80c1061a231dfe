import Glibc
import TraceKit

/// Decodes a scope with its `.json` plan and writes its fields as JSON members, exactly as
/// `JSONRecordWriter` writes the visits of the same plan (`"name":value`, arrays, objects for
/// structures and variants, `{"value":N,"labels":[...]}` for enumerations), with the keys rendered
/// in advance. The hot path of `dump --format json` on CTF traces.
extension FieldDecoder {
    /// Writes the members of `plan`'s scope; `first` tells whether no member was written before
    /// (else a comma precedes the first), and is false afterwards if any was written.
    mutating func printJSONMembers(_ plan: PlanView, to out: inout ByteBuffer, first: inout Bool) throws {
        var tables = plan
        // The tables go by address: the recursive printer should not copy them at each call.
        try withUnsafePointer(to: &tables) { t in
            try printJSON(t, 0..<plan.count, &out, first: &first)
        }
    }

    private mutating func printJSON(_ t: UnsafePointer<PlanView>, _ range: Range<Int>, _ out: inout ByteBuffer,
                                    first: inout Bool) throws {
        var pc = range.lowerBound
        while pc < range.upperBound {
            let op = t.pointee.ops + pc
            let flags = op.pointee.flags
            let shown = flags.contains(.visited)
            if shown {
                // What precedes a value: a comma after the first member, then the key (none for
                // array elements). Written before decoding: a failure drops the whole record.
                out.reserve(8)
                if first { first = false } else { out.end.pointee = UInt8(ascii: ","); out.commit(1) }
                if !flags.contains(.element) {
                    out.append(UnsafeRawBufferPointer(start: t.pointee.text + Int(op.pointee.prefixStart),
                                                      count: Int(op.pointee.prefixCount)))
                }
            }
            switch op.pointee.code {
            case .integer, .enumeration:
                let size = Int(op.pointee.size)
                try alignAndCheck(op.pointee.alignment, size)
                let raw = BitReader.read(base, available: available, bitOffset: position, size: size,
                                         bigEndian: flags.contains(.bigEndian))
                position &+= size
                if !flags.isSubset(of: [.signed, .bigEndian, .visited, .element, .option]) {
                    apply(op, raw)
                }
                if shown {
                    let signed = flags.contains(.signed)
                    let value = signed ? UInt64(bitPattern: BitReader.signExtend(raw, size: size)) : raw
                    if op.pointee.code == .enumeration {
                        out.append("{\"value\":")
                        if signed { out.appendDecimal(Int64(bitPattern: value)) } else { out.appendDecimal(value) }
                        out.append(",\"labels\":[")
                        out.append(t.pointee.labels(op, key: signed ? value ^ (1 << 63) : value))
                        out.append("]}")
                    } else if signed {
                        out.appendDecimal(Int64(bitPattern: value))
                    } else {
                        out.appendDecimal(value)
                    }
                }
            case .string:
                try alignAndCheck(8, 0)
                let start = position >> 3
                let length = try stringLength()
                if shown {
                    let bytes = UnsafeRawBufferPointer(start: base + start, count: length)
                    if flags.contains(.task) { task?.pointee.comm = bytes }
                    JSONText.writeString(bytes, to: &out)
                }
                position &+= (length &+ 1) << 3
            case .textArray, .textSequence:
                try alignAndCheck(8, 0)
                let n = try count(op.pointee.code == .textArray ? op.pointee.operand : try slotValue(op), elementBits: 8)
                if shown {
                    // Text stops at the first NUL, like babeltrace2's string conversion.
                    let start = base + (position >> 3)
                    let text = memchr(start, 0, Int(n)).map { start.distance(to: UnsafeRawPointer($0)) } ?? Int(n)
                    let bytes = UnsafeRawBufferPointer(start: start, count: text)
                    if flags.contains(.task) { task?.pointee.comm = bytes }
                    JSONText.writeString(bytes, to: &out)
                }
                position &+= Int(n) << 3
            case .float:
                let size = Int(op.pointee.size)
                try alignAndCheck(op.pointee.alignment, size)
                let raw = BitReader.read(base, available: available, bitOffset: position, size: size,
                                         bigEndian: flags.contains(.bigEndian))
                position &+= size
                if shown {
                    let value = size == 32 ? Double(Float(bitPattern: UInt32(truncatingIfNeeded: raw))) : Double(bitPattern: raw)
                    JSONText.writeFloat(value, to: &out)
                }
            case .structBegin:
                if shown { out.append(UInt8(ascii: "{")) }
                try alignAndCheck(op.pointee.alignment, 0)
                let end = Int(op.pointee.end)
                var inner = true
                try printJSON(t, (pc + 1)..<(end - 1), &out, first: &inner)
                if shown { out.append(UInt8(ascii: "}")) }
                pc = end
                continue
            case .array, .sequence:
                try alignAndCheck(op.pointee.alignment, 0)
                let n = op.pointee.code == .array ? op.pointee.operand : try slotValue(op)
                if shown { out.append(UInt8(ascii: "[")) }
                let end = Int(op.pointee.end)
                let body = (pc + 1)..<end
                var i: UInt64 = 0
                var inner = true
                while i < n {
                    let before = position
                    try printJSON(t, body, &out, first: &inner)
                    i &+= 1
                    if position == before && n - i > 1 << 20 {
                        throw failure("\(n) empty array elements")
                    }
                }
                if shown { out.append(UInt8(ascii: "]")) }
                pc = end
                continue
            case .variant:
                let tag = try slotValue(op)
                guard let option = FieldDecoder.variantOption(op.pointee, tag: tag, t.pointee.selectors) else {
                    throw failure("no variant option for tag value \(Int64(bitPattern: tag)) (unsigned \(tag))")
                }
                if shown { out.append(UInt8(ascii: "{")) }
                var inner = true
                try printJSON(t, option, &out, first: &inner)
                if shown { out.append(UInt8(ascii: "}")) }
                pc = Int(op.pointee.end)
                continue
            case .skip:
                try alignAndCheck(op.pointee.alignment, Int(op.pointee.operand))
                position &+= Int(op.pointee.operand)
            case .skipSequence:
                try alignAndCheck(op.pointee.alignment, 0)
                let n = try count(try slotValue(op), elementBits: Int(op.pointee.size))
                position &+= n &* Int(op.pointee.size)
            case .structEnd:
                break
            }
            pc &+= 1
        }
    }

    /// The effects of an integer besides its value: slots, clock, event id, task fields.
    @inline(__always)
    private mutating func apply(_ op: UnsafePointer<DecodeOp>, _ raw: UInt64) {
        let flags = op.pointee.flags
        let size = Int(op.pointee.size)
        if flags.contains(.storesSlot) {
            let slot = Int(op.pointee.slot)
            if slot >= 0 && slot < slotCount {
                slots[slot] = flags.contains(.signed) ? UInt64(bitPattern: BitReader.signExtend(raw, size: size)) : raw
            }
        }
        if flags.contains(.updatesClock) { updateClock(raw, size: size) }
        if flags.contains(.eventClassID) {
            eventID = raw
            hasEventID = true
        }
        if flags.contains(.task), let task {
            let value = flags.contains(.signed) ? BitReader.signExtend(raw, size: size) : Int64(bitPattern: raw)
            task.pointee.set(op.pointee.operand, value)
        }
    }
}
