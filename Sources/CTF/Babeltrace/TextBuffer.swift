import TraceKit

/// A growable byte buffer passed `inout` through the formatting hot path, so writing a byte is a
/// store and an increment (no class access, no reference counting).
struct TextBuffer {
    private(set) var base: UnsafeMutablePointer<UInt8>
    private(set) var count = 0
    private(set) var capacity: Int
    /// `digitPairs`, read once here: each access to a static goes through a lazy-initialization
    /// check that costs more than the digits.
    private let pairs: UnsafePointer<UInt8>

    init(capacity: Int = 1 << 17) {
        self.capacity = capacity
        base = .allocate(capacity: capacity)
        pairs = Self.digitPairs
    }

    /// Frees the storage; the buffer must not be used afterwards.
    func deallocate() { base.deallocate() }

    var bytes: UnsafeRawBufferPointer { UnsafeRawBufferPointer(start: base, count: count) }

    mutating func removeAll() { count = 0 }

    /// Forgets the bytes after `mark`.
    mutating func truncate(to mark: Int) { if mark < count { count = max(0, mark) } }

    @inline(__always)
    mutating func reserve(_ n: Int) {
        if count &+ n > capacity { grow(count + n) }
    }

    private mutating func grow(_ needed: Int) {
        var newCapacity = capacity * 2
        while newCapacity < needed { newCapacity *= 2 }
        let newBase = UnsafeMutablePointer<UInt8>.allocate(capacity: newCapacity)
        newBase.update(from: base, count: count)
        base.deallocate()
        base = newBase
        capacity = newCapacity
    }

    @inline(__always)
    mutating func append(_ byte: UInt8) {
        reserve(1)
        base[count] = byte
        count &+= 1
    }

    @inline(__always)
    mutating func append(_ bytes: UnsafeRawBufferPointer) {
        let n = bytes.count
        guard n > 0, let source = bytes.baseAddress else { return }
        reserve(n &+ 16)
        let destination = UnsafeMutableRawPointer(base + count)
        if n <= 16 {
            // Short names and values: two overlapping word copies beat a memmove call.
            if n >= 8 {
                destination.storeBytes(of: source.loadUnaligned(as: UInt64.self), as: UInt64.self)
                (destination + n - 8).storeBytes(of: (source + n - 8).loadUnaligned(as: UInt64.self), as: UInt64.self)
            } else if n >= 4 {
                destination.storeBytes(of: source.loadUnaligned(as: UInt32.self), as: UInt32.self)
                (destination + n - 4).storeBytes(of: (source + n - 4).loadUnaligned(as: UInt32.self), as: UInt32.self)
            } else {
                for i in 0..<n { destination.storeBytes(of: source.load(fromByteOffset: i, as: UInt8.self), toByteOffset: i, as: UInt8.self) }
            }
        } else {
            destination.copyMemory(from: source, byteCount: n)
        }
        count &+= n
    }

    @inline(__always)
    mutating func append(_ bytes: UnsafeBufferPointer<UInt8>) {
        append(UnsafeRawBufferPointer(bytes))
    }

    @inline(__always)
    mutating func append(_ text: StaticString) {
        append(UnsafeRawBufferPointer(start: text.utf8Start, count: text.utf8CodeUnitCount))
    }

    mutating func appendString(_ text: String) {
        var text = text
        text.withUTF8 { append(UnsafeRawBufferPointer($0)) }
    }

    mutating func append(_ bytes: [UInt8]) {
        bytes.withUnsafeBytes { append($0) }
    }

    /// "00" to "99", for writing two digits per division, then "00" to "FF" (at
    /// `hexPairsOffset`), two uppercase hexadecimal digits per byte.
    private static let digitPairs: UnsafePointer<UInt8> = {
        let pairs = UnsafeMutablePointer<UInt8>.allocate(capacity: 200 + 512)
        for i in 0..<100 {
            pairs[2 * i] = UInt8(48 + i / 10)
            pairs[2 * i + 1] = UInt8(48 + i % 10)
        }
        let hex = Array("0123456789ABCDEF".utf8)
        for i in 0..<256 {
            pairs[hexPairsOffset + 2 * i] = hex[i >> 4]
            pairs[hexPairsOffset + 2 * i + 1] = hex[i & 15]
        }
        return UnsafePointer(pairs)
    }()
    private static let hexPairsOffset = 200

    /// Decimal digits of `value` (TraceKit's digit-pair conversion).
    @inline(__always)
    mutating func appendDecimal(_ value: UInt64) {
        reserve(20)
        count &+= DecimalDigits.write(value, to: base + count)
    }

    @inline(__always)
    mutating func appendDecimal(_ value: Int64) {
        if value < 0 {
            append(UInt8(ascii: "-"))
            appendDecimal(value.magnitude)
        } else {
            appendDecimal(UInt64(value))
        }
    }

    /// Exactly `width` decimal digits, zero-padded (`value` must fit).
    @inline(__always)
    mutating func appendZeroPadded(_ value: UInt64, width: Int) {
        reserve(max(width, 20))
        let digits = DecimalDigits.count(value)
        var i = count
        while i < count &+ width &- digits {
            base[i] = 48
            i &+= 1
        }
        count = i &+ DecimalDigits.write(value, to: base + i)
    }

    /// Uppercase hexadecimal digits (no prefix, no padding).
    @inline(__always)
    mutating func appendHexUppercase(_ value: UInt64) {
        reserve(16)
        let digits = value == 0 ? 1 : (67 &- value.leadingZeroBitCount) >> 2
        let hex = pairs + Self.hexPairsOffset
        // Two digits per byte, from the end.
        var i = count &+ digits
        var v = value
        while i &- count >= 2 {
            let pair = Int(truncatingIfNeeded: v & 0xFF) &* 2
            i &-= 2
            base[i] = hex[pair]
            base[i &+ 1] = hex[pair &+ 1]
            v >>= 8
        }
        if i &- count == 1 { base[count] = hex[Int(truncatingIfNeeded: v & 0xF) &* 2 &+ 1] }
        count &+= digits
    }

    /// Octal digits (no prefix, no padding).
    mutating func appendOctal(_ value: UInt64) {
        let digits = value == 0 ? 1 : (66 &- value.leadingZeroBitCount) / 3
        reserve(digits)
        var i = count &+ digits
        var v = value
        repeat {
            i &-= 1
            base[i] = UInt8(truncatingIfNeeded: v & 7) &+ 48
            v >>= 3
        } while v != 0
        count &+= digits
    }

    /// Lowercase hexadecimal, zero-padded to `width`.
    mutating func appendHexLowercase(_ value: UInt64, width: Int) {
        var digits = 1
        var v = value >> 4
        while v != 0 { v >>= 4; digits += 1 }
        for _ in digits..<max(digits, width) { append(UInt8(ascii: "0")) }
        reserve(digits)
        var end = count + digits
        count = end
        v = value
        repeat {
            end -= 1
            let d = UInt8(truncatingIfNeeded: v & 0xF)
            base[end] = d < 10 ? d + 48 : d + 87
            v >>= 4
        } while v != 0
    }
}
