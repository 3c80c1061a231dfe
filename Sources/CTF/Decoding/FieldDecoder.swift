import Glibc
import TraceKit

/// A decoding problem at a bit position of the packet being read.
struct DecodeFailure: Error {
    var bitPosition: Int
    var message: String
}

/// Packet properties found while decoding a packet header and context.
struct PacketCaptures {
    var magic: UInt64?
    /// Bit position of the header's UUID bytes.
    var uuidPosition: Int?
    var streamClassID: UInt64?
    var streamInstanceID: UInt64?
    var beginTime: UInt64?
    var endTime: UInt64?
    var contentSize: UInt64?
    var packetSize: UInt64?
    var discardedEvents: UInt64?
    var sequenceNumber: UInt64?
    var cpuID: UInt64?
}

/// The task fields of an event's contexts, captured while their visit plans run (see
/// `DecodeOp.Flags.task`): the last value of each name wins, as when reading the fields one by one.
struct TaskCapture {
    /// `vtid`, `tid`, `vpid`, `pid`, present when bit i of `found` is set.
    var ids: (Int64, Int64, Int64, Int64) = (0, 0, 0, 0)
    var found: UInt8 = 0
    /// The `procname` bytes (in the packet).
    var comm: UnsafeRawBufferPointer?

    /// The task id the way `CTFTrace.task(of:)` picks it: `vtid`, then `tid`, `vpid`, `pid`.
    var pid: Int64? {
        if found & 1 != 0 { return ids.0 }
        if found & 2 != 0 { return ids.1 }
        if found & 4 != 0 { return ids.2 }
        if found & 8 != 0 { return ids.3 }
        return nil
    }

    @inline(__always)
    mutating func set(_ index: UInt64, _ value: Int64) {
        switch index {
        case 0: ids.0 = value
        case 1: ids.1 = value
        case 2: ids.2 = value
        default: ids.3 = value
        }
        found |= UInt8(1) << UInt8(index & 3)
    }
}

/// Runs decode plans over the bytes of one packet.
///
/// The decoder owns no memory: `base` points into a mapped file (or any byte medium) and `slots`
/// into the cursor's slot storage, so running a plan allocates nothing.
struct FieldDecoder {
    let base: UnsafeRawPointer
    /// Bytes that may be read from `base`.
    let available: Int
    /// Bits that belong to the packet's content; reading past them is an error.
    var limit: Int
    var position: Int
    /// The stream clock, updated by clock-mapped integers (CTF 1.8 section 8: timestamp wrap rule).
    var clock: UInt64
    var eventID: UInt64 = 0
    var hasEventID = false
    let slots: UnsafeMutablePointer<UInt64>
    let slotCount: Int
    /// Where packet properties go while a packet header and context are decoded (nil otherwise).
    var captures: UnsafeMutablePointer<PacketCaptures>?
    /// Where task fields go while event contexts are visited (nil otherwise).
    var task: UnsafeMutablePointer<TaskCapture>?

    init(base: UnsafeRawPointer, available: Int, limit: Int, position: Int, clock: UInt64,
         slots: UnsafeMutablePointer<UInt64>, slotCount: Int) {
        self.base = base
        self.available = available
        self.limit = limit
        self.position = position
        self.clock = clock
        self.slots = slots
        self.slotCount = slotCount
    }

    // MARK: - Shared steps

    @inline(__always)
    func failure(_ message: String) -> DecodeFailure {
        DecodeFailure(bitPosition: position, message: message)
    }

    @inline(__always)
    mutating func alignAndCheck(_ alignment: Int32, _ size: Int) throws {
        position = BitReader.align(position, Int(alignment))
        if position &+ size > limit {
            throw failure(size == 0 ? "field alignment goes past the end of the packet content"
                                    : "a \(size)-bit field goes past the end of the packet content")
        }
    }

    /// Op flags of integers whose value matters beyond being reported.
    static let effects: DecodeOp.Flags = [.storesSlot, .updatesClock, .eventClassID, .capture, .task]

