import TraceKit

/// One data stream of a trace: the packets of one or more stream files (LTTng splits a stream in
/// several files when `--tracefile-size` is used), in time order.
final class CTFDataStream {
    let files: [ByteMedium]
    /// The packets indexed so far: all of them, or when the stream is indexed lazily, those
    /// before the first packet not reached yet (see `indexPackets(through:)`).
    private(set) var packets: [PacketEntry]
    /// Damage found while indexing, reported after the packets before it are read.
    private(set) var error: TraceError?
    let streamClass: CompiledStreamClass
    /// `stream_instance_id`, when the packet header has one.
    let instanceID: UInt64?
    /// babeltrace2's stream name: the path of the first file.
    let name: String
    /// babeltrace2's stream id: the instance id, or a number given in file order.
    let babeltraceID: UInt64

    /// What is left to index of a lazily indexed stream: the scanner of the file being read and
    /// the files after it, with slots of its own (streams may be read on different threads).
    private final class PendingPackets {
        var scanners: [PacketScanner]
        let slots: UnsafeMutablePointer<UInt64>
        let slotCount: Int

        init(scanners: [PacketScanner], slotCount: Int) {
            self.scanners = scanners
            self.slotCount = max(1, slotCount)
            slots = .allocate(capacity: self.slotCount)
            slots.initialize(repeating: 0, count: self.slotCount)
        }

        deinit { slots.deallocate() }
    }
    private var pending: PendingPackets?

    init(files: [ByteMedium], packets: [PacketEntry], error: TraceError?, streamClass: CompiledStreamClass,
         instanceID: UInt64?, babeltraceID: UInt64) {
        self.files = files
        self.packets = packets
        self.error = error
        self.streamClass = streamClass
        self.instanceID = instanceID
        self.name = files.first?.name ?? ""
        self.babeltraceID = babeltraceID
    }

    /// A stream indexed as it is read: `packets` holds what the scanners read already (at least
    /// the first packet of the first file) and grows on demand, so opening a huge trace reads only
    /// the first packet header of each file. `scanners` go on from there, one per file, in order.
    init(files: [ByteMedium], packets: [PacketEntry], error: TraceError?, scanners: [PacketScanner], slotCount: Int,
         streamClass: CompiledStreamClass, instanceID: UInt64?, babeltraceID: UInt64) {
        self.files = files
        self.packets = packets
        self.error = error
        self.streamClass = streamClass
        self.instanceID = instanceID
        self.name = files.first?.name ?? ""
        self.babeltraceID = babeltraceID
        if error == nil, !scanners.isEmpty { pending = PendingPackets(scanners: scanners, slotCount: slotCount) }
    }

    /// True when every packet is indexed (or damage stopped indexing).
    var isFullyIndexed: Bool { pending == nil }

    /// Indexes packets until packet `index` is known; false when the stream has fewer packets.
    /// Packets are read in file order, exactly as indexing them all at once would.
    ///
    /// Packets walked past (a seek far ahead, the time range) give back the pages their headers
    /// brought in, in large steps that stop short of the 2 MiB block being read: the kernel maps
    /// whole large folios on a fault, so releasing each packet just before reading the next one
    /// would map released neighbours back.
    @discardableResult
    func indexPackets(through index: Int) -> Bool {
        guard packets.count <= index else { return true }
        var walked: (file: Int, offset: Int)?
        while packets.count <= index, let pending {
            guard var scanner = pending.scanners.first else {
                self.pending = nil
                break
            }
            let step = scanner.next(slots: pending.slots, slotCount: pending.slotCount)
            // Entries name their file by its position in this stream.
            let fileIndex = files.count - pending.scanners.count
            switch step {
            case .packet(var entry):
                entry.file = fileIndex
                packets.append(entry)
                releaseWalked(&walked, before: entry)
            case .truncated(var entry, let failure):
                entry.file = fileIndex
                packets.append(entry)
                releaseWalked(&walked, before: entry)
                error = failure
                self.pending = nil
                continue
            case .failed(let failure):
                error = failure
                self.pending = nil
                continue
            case .end:
                break
            }
            if scanner.isFinished {
                pending.scanners.removeFirst()
                if pending.scanners.isEmpty { self.pending = nil }
            } else {
                pending.scanners[0] = scanner
            }
        }
        if let w = walked {
            // Up to the packet asked for, which is read next; all of it when there is none.
            let end = index < packets.count && packets[index].file == w.file ? packets[index].offset : Int.max
            if end > w.offset { files[w.file].release(w.offset..<end) }
        }
        return index < packets.count
    }

    private static let releaseStep = 8 << 20
    private static let folioSpan = 2 << 20

