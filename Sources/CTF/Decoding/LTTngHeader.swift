/// The event headers LTTng writes, read with straight-line code: they are the headers of nearly
/// every CTF trace, read once per event, and a general walk over their fields took about a third
/// of the time of indexing a trace.
///
/// - large: a 16-bit id, then a 32-bit timestamp, or (id 65535) a 32-bit id and a 64-bit timestamp;
/// - compact: a 5-bit id and a 27-bit timestamp, or (id 31) a 32-bit id and a 64-bit timestamp.
///
/// Recognised from the header's flat form (`FlatHeaderView`) by its fields' sizes, alignments,
/// byte order and roles, whatever their names; any other header, and any header that does not
/// fit in the packet's content, is left to the general path (which reports errors).
struct LTTngHeader {
    private let compact: Bool
    private let bigEndian: Bool
    /// Slots the id, and the extended id, are kept in (-1: none).
    private let idSlot: Int
    private let extendedIDSlot: Int

    /// One field of the header as the recognition sees it.
    private struct Field: Equatable {
        var alignment: Int
        var size: Int
        var slot = -1
        var clock = false
        var id = false
    }

    init?(_ header: FlatHeaderView) {
        guard header.variant >= 0, header.spanCount == 2, header.suffixEnd == header.prefixEnd else { return nil }
        let variant = header.ops[Int(header.variant)]
        guard !variant.flags.contains(.signed) else { return nil }
        var bigEndian: Bool?

        /// The integer fields of sequence entries `start..<end`, alignments (structures) folded into
        /// the field after them (aligning to 8 then to 8 is aligning to 8); nil for anything else.
        func fields(_ start: Int32, _ end: Int32) -> [Field]? {
            var out: [Field] = []
            var pending = 1
            for j in Int(start)..<Int(end) {
                let op = header.ops[Int(header.sequence[j])]
                let alignment = max(1, Int(op.alignment))
                switch op.code {
                case .structBegin:
                    pending = max(pending, alignment)
                case .skip where op.operand == 0:
                    // What a skip plan makes of a structure's start: an alignment.
                    pending = max(pending, alignment)
                case .integer, .enumeration:
                    let flags = op.flags
                    guard flags.isDisjoint(with: [.capture, .task, .signed]) else { return nil }
                    let big = flags.contains(.bigEndian)
                    if bigEndian == nil { bigEndian = big }
                    guard bigEndian == big else { return nil }
                    out.append(Field(alignment: max(pending, alignment), size: Int(op.size),
                                     slot: flags.contains(.storesSlot) ? Int(op.slot) : -1,
                                     clock: flags.contains(.updatesClock), id: flags.contains(.eventClassID)))
                    pending = 1
                default:
                    return nil
                }
            }
            // A trailing alignment would move the position: not this shape.
            return pending == 1 ? out : nil
        }

        guard let prefix = fields(0, header.prefixEnd), prefix.count == 1 else { return nil }
        let tag = prefix[0]
        guard tag.id, !tag.clock, tag.slot >= 0, tag.slot == Int(variant.slot) else { return nil }
        let compact: Bool
        // Both start a byte (the header structure is byte-aligned): the compact form's 5 + 27
        // bits then make one 32-bit word.
        switch (tag.size, tag.alignment) {
        case (5, 8): compact = true
        case (16, 8): compact = false
        default: return nil
        }
        let extendedTag = UInt64(compact ? 31 : 65_535)
        var short: [Field]?
        var extended: [Field]?
        for i in 0..<2 {
            let span = header.spans[i]
            let option = fields(span.start, span.end)
            if span.lower == 0 && span.upper == extendedTag - 1 { short = option }
            if span.lower == extendedTag && span.upper == extendedTag { extended = option }
        }
        let timestamp = compact ? Field(alignment: 1, size: 27, clock: true) : Field(alignment: 8, size: 32, clock: true)
        guard let short, short == [timestamp], let extended, extended.count == 2,
              extended[0].alignment == 8, extended[0].size == 32, extended[0].id, !extended[0].clock,
              extended[1] == Field(alignment: 8, size: 64, clock: true) else { return nil }
        self.compact = compact
        self.bigEndian = bigEndian ?? false
        idSlot = tag.slot
        extendedIDSlot = extended[0].slot
    }

    @inline(__always)
    private func load32(_ d: FieldDecoder, _ bit: Int) -> UInt32 {
        let raw = d.base.loadUnaligned(fromByteOffset: bit >> 3, as: UInt32.self)
        return bigEndian ? UInt32(bigEndian: raw) : UInt32(littleEndian: raw)
    }

    /// Reads the header at `d`'s position with its effects (position, clock, slots, event id), as
    /// the general path would; false, with `d` unchanged but for slots (which the general path
    /// sets again), when the general path must read it.
    @inline(__always)
    func read(_ d: inout FieldDecoder) -> Bool {
        var p = (d.position &+ 7) & ~7
        if compact {
            guard p &+ 32 <= d.limit, idSlot < d.slotCount else { return false }
            let word = load32(d, p)
            // Bit fields fill a little-endian word from its low bits, a big-endian one from its high bits.
            let tag = UInt64(bigEndian ? word >> 27 : word & 31)
            d.slots[idSlot] = tag
            if tag < 31 {
                let timestamp = UInt64(bigEndian ? word & 0x07FF_FFFF : word >> 5)
                d.clock = FieldDecoder.updatedClock(d.clock, timestamp, size: 27)
                d.position = p &+ 32
                d.eventID = tag
                d.hasEventID = true
                return true
            }
            // The extended form starts at the next byte after the 5-bit id.
            p &+= 5
        } else {
            guard p &+ 16 <= d.limit else { return false }
            let raw = d.base.loadUnaligned(fromByteOffset: p >> 3, as: UInt16.self)
            let tag = UInt64(bigEndian ? UInt16(bigEndian: raw) : UInt16(littleEndian: raw))
            p &+= 16
            guard idSlot < d.slotCount else { return false }
            if tag < 65_535 {
                guard p &+ 32 <= d.limit else { return false }
                d.slots[idSlot] = tag
                d.clock = FieldDecoder.updatedClock(d.clock, UInt64(load32(d, p)), size: 32)
                d.position = p &+ 32
                d.eventID = tag
                d.hasEventID = true
                return true
            }
            d.slots[idSlot] = tag
        }
        // Extended form: a 32-bit id and a 64-bit timestamp, byte-aligned.
        p = (p &+ 7) & ~7
        guard p &+ 96 <= d.limit else { return false }
        let id = UInt64(load32(d, p))
        let raw = d.base.loadUnaligned(fromByteOffset: (p >> 3) &+ 4, as: UInt64.self)
        if extendedIDSlot >= 0 && extendedIDSlot < d.slotCount { d.slots[extendedIDSlot] = id }
        d.clock = bigEndian ? UInt64(bigEndian: raw) : UInt64(littleEndian: raw)
        d.position = p &+ 96
        d.eventID = id
        d.hasEventID = true
        return true
    }
}
