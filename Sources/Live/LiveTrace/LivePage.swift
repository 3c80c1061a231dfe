import Ftrace

/// One page read live, copied and indexed once when it arrives (record count, first and last
/// timestamps, the kernel's missed-events note), so streams and the memory cap need no decoding.
final class LivePage {
    /// Position of the page among its CPU's pages since the start (never reused); set when the
    /// page joins its CPU's pages.
    var sequence: Int
    /// The page, in memory owned by this object (stable while it lives, so readers can keep
    /// pointers into it).
    let bytes: UnsafeRawBufferPointer
    let firstTimestamp: Int64?
    let lastTimestamp: Int64?
    let eventCount: Int
    let missed: MissedEvents
    /// Why decoding stopped early, if the page is damaged.
    let damage: String?

    init(sequence: Int, bytes: UnsafeRawBufferPointer, layout: RingBufferLayout) {
        self.sequence = sequence
        let storage = UnsafeMutableRawBufferPointer.allocate(byteCount: max(1, bytes.count), alignment: 16)
        if let base = bytes.baseAddress { storage.baseAddress!.copyMemory(from: base, byteCount: bytes.count) }
        let raw = UnsafeRawBufferPointer(rebasing: UnsafeRawBufferPointer(storage)[0..<bytes.count])
        self.bytes = raw
        var first: Int64?, last: Int64?, count = 0
        var missed = MissedEvents.none
        var damage: String?
        do {
            let page = try SubBuffer(raw, layout: layout, byteOrder: .host)
            missed = page.missedEvents
            var reader = page.makeReader()
            while let record = try reader.next() {
                let t = Int64(bitPattern: record.timestamp)
                if first == nil { first = t }
                last = t
                count += 1
            }
        } catch {
            damage = "\(error)"
        }
        firstTimestamp = first
        lastTimestamp = last
        eventCount = count
        self.missed = missed
        self.damage = damage
    }

    deinit {
        UnsafeMutableRawPointer(mutating: bytes.baseAddress)?.deallocate()
    }

    /// The page header and record iteration.
    func subBuffer(layout: RingBufferLayout) throws -> SubBuffer {
        try SubBuffer(bytes, layout: layout, byteOrder: .host)
    }

    /// Bytes this page costs in memory (its data plus bookkeeping).
    var memoryCost: Int { bytes.count + 96 }
}

extension ByteOrder {
    /// The byte order of the machine ringside runs on (the live kernel's).
    static var host: ByteOrder { 1.littleEndian == 1 ? .little : .big }
}
