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
        guard let base = bytes.baseAddress, !bytes.isEmpty else { return index }
        var offset = 0
        var clock: UInt64 = 0
        while offset < bytes.count {
            let available = bytes.count - offset
            var decoder = FieldDecoder(base: base + offset, available: available, limit: available * 8, position: 0,
                                       clock: clock, slots: slots, slotCount: slotCount)
            let capturesStorage = UnsafeMutablePointer<PacketCaptures>.allocate(capacity: 1)
            capturesStorage.initialize(to: PacketCaptures())
            defer { capturesStorage.deallocate() }
            decoder.captures = capturesStorage
            func fail(_ message: String, at bit: Int? = nil) -> PacketIndex {
                index.error = TraceError(file: path, offset: offset + (bit ?? 0) / 8, message)
                return index
            }
            do {
                if let header = trace.packetHeader { try decoder.skip(header.skip) }
            } catch let failure as DecodeFailure {
                return fail("truncated or invalid packet header: \(failure.message)", at: failure.bitPosition)
            } catch {
                return fail("invalid packet header: \(error)")
            }
            let captures = capturesStorage.pointee
            if let magic = captures.magic, magic != packetMagic {
                return fail("bad packet magic 0x\(hex(magic)) (expecting 0xc1fc1fc1)")
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
            if let first = index.streamClassID, first != streamClass.streamClass.id {
                return fail("packet of stream class \(streamClass.streamClass.id) in a file of stream class \(first)")
            }
            if index.entries.isEmpty {
                index.streamClassID = streamClass.streamClass.id
                index.streamInstanceID = captures.streamInstanceID
            } else if captures.streamInstanceID != index.streamInstanceID {
                return fail("packet of stream instance \(captures.streamInstanceID.map(String.init) ?? "none") in a file of stream instance \(index.streamInstanceID.map(String.init) ?? "none")")
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
            if entry.isTruncated {
                entry.contentBits = min(entry.contentBits, entry.available * 8)
                index.entries.append(entry)
                return fail("truncated packet: its size is \(size) bytes but the file ends \(available) bytes after its start",
                            at: available * 8)
            }
            index.entries.append(entry)
            clock = c.endTime ?? decoder.clock
            release(offset..<(offset + size))
            offset += size
        }
        return index
    }

    private static func hex(_ value: UInt64) -> String {
        let digits = String(value, radix: 16)
        return digits.count >= 8 ? digits : String(repeating: "0", count: 8 - digits.count) + digits
    }
}