    /// Notes that `entry`'s header was read: pages walked since `walked` are released when far
    /// enough behind (or when the walk moved to another file).
    private func releaseWalked(_ walked: inout (file: Int, offset: Int)?, before entry: PacketEntry) {
        guard let w = walked else {
            walked = (entry.file, entry.offset)
            return
        }
        if w.file != entry.file {
            files[w.file].release(w.offset..<Int.max)
            walked = (entry.file, entry.offset)
        } else if entry.offset - w.offset >= Self.releaseStep {
            let end = entry.offset / Self.folioSpan * Self.folioSpan
            files[w.file].release(w.offset..<end)
            walked = (w.file, end)
        }
    }

    /// Indexes every packet (needed for the time range and time seeks).
    func indexAllPackets() {
        // Past every packet: the pages of all the headers read are released.
        indexPackets(through: Int.max - 1)
    }

    /// Whether reading can start at packet `index` as if the packets before it had been read: the
    /// packet before it ends with a clock value, and the times of both (which lost-events
    /// records use) are known without reading events. See `CTFEventStream.start(atPacket:)`.
    func canStartReading(atPacket index: Int) -> Bool {
        guard index > 0 else { return index == 0 }
        guard index < packets.count else { return false }
        let previous = packets[index - 1], packet = packets[index]
        return previous.endClock != PacketEntry.none && previous.endNanoseconds != nil
            && packet.beginNanoseconds != nil && packet.endNanoseconds != nil
    }

    /// The packet ranges of the stream read on their own (on several threads): about `partBytes`
    /// of packets each, cut where reading can start afresh (`canStartReading(atPacket:)`); with
    /// `begin`, from the packet a seek to it starts at, and cut only before packets that begin at
    /// or after it. Indexes every packet of a stream big enough to cut.
    func partRanges(begin: Int64? = nil, partBytes: Int = CTFDataStream.defaultPartBytes) -> [PartRange] {
        // A stream too small to cut is not indexed ahead (thousands of per-process streams).
        guard files.reduce(0, { $0 + $1.bytes.count }) >= 2 * partBytes || begin != nil else {
            return [PartRange(first: 0, end: .max, time: packets.first?.beginNanoseconds ?? .min)]
        }
        indexAllPackets()
        let first = begin.map { CTFEventStream.firstPacket(reaching: $0, in: packets) } ?? 0
        var ranges: [PartRange] = []
        func time(_ packet: Int) -> Int64 { packets.indices.contains(packet) ? packets[packet].beginNanoseconds ?? .min : .min }
        var start = first
        var bytes = 0
        var index = first + 1
        while index < packets.count {
            bytes += packets[index - 1].size
            // After `begin`'s packet, a part reads from its first record on as the seek would.
            let afterBegin = begin.map { (packets[index].beginNanoseconds ?? .min) >= $0 } ?? true
            if bytes >= partBytes, afterBegin, canStartReading(atPacket: index) {
                ranges.append(PartRange(first: start, end: index, time: time(start)))
                start = index
                bytes = 0
            }
            index += 1
        }
        ranges.append(PartRange(first: start, end: .max, time: time(start)))
        return ranges
    }

    /// Packet bytes per part: enough to make starting a part cheap beside reading it, few enough
    /// that every core has parts to take wherever the merge is.
    static let defaultPartBytes = 2 << 20

    /// A readable address for decoders over no bytes.
    private static let nothing = UnsafeRawPointer(UnsafeMutableRawPointer.allocate(byteCount: 16, alignment: 16))

    /// A decoder over no bytes (a placeholder before the first packet).
    static func emptyDecoder(slots: UnsafeMutablePointer<UInt64>, slotCount: Int) -> FieldDecoder {
        FieldDecoder(base: nothing, available: 0, limit: 0, position: 0, clock: 0, slots: slots, slotCount: slotCount)
    }

    /// The CPU of the stream's first packet, or -1.
    var cpu: Int32 { packets.first?.cpu ?? -1 }

    /// A decoder over `packet`'s bytes, placed at its first event.
    @inline(__always)
    func decoder(for packet: PacketEntry, slots: UnsafeMutablePointer<UInt64>, slotCount: Int) -> FieldDecoder {
        let bytes = files[packet.file].bytes
        // Index entries always lie inside their (non-empty) file; an empty view reads nothing.
        guard let start = bytes.baseAddress, packet.offset <= bytes.count else {
            return FieldDecoder(base: CTFDataStream.nothing, available: 0, limit: 0, position: 0, clock: 0,
                                slots: slots, slotCount: slotCount)
        }
        return FieldDecoder(base: start + packet.offset, available: min(packet.available, bytes.count - packet.offset),
                            limit: packet.contentBits, position: packet.eventsBit,
                            clock: packet.beginClock == PacketEntry.none ? 0 : packet.beginClock,
                            slots: slots, slotCount: slotCount)
    }

    /// An error at `bit` of `packet`, naming the file and byte offset.
    func error(_ message: String, packet: PacketEntry, bit: Int) -> TraceError {
        var text = message
        if packet.isTruncated && bit >= packet.available * 8 - 64 {
            text = "truncated packet (\(packet.size) bytes expected, \(packet.available) present): " + message
        }
        return TraceError(file: files[packet.file].name, offset: packet.offset + bit / 8, text)
    }
}
