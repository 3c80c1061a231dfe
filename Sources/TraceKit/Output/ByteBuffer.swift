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
        reserve(20)
        used &+= DecimalDigits.write(value, to: base + used)
    }

    /// Decimal digits of `value`, with a leading `-` when negative.
    @inlinable
    public mutating func appendDecimal(_ value: Int64) {
        reserve(21)
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
        // Comparisons with constants: no table to load, and predictable for the repeated
        // magnitudes of a trace's fields.
        let v = value
        if v < 100_000_000 {
            if v < 10_000 {
                if v < 100 { return v < 10 ? 1 : 2 }
                return v < 1_000 ? 3 : 4
            }
            if v < 1_000_000 { return v < 100_000 ? 5 : 6 }
            return v < 10_000_000 ? 7 : 8
        }
        if v < 10_000_000_000_000_000 {
            if v < 1_000_000_000_000 {
                if v < 10_000_000_000 { return v < 1_000_000_000 ? 9 : 10 }
                return v < 100_000_000_000 ? 11 : 12
            }
            if v < 100_000_000_000_000 { return v < 10_000_000_000_000 ? 13 : 14 }
            return v < 1_000_000_000_000_000 ? 15 : 16
        }
        if v < 1_000_000_000_000_000_000 { return v < 100_000_000_000_000_000 ? 17 : 18 }
        return v < 10_000_000_000_000_000_000 ? 19 : 20
    }

    /// Writes the `n` digits of `value` (< 10^8, exactly `n` = `count(value)` of them) ending at `end`.
    @inlinable @inline(__always)
    static func writeSmall(_ value: UInt32, ending end: UnsafeMutableRawPointer) {
        let table = UnsafeRawPointer(pairs.utf8Start)
        var end = end
        var v = value
        while v >= 100 {
            let q = v / 100
            let r = Int(truncatingIfNeeded: v &- q &* 100)
            end -= 2
            end.storeBytes(of: table.loadUnaligned(fromByteOffset: r &* 2, as: UInt16.self), as: UInt16.self)
            v = q
        }
        if v >= 10 {
            end -= 2
            end.storeBytes(of: table.loadUnaligned(fromByteOffset: Int(truncatingIfNeeded: v) &* 2, as: UInt16.self), as: UInt16.self)
        } else {
            end -= 1
            end.storeBytes(of: UInt8(truncatingIfNeeded: v) &+ 48, as: UInt8.self)
        }
    }

    /// Writes exactly eight digits of `value` (< 10^8, zero-padded) at `p`.
    @inlinable @inline(__always)
    static func writeEight(_ value: UInt32, to p: UnsafeMutableRawPointer) {
        let table = UnsafeRawPointer(pairs.utf8Start)
        let high = value / 10_000
        let low = value &- high &* 10_000
        let a = high / 100, b = high &- a &* 100
        let c = low / 100, d = low &- c &* 100
        p.storeBytes(of: table.loadUnaligned(fromByteOffset: Int(truncatingIfNeeded: a) &* 2, as: UInt16.self), as: UInt16.self)
        p.storeBytes(of: table.loadUnaligned(fromByteOffset: Int(truncatingIfNeeded: b) &* 2, as: UInt16.self),
                     toByteOffset: 2, as: UInt16.self)
        p.storeBytes(of: table.loadUnaligned(fromByteOffset: Int(truncatingIfNeeded: c) &* 2, as: UInt16.self),
                     toByteOffset: 4, as: UInt16.self)
        p.storeBytes(of: table.loadUnaligned(fromByteOffset: Int(truncatingIfNeeded: d) &* 2, as: UInt16.self),
                     toByteOffset: 6, as: UInt16.self)
    }

    /// Writes the digits of `value` at `p` (room for 20 bytes); returns how many.
    @inlinable @inline(__always)
    public static func write(_ value: UInt64, to p: UnsafeMutablePointer<UInt8>) -> Int {
        if value < 10 {
            p.pointee = UInt8(truncatingIfNeeded: value) &+ 48
            return 1
        }
        let start = UnsafeMutableRawPointer(p)
        if value < 100_000_000 {
            let n = count(value)
            writeSmall(UInt32(truncatingIfNeeded: value), ending: start + n)
            return n
        }
        // Eight digits at a time with 32-bit arithmetic: the leading part, then full groups.
        let high = value / 100_000_000
        let low = UInt32(truncatingIfNeeded: value &- high &* 100_000_000)
        var n: Int
        if high < 100_000_000 {
            n = count(high)
            writeSmall(UInt32(truncatingIfNeeded: high), ending: start + n)
        } else {
            let top = high / 100_000_000
            let middle = UInt32(truncatingIfNeeded: high &- top &* 100_000_000)
            n = count(top)
            writeSmall(UInt32(truncatingIfNeeded: top), ending: start + n)
            writeEight(middle, to: start + n)
            n &+= 8
        }
        writeEight(low, to: start + n)
        return n &+ 8
    }
}
