import Glibc
import TraceKit

/// Decodes a scope with its `visitAll` plan and counts its fields into `DecodeStatistics`, exactly
/// as visiting the same plan with `DecodeStatistics` as the visitor does (every value is read and
/// folded into the counts and the integer checksum), without the visitor protocol in between: the
/// `dump --format stats` full decode.
extension FieldDecoder {
    mutating func tally(_ plan: PlanView, into stats: inout DecodeStatistics) throws {
        var tables = plan
        try withUnsafePointer(to: &tables) { t in
            try tally(t, 0..<plan.count, &stats)
        }
    }

    private mutating func tally(_ t: UnsafePointer<PlanView>, _ range: Range<Int>, _ stats: inout DecodeStatistics) throws {
        var pc = range.lowerBound
        while pc < range.upperBound {
            let op = t.pointee.ops + pc
            let flags = op.pointee.flags
            let shown = flags.contains(.visited)
            let code = op.pointee.code
            // Integers first, by a plain branch: most ops are integers, and a conditional branch
            // predicts better than the switch's indirect jump.
            if code == .integer || code == .enumeration {
                let size = Int(op.pointee.size)
                try alignAndCheck(op.pointee.alignment, size)
                let raw = BitReader.read(base, available: available, bitOffset: position, size: size,
                                         bigEndian: flags.contains(.bigEndian))
                position &+= size
                if !flags.isDisjoint(with: [.storesSlot, .updatesClock, .eventClassID]) { tallyEffects(op, raw) }
                if shown {
                    let signed = flags.contains(.signed)
                    let value = signed ? UInt64(bitPattern: BitReader.signExtend(raw, size: size)) : raw
                    if op.pointee.code == .enumeration {
                        stats.enumerations &+= 1
                        let labels = t.pointee.labelCount(op, key: signed ? value ^ (1 << 63) : value)
                        stats.integerSum &+= value &+ UInt64(labels)
                    } else {
                        stats.integers &+= 1
                        stats.integerSum &+= value
                    }
                }
                pc &+= 1
                continue
            }
            switch code {
            case .integer, .enumeration:
                break
            case .string:
                try alignAndCheck(8, 0)
                let length = try stringLength()
                if shown {
                    stats.strings &+= 1
                    stats.stringBytes &+= UInt64(length)
                }
                position &+= (length &+ 1) << 3
            case .textArray, .textSequence:
                try alignAndCheck(8, 0)
                let n = try count(op.pointee.code == .textArray ? op.pointee.operand : try slotValue(op), elementBits: 8)
                if shown {
                    // Text stops at the first NUL, like babeltrace2's string conversion.
                    let from = position >> 3
                    let text = (FieldDecoder.firstNUL(base, from: from, end: from &+ Int(n)) ?? from &+ Int(n)) &- from
                    stats.strings &+= 1
                    stats.stringBytes &+= UInt64(text)
                }
                position &+= Int(n) << 3
            case .float:
                let size = Int(op.pointee.size)
                try alignAndCheck(op.pointee.alignment, size)
                position &+= size
                if shown { stats.floats &+= 1 }
            case .structBegin:
                if shown { stats.structures &+= 1 }
                try alignAndCheck(op.pointee.alignment, 0)
            case .structEnd:
                break
            case .array, .sequence:
                try alignAndCheck(op.pointee.alignment, 0)
                let n = op.pointee.code == .array ? op.pointee.operand : try slotValue(op)
                if shown { stats.arrays &+= 1 }
                let end = Int(op.pointee.end)
                let body = (pc + 1)..<end
                var i: UInt64 = 0
                while i < n {
                    let before = position
                    try tally(t, body, &stats)
                    i &+= 1
                    if position == before && n - i > 1 << 20 {
                        throw failure("\(n) empty array elements")
                    }
                }
                pc = end
                continue
            case .variant:
                let tag = try slotValue(op)
                guard let option = FieldDecoder.variantOption(op.pointee, tag: tag, t.pointee.selectors) else {
                    throw failure("no variant option for tag value \(Int64(bitPattern: tag)) (unsigned \(tag))")
                }
                if shown { stats.variants &+= 1 }
                try tally(t, option, &stats)
                pc = Int(op.pointee.end)
                continue
            case .skip:
                try alignAndCheck(op.pointee.alignment, Int(op.pointee.operand))
                position &+= Int(op.pointee.operand)
            case .skipSequence:
                try alignAndCheck(op.pointee.alignment, 0)
                let n = try count(try slotValue(op), elementBits: Int(op.pointee.size))
                position &+= n &* Int(op.pointee.size)
            }
            pc &+= 1
        }
    }

    /// The effects of an integer besides its value: slots, clock, event id.
    @inline(__always)
    private mutating func tallyEffects(_ op: UnsafePointer<DecodeOp>, _ raw: UInt64) {
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
    }
}
