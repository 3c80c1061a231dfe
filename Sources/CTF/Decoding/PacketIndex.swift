import TraceKit

/// What the index knows of one packet, from its header and context only.
struct PacketEntry {
    static let none = UInt64.max

    /// Index of the packet's file in its stream's file list.
    var file: Int
    /// Byte offset of the packet in its file.
    var offset: Int
    /// Packet size in bytes (the distance to the next packet).
    var size: Int
    /// Bytes of the packet present in the file (less than `size` when the file is truncated).
    var available: Int
    /// Content size in bits (events end there).
    var contentBits: Int
    /// Bit position where the first event starts (after the header and context).
    var eventsBit: Int
    /// Raw clock values of `timestamp_begin`/`timestamp_end` (`none` when absent).
    var beginClock: UInt64 = none
    var endClock: UInt64 = none
    /// `events_discarded` and `packet_seq_num` snapshots (`none` when absent).
    var discardedEvents: UInt64 = none
    var sequenceNumber: UInt64 = none
    var cpu: Int32 = -1
    /// Nanoseconds from the clock origin of the begin and end times (nil when absent).
    var beginNanoseconds: Int64?
    var endNanoseconds: Int64?

    var isTruncated: Bool { available < size }
}

/// The packets of one data stream file, found by reading packet headers and contexts only.
struct PacketIndex {
    var entries: [PacketEntry] = []
    var streamClassID: UInt64?
    var streamInstanceID: UInt64?
    /// The damage that stopped indexing; packets before it are usable.
    var error: TraceError?

    static let packetMagic: UInt64 = 0xC1FC_1FC1

    /// Indexes `bytes` (the whole file `path`), stopping at the first damaged packet.
    /// `release` is told about each packet once its header and context are read, so that a big
    /// file does not stay in memory after indexing.
    static func build(bytes: UnsafeRawBufferPointer, path: String, fileIndex: Int, trace: CompiledTrace,
                      slots: UnsafeMutablePointer<UInt64>, slotCount: Int,
                      release: (Range<Int>) -> Void = { _ in }) -> PacketIndex {
        var index = PacketIndex()
        var scanner = PacketScanner(bytes: bytes, path: path, fileIndex: fileIndex, trace: trace)
        while true {
            switch scanner.next(slots: slots, slotCount: slotCount) {
            case .packet(let entry):
                index.entries.append(entry)
                release(entry.offset..<(entry.offset + entry.size))
            case .truncated(let entry, let error):
                index.entries.append(entry)
                index.error = error
            case .failed(let error):
                index.error = error
            case .end:
                break
            }
            if scanner.isFinished { break }
        }
        index.streamClassID = scanner.streamClassID
        index.streamInstanceID = scanner.streamInstanceID
        return index
    }

    static func hex(_ value: UInt64) -> String {
        let digits = String(value, radix: 16)
        return digits.count >= 8 ? digits : String(repeating: "0", count: 8 - digits.count) + digits
    }
}

/// Reads the packets of one data stream file one at a time, from their headers and contexts only,
/// so a file can be indexed all at once or only as far as a reader needs.
struct PacketScanner {
    /// What the next packet gave.
    enum Step {
        case packet(PacketEntry)
        /// The last packet, cut short by the end of the file.
        case truncated(PacketEntry, TraceError)
        /// Damage before any usable packet data.
        case failed(TraceError)
        /// No more packets.
        case end
    }

    let bytes: UnsafeRawBufferPointer
    let path: String
    let fileIndex: Int
    let trace: CompiledTrace
    private(set) var offset = 0
    private var clock: UInt64 = 0
    private(set) var streamClassID: UInt64?
    private(set) var streamInstanceID: UInt64?
    private(set) var packetCount = 0
    /// True once the end of the file or damage was reached.
    private(set) var isFinished = false

    init(bytes: UnsafeRawBufferPointer, path: String, fileIndex: Int, trace: CompiledTrace) {
        self.bytes = bytes
        self.path = path
        self.fileIndex = fileIndex
        self.trace = trace
        isFinished = bytes.baseAddress == nil || bytes.isEmpty
    }

