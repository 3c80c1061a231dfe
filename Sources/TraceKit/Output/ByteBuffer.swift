/// A growable byte buffer held by value and passed `inout` through formatting hot paths: writing a
/// byte is a store and an increment, with no class access, reference counting or exclusivity check.
///
/// The buffer owns unmanaged memory: exactly one copy must call `deallocate()`, and a copy must not
/// be used after another copy grew (grow the one you keep, then store it back).
public struct ByteBuffer {
    @usableFromInline var base: UnsafeMutablePointer<UInt8>
    @usableFromInline var used: Int
    @usableFromInline var capacity: Int

    public init(capacity: Int = 1 << 12) {
        self.capacity = max(64, capacity)
        base = .allocate(capacity: self.capacity)
        used = 0
    }

    /// Frees the storage; the buffer must not be used afterwards.
    public func deallocate() { base.deallocate() }

    /// Bytes written.
    @inlinable public var count: Int { used }

    /// The bytes written (valid until the buffer grows or is freed).
    @inlinable public var bytes: UnsafeRawBufferPointer { UnsafeRawBufferPointer(start: base, count: used) }

    @inlinable public mutating func removeAll() { used = 0 }

    /// Forgets the bytes after `mark`.
    @inlinable public mutating func truncate(to mark: Int) { if mark >= 0 && mark < used { used = mark } }

    /// Makes room for `n` more bytes.
    @inlinable @inline(__always)
    public mutating func reserve(_ n: Int) {
        if used &+ n > capacity { grow(used &+ n) }
    }

    @usableFromInline
    mutating func grow(_ needed: Int) {
        var newCapacity = capacity &* 2
        while newCapacity < needed { newCapacity &*= 2 }
        let newBase = UnsafeMutablePointer<UInt8>.allocate(capacity: newCapacity)
        newBase.update(from: base, count: used)
        base.deallocate()
        base = newBase
        capacity = newCapacity
    }

    /// Where the next byte goes, after `reserve`; advance with `commit`.
    @inlinable @inline(__always)
    public var end: UnsafeMutablePointer<UInt8> { base + used }

    @inlinable @inline(__always)
    public mutating func commit(_ n: Int) { used &+= n }

    @inlinable @inline(__always)
    public mutating func append(_ byte: UInt8) {
        reserve(1)
        base[used] = byte
        used &+= 1
    }

    @inlinable @inline(__always)
    public mutating func append(_ bytes: UnsafeRawBufferPointer) {
        let n = bytes.count
        guard n > 0, let source = bytes.baseAddress else { return }
        reserve(n &+ 16)
        let destination = UnsafeMutableRawPointer(base + used)
        if n <= 16 {
            // Short names and values: two overlapping word copies beat a memmove call.
            if n >= 8 {
                destination.storeBytes(of: source.loadUnaligned(as: UInt64.self), as: UInt64.self)
                (destination + n - 8).storeBytes(of: (source + n - 8).loadUnaligned(as: UInt64.self), as: UInt64.self)
            } else if n >= 4 {
                destination.storeBytes(of: source.loadUnaligned(as: UInt32.self), as: UInt32.self)
                (destination + n - 4).storeBytes(of: (source + n - 4).loadUnaligned(as: UInt32.self), as: UInt32.self)
            } else {
                destination.storeBytes(of: source.load(as: UInt8.self), as: UInt8.self)
                if n > 1 { destination.storeBytes(of: source.load(fromByteOffset: 1, as: UInt8.self), toByteOffset: 1, as: UInt8.self) }
                if n > 2 { destination.storeBytes(of: source.load(fromByteOffset: 2, as: UInt8.self), toByteOffset: 2, as: UInt8.self) }
            }
        } else {
            destination.copyMemory(from: source, byteCount: n)
        }
        used &+= n
    }

    @inlinable @inline(__always)
    public mutating func append(_ text: StaticString) {
        append(UnsafeRawBufferPointer(start: text.utf8Start, count: text.utf8CodeUnitCount))
    }

    // Disfavored: a string literal goes to the StaticString version (no String made).
    @_disfavoredOverload
    public mutating func append(_ text: String) {
        var text = text
        text.withUTF8 { append(UnsafeRawBufferPointer($0)) }
    }

    /// Writes `byte` `n` times (padding).
    @inlinable
    public mutating func append(repeating byte: UInt8, count n: Int) {
        guard n > 0 else { return }
        reserve(n)
        (base + used).update(repeating: byte, count: n)
        used &+= n
    }

    // MARK: Numbers

    /// Decimal digits of `value`.
    @inlinable
    public mutating func appendDecimal(_ value: UInt64) {
        reserve(24)
        used &+= DecimalDigits.write(value, to: base + used)
    }

    /// Decimal digits of `value`, with a leading `-` when negative.
    @inlinable
    public mutating func appendDecimal(_ value: Int64) {
        reserve(25)
        if value < 0 {
            base[used] = UInt8(ascii: "-")
            used &+= 1
        }
        used &+= DecimalDigits.write(value.magnitude, to: base + used)
    }

