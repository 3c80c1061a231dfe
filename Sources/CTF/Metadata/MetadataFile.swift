import TraceKit

/// The text of a CTF metadata stream: plain TSDL, or packetized (CTF 1.8 section 7.1) with each
/// packet's header stripped.
enum MetadataFile {
    /// Magic number of metadata packets.
    static let packetMagic: UInt32 = 0x75D1_1D57
    /// Size of a metadata packet header in bytes.
    static let packetHeaderSize = 37

    /// The TSDL text in `bytes`, read from `path` (for error messages).
    static func text(of bytes: UnsafeRawBufferPointer, path: String) throws -> [UInt8] {
        guard bytes.count >= 4 else {
            if bytes.isEmpty { throw TraceError(file: path, offset: 0, "empty metadata file") }
            return Array(bytes)
        }
        let first = bytes.loadUnaligned(fromByteOffset: 0, as: UInt32.self)
        let bigEndian: Bool
        if UInt32(littleEndian: first) == packetMagic {
            bigEndian = false
        } else if UInt32(bigEndian: first) == packetMagic {
            bigEndian = true
        } else {
            return Array(bytes)
        }
        return try packetizedText(bytes, bigEndian: bigEndian, path: path)
    }

    private static func packetizedText(_ bytes: UnsafeRawBufferPointer, bigEndian: Bool, path: String) throws -> [UInt8] {
        var text: [UInt8] = []
        text.reserveCapacity(bytes.count)
        var offset = 0
        var uuid: [UInt8]?
        func u32(_ at: Int) -> UInt32 {
            let raw = bytes.loadUnaligned(fromByteOffset: at, as: UInt32.self)
            return bigEndian ? UInt32(bigEndian: raw) : UInt32(littleEndian: raw)
        }
        while offset < bytes.count {
            guard bytes.count - offset >= packetHeaderSize else {
                throw TraceError(file: path, offset: offset,
                                 "truncated metadata packet header (\(bytes.count - offset) bytes, expecting \(packetHeaderSize))")
            }
            guard u32(offset) == packetMagic else {
                throw TraceError(file: path, offset: offset,
                                 "bad metadata packet magic 0x\(String(u32(offset), radix: 16)) (expecting 0x75d11d57)")
            }
            let packetUUID = Array(bytes[(offset + 4)..<(offset + 20)])
            if let uuid, uuid != packetUUID {
                throw TraceError(file: path, offset: offset + 4, "metadata packet UUID differs from the first packet's")
            }
            uuid = packetUUID
            let contentBits = Int(u32(offset + 24))
            let packetBits = Int(u32(offset + 28))
            let compression = bytes[offset + 32], encryption = bytes[offset + 33], checksum = bytes[offset + 34]
            guard compression == 0, encryption == 0, checksum == 0 else {
                throw TraceError(file: path, offset: offset + 32,
                                 "compressed, encrypted or checksummed metadata packets are not supported")
            }
            guard contentBits % 8 == 0, packetBits % 8 == 0 else {
                throw TraceError(file: path, offset: offset + 24, "metadata packet sizes are not whole bytes")
            }
            let contentSize = contentBits / 8, packetSize = packetBits / 8
            guard contentSize >= packetHeaderSize, packetSize >= contentSize else {
                throw TraceError(file: path, offset: offset + 24,
                                 "invalid metadata packet sizes (content \(contentSize) bytes, packet \(packetSize) bytes)")
            }
            guard offset + contentSize <= bytes.count else {
                throw TraceError(file: path, offset: offset,
                                 "truncated metadata packet: content of \(contentSize) bytes but only \(bytes.count - offset) left")
            }
            text.append(contentsOf: bytes[(offset + packetHeaderSize)..<(offset + contentSize)])
            // The last packet may be cut at its content size.
            offset += min(packetSize, bytes.count - offset)
        }
        return text
    }
}
