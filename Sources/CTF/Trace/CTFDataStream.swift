import TraceKit

/// One data stream of a trace: the packets of one or more stream files (LTTng splits a stream in
/// several files when `--tracefile-size` is used), in time order.
final class CTFDataStream {
    let files: [ByteMedium]
    let packets: [PacketEntry]
    /// Damage found while indexing, reported after the packets before it are read.
    let error: TraceError?
    let streamClass: CompiledStreamClass
    /// `stream_instance_id`, when the packet header has one.
    let instanceID: UInt64?
    /// babeltrace2's stream name: the path of the first file.
    let name: String
    /// babeltrace2's stream id: the instance id, or a number given in file order.
    let babeltraceID: UInt64

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
