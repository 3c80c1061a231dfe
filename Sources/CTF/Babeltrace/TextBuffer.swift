import TraceKit

/// A growable byte buffer passed `inout` through the formatting hot path, so writing a byte is a
/// store and an increment (no class access, no reference counting).
struct TextBuffer {
    private(set) var base: UnsafeMutablePointer<UInt8>
    private(set) var count = 0
    private(set) var capacity: Int

    init(capacity: Int = 1 << 17) {
        self.capacity = capacity
        base = .allocate(capacity: capacity)
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
        reserve(n)
        UnsafeMutableRawPointer(base + count).copyMemory(from: source, byteCount: n)
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

    /// Decimal digits of `value`.
    @inline(__always)
    mutating func appendDecimal(_ value: UInt64) {
        reserve(20)
        if value < 10 {
            base[count] = UInt8(truncatingIfNeeded: value) &+ 48
            count &+= 1
            return
        }
        var digits = 0
        var v = value
        while v != 0 { v /= 10; digits &+= 1 }
        var end = count &+ digits
        count = end
        v = value
        while v != 0 {
            end &-= 1
            base[end] = UInt8(truncatingIfNeeded: v % 10) &+ 48
            v /= 10
        }
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
        reserve(width)
        var v = value
        var i = count &+ width
        while i > count {
            i &-= 1
            base[i] = UInt8(truncatingIfNeeded: v % 10) &+ 48
            v /= 10
        }
        count &+= width
    }

    /// Uppercase hexadecimal digits (no prefix, no padding).
    @inline(__always)
    mutating func appendHexUppercase(_ value: UInt64) {
        reserve(16)
        var digits = 1
        var v = value >> 4
        while v != 0 { v >>= 4; digits &+= 1 }
        var end = count &+ digits
        count = end
        v = value
        repeat {
            end &-= 1
            let d = UInt8(truncatingIfNeeded: v & 0xF)
            base[end] = d < 10 ? d &+ 48 : d &+ 55
            v >>= 4
        } while v != 0
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