    /// Applies the effects of an integer value: slots, clock, event id, task, packet properties.
    @inline(__always)
    private mutating func record(_ op: UnsafePointer<DecodeOp>, _ raw: UInt64, _ fields: UnsafeBufferPointer<Unmanaged<FieldInfo>>) {
        let flags = op.pointee.flags
        let size = Int(op.pointee.size)
        if flags.contains(.storesSlot) {
            let slot = Int(op.pointee.slot)
            if slot >= 0 && slot < slotCount {
                // Signed values are stored sign-extended, as babeltrace2 stores them.
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
        if flags.contains(.capture) && op.pointee.info >= 0 {
            capture(fields[Int(op.pointee.info)]._withUnsafeGuaranteedRef({ $0.property }), raw)
        }
    }

    /// Keeps a packet property (packet headers and contexts only).
    @inline(never)
    private mutating func capture(_ property: PacketProperty, _ raw: UInt64) {
        switch property {
        case .magic: captures?.pointee.magic = raw
        case .streamClassID: captures?.pointee.streamClassID = raw
        case .streamInstanceID: captures?.pointee.streamInstanceID = raw
        case .beginTime: captures?.pointee.beginTime = raw
        case .endTime: captures?.pointee.endTime = raw
        case .contentSize: captures?.pointee.contentSize = raw
        case .packetSize: captures?.pointee.packetSize = raw
        case .discardedEvents: captures?.pointee.discardedEvents = raw
        case .sequenceNumber: captures?.pointee.sequenceNumber = raw
        case .cpuID: captures?.pointee.cpuID = raw
        case .uuid, .none: break
        }
    }

    /// A clock field of `size` bits holds the low bits of the clock; a smaller value than the
    /// clock's current low bits means they wrapped once.
    @inline(__always)
    mutating func updateClock(_ value: UInt64, size: Int) {
        clock = Self.updatedClock(clock, value, size: size)
    }

    /// `clock` after a `size`-bit clock field of `value`: the low bits replaced, the bits above
    /// them carried when the low bits wrapped around.
    @inline(__always)
    static func updatedClock(_ clock: UInt64, _ value: UInt64, size: Int) -> UInt64 {
        if size >= 64 { return value }
        let mask: UInt64 = (1 << UInt64(size)) - 1
        var result = clock
        if value < result & mask { result = result &+ (mask &+ 1) }
        return (result & ~mask) | value
    }

    @inline(__always)
    private mutating func readInteger(_ op: UnsafePointer<DecodeOp>) throws -> UInt64 {
        let size = Int(op.pointee.size)
        try alignAndCheck(op.pointee.alignment, size)
        let raw = BitReader.read(base, available: available, bitOffset: position, size: size,
                                 bigEndian: op.pointee.flags.contains(.bigEndian))
        position &+= size
        return raw
    }

    /// Length in bytes of the NUL-terminated string at the (byte-aligned) position.
    @inline(__always)
    func stringLength() throws -> Int {
        let start = position >> 3
        let end = limit >> 3
        guard start <= end else { throw failure("string starts past the end of the packet content") }
        guard let nul = Self.firstNUL(base, from: start, end: end) else {
            throw failure("string is not terminated before the end of the packet content")
        }
        return nul - start
    }

    /// Offset of the first zero byte in `base[from..<end]`. Most strings of a trace are short:
    /// their first words are tested inline before calling `memchr`.
    @inline(__always)
    static func firstNUL(_ base: UnsafeRawPointer, from: Int, end: Int) -> Int? {
        var i = from
        while i &+ 8 <= end && i &- from < 32 {
            let word = UInt64(littleEndian: (base + i).loadUnaligned(as: UInt64.self))
            // The lowest set bit marks the first zero byte (higher bits may be false positives).
            let zeros = (word &- 0x0101_0101_0101_0101) & ~word & 0x8080_8080_8080_8080
            if zeros != 0 { return i &+ (zeros.trailingZeroBitCount >> 3) }
            i &+= 8
        }
        guard i < end, let nul = memchr(base + i, 0, end &- i) else { return nil }
        return base.distance(to: UnsafeRawPointer(nul))
    }

    @inline(__always)
    func slotValue(_ op: UnsafePointer<DecodeOp>) throws -> UInt64 {
        let slot = Int(op.pointee.slot)
        guard slot >= 0 && slot < slotCount else { throw failure("unresolved sequence length or variant tag") }
        return slots[slot]
    }

    @inline(__always)
    func count(_ value: UInt64, elementBits: Int) throws -> Int {
        // Any count whose bytes cannot fit in the packet is an error, so large values never overflow.
        guard value <= UInt64(limit) else {
            throw failure("length \(value) goes past the end of the packet content")
        }
        let (total, overflow) = Int(value).multipliedReportingOverflow(by: elementBits)
        if overflow || position &+ total > limit {
            throw failure("length \(value) goes past the end of the packet content")
        }
        return Int(value)
    }

    // MARK: - Skipping

    /// Decodes a scope for its effects only (positions, lengths, tags, clock, ids, properties).
    @inline(__always)
    mutating func skip(_ plan: DecodePlan) throws {
        try skip(plan.opsBuffer, plan.fieldsBuffer, plan.variantSelectorsBuffer, 0..<plan.opsBuffer.count)
    }

    /// `skip(_:)` from a plan's plain tables (no reference counting).
    @inline(__always)
    mutating func skip(_ view: PlanView) throws {
        try skip(UnsafeBufferPointer(start: view.ops, count: view.count), view.fields, view.selectors, 0..<view.count)
    }

    /// The op range of the option that `tag` selects, from the variant op's selectors.
    @inline(__always)
    static func variantOption(_ op: DecodeOp, tag: UInt64, _ selectors: UnsafeBufferPointer<VariantSelector>) -> Range<Int>? {
        var i = Int(op.labelStart)
        let end = i &+ Int(op.labelCount)
        let signed = op.flags.contains(.signed)
        while i < end {
            let s = selectors[i]
            if selects(tag, s.lower, s.upper, signed: signed) { return Int(s.optionStart)..<Int(s.optionEnd) }
            i &+= 1
        }
        return nil
    }

    /// Whether a variant tag lies in a selector's range `lower...upper` (compared as signed
    /// integers for a signed tag).
    @inline(__always)
    static func selects(_ tag: UInt64, _ lower: UInt64, _ upper: UInt64, signed: Bool) -> Bool {
        signed
            ? Int64(bitPattern: tag) >= Int64(bitPattern: lower) && Int64(bitPattern: tag) <= Int64(bitPattern: upper)
            : tag >= lower && tag <= upper
    }

    private mutating func skip(_ ops: UnsafeBufferPointer<DecodeOp>, _ fields: UnsafeBufferPointer<Unmanaged<FieldInfo>>,
                               _ selectors: UnsafeBufferPointer<VariantSelector>, _ range: Range<Int>) throws {
        guard let first = ops.baseAddress else { return }
        var pc = range.lowerBound
        let end = range.upperBound
        while pc < end {
            // The op is read in place (never copied): the loop touches only the fields it needs.
            let op = first + pc
            switch op.pointee.code {
            case .skip:
                try alignAndCheck(op.pointee.alignment, Int(op.pointee.operand))
                position &+= Int(op.pointee.operand)
                pc &+= 1
            case .integer, .enumeration:
                let raw = try readInteger(op)
                if !op.pointee.flags.isDisjoint(with: Self.effects) { record(op, raw, fields) }
                pc &+= 1
            case .float:
                try alignAndCheck(op.pointee.alignment, Int(op.pointee.size))
                position &+= Int(op.pointee.size)
                pc &+= 1
            case .string:
                try alignAndCheck(8, 0)
                position &+= (try stringLength() &+ 1) << 3
                pc &+= 1
            case .structBegin:
                try alignAndCheck(op.pointee.alignment, 0)
                pc &+= 1
            case .structEnd:
                pc &+= 1
            case .array, .sequence:
                try alignAndCheck(op.pointee.alignment, 0)
                let n = op.pointee.code == .array ? op.pointee.operand : try slotValue(op)
                let body = (pc + 1)..<Int(op.pointee.end)
                var i: UInt64 = 0
                while i < n {
                    let before = position
                    try skip(ops, fields, selectors, body)
                    // Elements without bits would repeat forever; they change nothing.
                    if position == before { break }
                    i &+= 1
                }
                pc = Int(op.pointee.end)
            case .textArray, .textSequence:
                try alignAndCheck(8, 0)
                let n = try count(op.pointee.code == .textArray ? op.pointee.operand : try slotValue(op), elementBits: 8)
                if op.pointee.flags.contains(.capture) && op.pointee.info >= 0
                    && fields[Int(op.pointee.info)]._withUnsafeGuaranteedRef({ $0.property }) == .uuid {
                    captures?.pointee.uuidPosition = position
                }
                position &+= n << 3
                pc &+= 1
            case .skipSequence:
                try alignAndCheck(op.pointee.alignment, 0)
                let n = try count(try slotValue(op), elementBits: Int(op.pointee.size))
                position &+= n &* Int(op.pointee.size)
                pc &+= 1
            case .variant:
                let tag = try slotValue(op)
                guard let option = Self.variantOption(op.pointee, tag: tag, selectors) else {
                    throw failure("no variant option for tag value \(Int64(bitPattern: tag)) (unsigned \(tag))")
                }
                try skip(ops, fields, selectors, option)
                pc = Int(op.pointee.end)
            }
        }
    }

    /// `skip(_:)` for an event header of the flat shape (see `FlatHeader`): the same effects,
    /// without the general walk.
    @inline(__always)
    mutating func skip(_ header: FlatHeaderView) throws {
        try readFlat(header, 0, header.prefixEnd)
        if header.variant >= 0 {
            let op = header.ops + Int(header.variant)
            let tag = try slotValue(op)
            let signed = op.pointee.flags.contains(.signed)
            var i = 0
            while i < header.spanCount {
                let span = header.spans[i]
                if Self.selects(tag, span.lower, span.upper, signed: signed) { break }
                i &+= 1
            }
            guard i < header.spanCount else {
                throw failure("no variant option for tag value \(Int64(bitPattern: tag)) (unsigned \(tag))")
            }
            try readFlat(header, header.spans[i].start, header.spans[i].end)
        }
        try readFlat(header, header.prefixEnd, header.suffixEnd)
    }

    @inline(__always)
    private mutating func readFlat(_ header: FlatHeaderView, _ start: Int32, _ end: Int32) throws {
        var j = Int(start)
        let last = Int(end)
        while j < last {
            let op = header.ops + Int(header.sequence[j])
            switch op.pointee.code {
            case .integer, .enumeration:
                let raw = try readInteger(op)
                if !op.pointee.flags.isDisjoint(with: Self.effects) { record(op, raw, header.fields) }
            case .skip:
                try alignAndCheck(op.pointee.alignment, Int(op.pointee.operand))
                position &+= Int(op.pointee.operand)
            default:
                try alignAndCheck(op.pointee.alignment, 0)
            }
            j &+= 1
        }
    }

    // MARK: - Visiting

    /// Decodes a scope and reports its fields to `visitor`.
    mutating func visit<V: FieldVisitor>(_ plan: DecodePlan, into visitor: inout V) throws {
        try visit(plan.opsBuffer, plan.fieldsBuffer, 0..<plan.opsBuffer.count, &visitor)
    }

    private mutating func visit<V: FieldVisitor>(_ ops: UnsafeBufferPointer<DecodeOp>,
                                                 _ fields: UnsafeBufferPointer<Unmanaged<FieldInfo>>,
                                                 _ range: Range<Int>, _ visitor: inout V) throws {
        guard let first = ops.baseAddress else { return }
        var pc = range.lowerBound
        while pc < range.upperBound {
            // The op is read in place (never copied): the loop touches only the fields it needs.
            let op = first + pc
            let flags = op.pointee.flags
            let visited = flags.contains(.visited)
            switch op.pointee.code {
            case .skip:
                try alignAndCheck(op.pointee.alignment, Int(op.pointee.operand))
                position &+= Int(op.pointee.operand)
            case .integer, .enumeration:
                let size = Int(op.pointee.size)
                try alignAndCheck(op.pointee.alignment, size)
                let raw = BitReader.read(base, available: available, bitOffset: position, size: size,
                                         bigEndian: flags.contains(.bigEndian))
                position &+= size
                if !flags.isDisjoint(with: Self.effects) { record(op, raw, fields) }
                if visited {
                    let signed = flags.contains(.signed)
                    let value: IntegerValue = signed ? .signed(BitReader.signExtend(raw, size: size)) : .unsigned(raw)
                    fields[Int(op.pointee.info)]._withUnsafeGuaranteedRef { info in
                        if op.pointee.code == .integer {
                            visitor.visitInteger(info.name, value, base: info.base)
                        } else {
                            let key = signed ? UInt64(bitPattern: BitReader.signExtend(raw, size: size)) ^ (1 << 63) : raw
                            visitor.visitEnumeration(info.name, value, labels: info.labels(forKey: key))
                        }
                    }
                }
            case .float:
                let size = Int(op.pointee.size)
                try alignAndCheck(op.pointee.alignment, size)
                let raw = BitReader.read(base, available: available, bitOffset: position, size: size,
                                         bigEndian: flags.contains(.bigEndian))
                position &+= size
                if visited {
                    let value = size == 32 ? Double(Float(bitPattern: UInt32(truncatingIfNeeded: raw)))
                                           : Double(bitPattern: raw)
                    fields[Int(op.pointee.info)]._withUnsafeGuaranteedRef { visitor.visitFloat($0.name, value) }
                }
            case .string:
                try alignAndCheck(8, 0)
                let length = try stringLength()
                if visited {
                    let bytes = UnsafeRawBufferPointer(start: base + (position >> 3), count: length)
                    if flags.contains(.task) { task?.pointee.comm = bytes }
                    fields[Int(op.pointee.info)]._withUnsafeGuaranteedRef { visitor.visitString($0.name, bytes) }
                }
                position &+= (length &+ 1) << 3
            case .structBegin:
                try alignAndCheck(op.pointee.alignment, 0)
                if visited { fields[Int(op.pointee.info)]._withUnsafeGuaranteedRef { visitor.beginStructure($0.name) } }
            case .structEnd:
                if visited { visitor.endStructure() }
            case .array, .sequence:
                try alignAndCheck(op.pointee.alignment, 0)
                let n = op.pointee.code == .array ? op.pointee.operand : try slotValue(op)
                let body = (pc + 1)..<Int(op.pointee.end)
                if visited {
                    // A count that cannot fit in the packet fails on its first out-of-bounds element.
                    let count = Int(clamping: min(n, UInt64(limit)))
                    fields[Int(op.pointee.info)]._withUnsafeGuaranteedRef { visitor.beginArray($0.name, count: count, isText: false) }
                }
                var i: UInt64 = 0
                while i < n {
                    let before = position
                    try visit(ops, fields, body, &visitor)
                    i &+= 1
                    if position == before && i < n {
                        // Elements without bits: every remaining element reads the same way.
                        guard n - i <= 1 << 20 else { throw failure("\(n) empty array elements") }
                    }
                }
                if visited { visitor.endArray() }
                pc = Int(op.pointee.end)
                continue
            case .textArray, .textSequence:
                try alignAndCheck(8, 0)
                let n = try count(op.pointee.code == .textArray ? op.pointee.operand : try slotValue(op), elementBits: 8)
                let start = base + (position >> 3)
                if flags.contains(.capture) && op.pointee.info >= 0 && fields[Int(op.pointee.info)]._withUnsafeGuaranteedRef({ $0.property }) == .uuid {
                    captures?.pointee.uuidPosition = position
                }
                if visited {
                    // Text stops at the first NUL, like babeltrace2's string conversion.
                    let text = memchr(start, 0, n).map { start.distance(to: UnsafeRawPointer($0)) } ?? n
                    let bytes = UnsafeRawBufferPointer(start: start, count: text)
                    if flags.contains(.task) { task?.pointee.comm = bytes }
                    fields[Int(op.pointee.info)]._withUnsafeGuaranteedRef { visitor.visitString($0.name, bytes) }
                }
                position &+= n << 3
            case .skipSequence:
                try alignAndCheck(op.pointee.alignment, 0)
                let n = try count(try slotValue(op), elementBits: Int(op.pointee.size))
                position &+= n &* Int(op.pointee.size)
            case .variant:
                let info = fields[Int(op.pointee.info)].takeUnretainedValue()
                guard let table = info.variant else { throw failure("variant without option table") }
                let tag = try slotValue(op)
                guard let option = table.option(forTag: tag) else {
                    throw failure("no variant option for tag value \(Int64(bitPattern: tag)) (unsigned \(tag))")
                }
                if visited { visitor.beginVariant(info.name, option: table.optionNames[option]) }
                try visit(ops, fields, table.optionRanges[option], &visitor)
                if visited { visitor.endVariant() }
                pc = Int(op.pointee.end)
                continue
            }
            pc &+= 1
        }
    }
}