    /// Reads the next packet's header and context (`slots` receive their stored fields).
    mutating func next(slots: UnsafeMutablePointer<UInt64>, slotCount: Int) -> Step {
        guard !isFinished, let base = bytes.baseAddress, offset < bytes.count else {
            isFinished = true
            return .end
        }
        let offset = self.offset
        let available = bytes.count - offset
        var decoder = FieldDecoder(base: base + offset, available: available, limit: available * 8, position: 0,
                                   clock: clock, slots: slots, slotCount: slotCount)
        let capturesStorage = UnsafeMutablePointer<PacketCaptures>.allocate(capacity: 1)
        capturesStorage.initialize(to: PacketCaptures())
        defer { capturesStorage.deallocate() }
        decoder.captures = capturesStorage
        func fail(_ message: String, at bit: Int? = nil) -> Step {
            isFinished = true
            return .failed(TraceError(file: path, offset: offset + (bit ?? 0) / 8, message))
        }
        do {
            if let header = trace.packetHeader { try decoder.skip(header.skip) }
        } catch let failure as DecodeFailure {
            return fail("truncated or invalid packet header: \(failure.message)", at: failure.bitPosition)
        } catch {
            return fail("invalid packet header: \(error)")
        }
        let captures = capturesStorage.pointee
        if let magic = captures.magic, magic != PacketIndex.packetMagic {
            return fail("bad packet magic 0x\(PacketIndex.hex(magic)) (expecting 0xc1fc1fc1)")
        }
        if let position = captures.uuidPosition, let expected = trace.metadata.uuid {
            let found = (0..<16).map { bytes[offset + position / 8 + $0] }
            if found != expected {
                return fail("packet UUID \(UUIDText.format(found)) differs from the trace UUID \(UUIDText.format(expected))",
                            at: position)
            }
        }
        let streamClass: CompiledStreamClass
        if let id = captures.streamClassID {
            guard let found = trace.streamClass(id: id) else {
                return fail("packet refers to stream class \(id), which the metadata does not declare")
            }
            streamClass = found
        } else {
            guard trace.streamClasses.count == 1 else {
                return fail("packet header has no stream_id and the trace has \(trace.streamClasses.count) stream classes")
            }
            streamClass = trace.streamClasses[0]
        }
        if let first = streamClassID, first != streamClass.streamClass.id {
            return fail("packet of stream class \(streamClass.streamClass.id) in a file of stream class \(first)")
        }
        if packetCount == 0 {
            streamClassID = streamClass.streamClass.id
            streamInstanceID = captures.streamInstanceID
        } else if captures.streamInstanceID != streamInstanceID {
            return fail("packet of stream instance \(captures.streamInstanceID.map(String.init) ?? "none") in a file of stream instance \(streamInstanceID.map(String.init) ?? "none")")
        }
        do {
            if let context = streamClass.packetContext { try decoder.skip(context.skip) }
        } catch let failure as DecodeFailure {
            return fail("truncated or invalid packet context: \(failure.message)", at: failure.bitPosition)
        } catch {
            return fail("invalid packet context: \(error)")
        }
        let c = capturesStorage.pointee
        let fileBits = available * 8
        let packetBits = c.packetSize ?? c.contentSize ?? UInt64(fileBits)
        let contentBits = c.contentSize ?? packetBits
        guard packetBits > 0 else { return fail("packet size is zero") }
        guard contentBits <= packetBits else {
            return fail("content size \(contentBits) bits is larger than the packet size \(packetBits) bits")
        }
        guard packetBits % 8 == 0 else { return fail("packet size \(packetBits) bits is not a whole number of bytes") }
        guard UInt64(decoder.position) <= contentBits else {
            return fail("packet header and context (\(decoder.position) bits) are larger than the content size \(contentBits) bits")
        }
        guard packetBits <= UInt64(Int.max / 2) else { return fail("packet size \(packetBits) bits is too large") }
        let size = Int(packetBits / 8)
        var entry = PacketEntry(file: fileIndex, offset: offset, size: size, available: min(size, available),
                                contentBits: Int(contentBits), eventsBit: decoder.position)
        entry.beginClock = c.beginTime ?? PacketEntry.none
        entry.endClock = c.endTime ?? PacketEntry.none
        entry.discardedEvents = c.discardedEvents ?? PacketEntry.none
        entry.sequenceNumber = c.sequenceNumber ?? PacketEntry.none
        entry.cpu = c.cpuID.map { Int32(truncatingIfNeeded: $0) } ?? -1
        if let converter = streamClass.clock {
            if let begin = c.beginTime { entry.beginNanoseconds = converter.nanoseconds(begin) }
            if let end = c.endTime { entry.endNanoseconds = converter.nanoseconds(end) }
        }
        packetCount += 1
        if entry.isTruncated {
            entry.contentBits = min(entry.contentBits, entry.available * 8)
            isFinished = true
            return .truncated(entry, TraceError(file: path, offset: offset + available,
                "truncated packet: its size is \(size) bytes but the file ends \(available) bytes after its start"))
        }
        clock = c.endTime ?? decoder.clock
        self.offset = offset + size
        if self.offset >= bytes.count { isFinished = true }
        return .packet(entry)
    }
}
