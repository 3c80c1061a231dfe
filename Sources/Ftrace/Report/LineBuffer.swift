import TraceKit

/// A growable byte buffer written through `inout`, for building output lines in the hot loop
/// without the per-call cost of a class. The owner calls `deallocate()` when done.
public struct LineBuffer {
    public private(set) var base: UnsafeMutablePointer<UInt8>
    public private(set) var count = 0
    private var capacity: Int
    /// `LineBuffer.pairs`, read once here (each access to a global goes through a lazy-initialization
    /// check that costs about as much as the digits).
    private let digitPairs: UnsafePointer<UInt8>

    public init(capacity: Int = 1 << 12) {
        self.capacity = max(capacity, 64)
        base = .allocate(capacity: self.capacity)
        digitPairs = LineBuffer.pairs
    }

    /// "00" to "99", for writing two digits per division, then "00" to "ff" (at `hexPairsOffset`),
    /// two hexadecimal digits per byte.
    private static let pairs: UnsafePointer<UInt8> = {
        let table = UnsafeMutablePointer<UInt8>.allocate(capacity: 200 + 512)
        for i in 0..<100 {
            table[2 * i] = UInt8(48 + i / 10)
            table[2 * i + 1] = UInt8(48 + i % 10)
        }
        let hex = Array("0123456789abcdef".utf8)
        for i in 0..<256 {
            table[hexPairsOffset + 2 * i] = hex[i >> 4]
            table[hexPairsOffset + 2 * i + 1] = hex[i & 15]
        }
        return UnsafePointer(table)
    }()
    private static let hexPairsOffset = 200

    public func deallocate() { base.deallocate() }

    /// The bytes written.
    public var bytes: UnsafeRawBufferPointer { UnsafeRawBufferPointer(start: base, count: count) }

    public var last: UInt8? { count > 0 ? base[count - 1] : nil }

    public mutating func removeAll() { count = 0 }

    public mutating func truncate(to mark: Int) {
        if mark < count { count = max(0, mark) }
    }

    @inline(__always)
    private mutating func reserve(_ n: Int) {
        if count + n > capacity { grow(count + n) }
    }

    private mutating func grow(_ needed: Int) {
        var newCapacity = capacity * 2
        while newCapacity < needed { newCapacity *= 2 }
        let p = UnsafeMutablePointer<UInt8>.allocate(capacity: newCapacity)
        p.update(from: base, count: count)
        base.deallocate()
        base = p
        capacity = newCapacity
    }

    @inline(__always)
    public mutating func write(byte: UInt8) {
        reserve(1)
        base[count] = byte
        count += 1
    }

    @inline(__always)
    public mutating func write(_ bytes: UnsafeRawBufferPointer) {
        guard let src = bytes.baseAddress, !bytes.isEmpty else { return }
        let n = bytes.count
        reserve(n + 16)
        let dst = UnsafeMutableRawPointer(base + count)
        if n <= 16 {
            // Short pieces dominate: two overlapping 8-byte moves beat a memmove call.
            if n >= 8 {
                dst.storeBytes(of: src.loadUnaligned(as: UInt64.self), as: UInt64.self)
                (dst + n - 8).storeBytes(of: (src + n - 8).loadUnaligned(as: UInt64.self), as: UInt64.self)
            } else {
                for i in 0..<n { dst.storeBytes(of: src.load(fromByteOffset: i, as: UInt8.self), toByteOffset: i, as: UInt8.self) }
            }
        } else {
            dst.copyMemory(from: src, byteCount: n)
        }
        count += n
    }

    @inline(__always)
    public mutating func write(_ bytes: [UInt8]) {
        bytes.withUnsafeBytes { write($0) }
    }

    @inline(__always)
    public mutating func write(_ text: StaticString) {
        write(UnsafeRawBufferPointer(start: text.utf8Start, count: text.utf8CodeUnitCount))
    }

    public mutating func write(string text: String) {
        var text = text
        text.withUTF8 { write(UnsafeRawBufferPointer($0)) }
    }

    @inline(__always)
    public mutating func write(repeating byte: UInt8, count n: Int) {
        guard n > 0 else { return }
        reserve(n)
        LineBuffer.fill(base + count, byte, n)
        count += n
    }

    /// Padding is short: a loop beats a memset call.
    @inline(__always)
    private static func fill(_ p: UnsafeMutablePointer<UInt8>, _ byte: UInt8, _ n: Int) {
        if n > 32 {
            p.update(repeating: byte, count: n)
            return
        }
        var i = 0
        while i < n {
            p[i] = byte
            i &+= 1
        }
    }

    /// Decimal digits of `value`, right-aligned in `width` with `pad` (TraceKit's digit-pair
    /// conversion).
    @inline(__always)
    public mutating func writeDecimal(_ value: UInt64, width: Int = 0, pad: UInt8 = 0x20) {
        let n = DecimalDigits.count(value)
        reserve(max(20, width))
        if width > n {
            LineBuffer.fill(base + count, pad, width - n)
            count += width - n
        }
        count += DecimalDigits.write(value, to: base + count)
    }

    /// Decimal digits of a signed value.
    public mutating func writeDecimal(_ value: Int64, width: Int = 0, pad: UInt8 = 0x20) {
        guard value < 0 else { writeDecimal(UInt64(value), width: width, pad: pad); return }
        let digits = DecimalDigits.count(value.magnitude) + 1
        if pad == UInt8(ascii: "0") {
            write(byte: UInt8(ascii: "-"))
            writeDecimal(value.magnitude, width: width - 1, pad: pad)
            return
        }
        if width > digits { write(repeating: pad, count: width - digits) }
        write(byte: UInt8(ascii: "-"))
        writeDecimal(value.magnitude)
    }

    /// Hexadecimal digits (no prefix), zero-padded to `width`.
    @inline(__always)
    public mutating func writeHex(_ value: UInt64, width: Int = 0, uppercase: Bool = false) {
        let n = value == 0 ? 1 : (67 - value.leadingZeroBitCount) / 4
        let total = max(n, width)
        reserve(total)
        var p = base + count
        if width > n {
            LineBuffer.fill(p, UInt8(ascii: "0"), width - n)
            p += width - n
        }
        if !uppercase {
            // Two digits per byte, from the end.
            let pairs = digitPairs + LineBuffer.hexPairsOffset
            var v = value
            var i = n
            while i >= 2 {
                let pair = Int(truncatingIfNeeded: v & 0xFF) &* 2
                i &-= 2
                p[i] = pairs[pair]
                p[i &+ 1] = pairs[pair &+ 1]
                v >>= 8
            }
            if i == 1 { p[0] = pairs[Int(truncatingIfNeeded: v & 0xF) &* 2 &+ 1] }
            count += total
            return
        }
        let letters: UInt8 = uppercase ? 55 : 87
        var v = value
        var i = n - 1
        repeat {
            let d = UInt8(truncatingIfNeeded: v & 0xF)
            p[i] = d < 10 ? d &+ 48 : d &+ letters
            v >>= 4
            i -= 1
        } while i >= 0
        count += total
    }

    /// Appends the bytes to an `OutputBuffer`.
    public func copy(to out: OutputBuffer) {
        out.write(bytes)
    }
}