    /// Decimal digits of `value`, right-aligned in `width` with `pad` (`-` before zero padding).
    public mutating func appendDecimal(_ value: Int64, width: Int, pad: UInt8 = UInt8(ascii: " ")) {
        let digits = DecimalDigits.count(value.magnitude) + (value < 0 ? 1 : 0)
        if value < 0 && pad == UInt8(ascii: "0") {
            append(UInt8(ascii: "-"))
            append(repeating: pad, count: width - digits)
            appendDecimal(value.magnitude)
            return
        }
        append(repeating: pad, count: width - digits)
        appendDecimal(value)
    }

    /// Decimal digits of `value`, right-aligned in `width` with `pad`.
    public mutating func appendDecimal(_ value: UInt64, width: Int, pad: UInt8 = UInt8(ascii: " ")) {
        append(repeating: pad, count: width - DecimalDigits.count(value))
        appendDecimal(value)
    }

    /// Hexadecimal digits of `value` (no prefix), zero-padded to `width`.
    public mutating func appendHex(_ value: UInt64, width: Int = 0, uppercase: Bool = false) {
        let alphabet: StaticString = uppercase ? "0123456789ABCDEF" : "0123456789abcdef"
        var n = 1
        var v = value >> 4
        while v != 0 { n += 1; v >>= 4 }
        let total = max(n, width)
        reserve(total)
        var p = base + used + total
        v = value
        for _ in 0..<total {
            p -= 1
            p.pointee = alphabet.utf8Start[Int(v & 0xF)]
            v >>= 4
        }
        used &+= total
    }
}

/// Fast decimal conversion: two digits per division, from a table of digit pairs.
public enum DecimalDigits {
    /// "00" "01" ... "99" (a literal: no lazily initialized global on the hot path).
    @inlinable @inline(__always)
    static var pairs: StaticString {
        "00010203040506070809101112131415161718192021222324252627282930313233343536373839404142434445464748495051525354555657585960616263646566676869707172737475767778798081828384858687888990919293949596979899"
    }

    /// Number of decimal digits in `value`.
    @inlinable @inline(__always)
    public static func count(_ value: UInt64) -> Int {
        // ~log10 from the bit length, corrected by one comparison.
        let bits = 64 &- (value | 1).leadingZeroBitCount
        let guess = (bits &* 1233) >> 12
        return guess &+ ((value | 1) >= powerOfTen(guess) ? 1 : 0)
    }

    @inlinable @inline(__always)
    static func powerOfTen(_ n: Int) -> UInt64 {
        // 10^n for n in 0...19, without a global array (no lazy initialization check).
        switch n {
        case 0: return 1
        case 1: return 10
        case 2: return 100
        case 3: return 1_000
        case 4: return 10_000
        case 5: return 100_000
        case 6: return 1_000_000
        case 7: return 10_000_000
        case 8: return 100_000_000
        case 9: return 1_000_000_000
        case 10: return 10_000_000_000
        case 11: return 100_000_000_000
        case 12: return 1_000_000_000_000
        case 13: return 10_000_000_000_000
        case 14: return 100_000_000_000_000
        case 15: return 1_000_000_000_000_000
        case 16: return 10_000_000_000_000_000
        case 17: return 100_000_000_000_000_000
        case 18: return 1_000_000_000_000_000_000
        default: return 10_000_000_000_000_000_000
        }
    }

    /// Writes the digits of `value` at `p` (room for 24 bytes, of which the ones after the digits
    /// are scratch); returns how many digits.
    @inlinable @inline(__always)
    public static func write(_ value: UInt64, to p: UnsafeMutablePointer<UInt8>) -> Int {
        if value < 10 {
            p.pointee = UInt8(truncatingIfNeeded: value) &+ 48
            return 1
        }
        // Digits are made from the right into scratch space, then copied with three word moves
        // (no digit count, no length-dependent copy).
        var scratch: (UInt64, UInt64, UInt64, UInt64, UInt64, UInt64) = (0, 0, 0, 0, 0, 0)
        return withUnsafeMutableBytes(of: &scratch) { s -> Int in
            guard let base = s.baseAddress else { return 0 }
            let table = UnsafeRawPointer(pairs.utf8Start)
            var start = 24
            var v = value
            while v >= 100 {
                let q = v / 100
                let r = Int(truncatingIfNeeded: v &- q &* 100)
                start &-= 2
                s.storeBytes(of: table.loadUnaligned(fromByteOffset: r &* 2, as: UInt16.self), toByteOffset: start, as: UInt16.self)
                v = q
            }
            if v >= 10 {
                start &-= 2
                s.storeBytes(of: table.loadUnaligned(fromByteOffset: Int(truncatingIfNeeded: v) &* 2, as: UInt16.self),
                             toByteOffset: start, as: UInt16.self)
            } else {
                start &-= 1
                s.storeBytes(of: UInt8(truncatingIfNeeded: v) &+ 48, toByteOffset: start, as: UInt8.self)
            }
            let digits = base + start
            let d = UnsafeMutableRawPointer(p)
            d.storeBytes(of: digits.loadUnaligned(as: UInt64.self), as: UInt64.self)
            d.storeBytes(of: digits.loadUnaligned(fromByteOffset: 8, as: UInt64.self), toByteOffset: 8, as: UInt64.self)
            d.storeBytes(of: digits.loadUnaligned(fromByteOffset: 16, as: UInt64.self), toByteOffset: 16, as: UInt64.self)
            return 24 &- start
        }
    }
}
