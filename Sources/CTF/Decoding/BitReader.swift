/// Reads CTF bit-fields: integers of 1 to 64 bits at any bit offset, in either byte order
/// (CTF 1.8 section 4.1.5). Little-endian fields take bits from the least significant end of each
/// byte, big-endian fields from the most significant end.
///
/// `available` is the number of readable bytes from `base`; callers check that the field ends
/// within their limit, and the reader never touches memory past `available`.
public enum BitReader {
    /// The raw bits of the field (zero-extended).
    @inline(__always)
    public static func read(_ base: UnsafeRawPointer, available: Int, bitOffset: Int, size: Int,
                            bigEndian: Bool) -> UInt64 {
        let byte = bitOffset >> 3
        let shift = bitOffset & 7
        if shift == 0 {
            switch size {
            case 8:
                return UInt64(base.load(fromByteOffset: byte, as: UInt8.self))
            case 16:
                let raw = base.loadUnaligned(fromByteOffset: byte, as: UInt16.self)
                return UInt64(bigEndian ? UInt16(bigEndian: raw) : UInt16(littleEndian: raw))
            case 32:
                let raw = base.loadUnaligned(fromByteOffset: byte, as: UInt32.self)
                return UInt64(bigEndian ? UInt32(bigEndian: raw) : UInt32(littleEndian: raw))
            case 64:
                let raw = base.loadUnaligned(fromByteOffset: byte, as: UInt64.self)
                return bigEndian ? UInt64(bigEndian: raw) : UInt64(littleEndian: raw)
            default:
                break
            }
        }
        if shift + size <= 64 && byte + 8 <= available {
            let raw = base.loadUnaligned(fromByteOffset: byte, as: UInt64.self)
            if bigEndian {
                return (UInt64(bigEndian: raw) << UInt64(shift)) >> UInt64(64 - size)
            }
            let value = UInt64(littleEndian: raw) >> UInt64(shift)
            return size == 64 ? value : value & ((1 << UInt64(size)) - 1)
        }
        return readSlow(base, bitOffset: bitOffset, size: size, bigEndian: bigEndian)
    }

    /// Byte-by-byte path for fields near the end of the buffer or spanning nine bytes.
    static func readSlow(_ base: UnsafeRawPointer, bitOffset: Int, size: Int, bigEndian: Bool) -> UInt64 {
        let byte = bitOffset >> 3
        let shift = bitOffset & 7
        let count = (shift + size + 7) >> 3  // 1...9 bytes
        var value: UInt128 = 0
        if bigEndian {
            for i in 0..<count {
                value = value << 8 | UInt128(base.load(fromByteOffset: byte + i, as: UInt8.self))
            }
            let unused = count * 8 - shift - size
            value >>= UInt128(unused)
        } else {
            for i in stride(from: count - 1, through: 0, by: -1) {
                value = value << 8 | UInt128(base.load(fromByteOffset: byte + i, as: UInt8.self))
            }
            value >>= UInt128(shift)
        }
        let mask: UInt128 = size == 64 ? UInt128(UInt64.max) : (UInt128(1) << UInt128(size)) - 1
        return UInt64(truncatingIfNeeded: value & mask)
    }

    /// Sign-extends the low `size` bits of `value`.
    @inline(__always)
    public static func signExtend(_ value: UInt64, size: Int) -> Int64 {
        if size >= 64 { return Int64(bitPattern: value) }
        let shift = UInt64(64 - size)
        return Int64(bitPattern: value << shift) >> Int64(shift)
    }

    /// `position` rounded up to a multiple of `alignment` (a power of two).
    @inline(__always)
    public static func align(_ position: Int, _ alignment: Int) -> Int {
        (position &+ alignment &- 1) & ~(alignment &- 1)
    }
}
