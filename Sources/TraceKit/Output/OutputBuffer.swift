/// A growable byte buffer that hands full chunks to a sink, for writing millions of lines without
/// building strings. Formatting helpers write digits directly into the buffer.
public final class OutputBuffer {
    /// Receives written bytes; throws to stop the writer (e.g. a closed pipe).
    public typealias Sink = (UnsafeRawBufferPointer) throws -> Void

    private var storage: UnsafeMutablePointer<UInt8>
    private var capacity: Int
    public private(set) var count: Int = 0
    private let sink: Sink
    private let flushThreshold: Int

    /// - Parameters:
    ///   - flushThreshold: bytes buffered before `flushIfNeeded()` hands them to the sink.
    public init(flushThreshold: Int = 1 << 16, sink: @escaping Sink) {
        self.flushThreshold = flushThreshold
        self.capacity = flushThreshold * 2
        self.storage = .allocate(capacity: capacity)
        self.sink = sink
    }

    deinit { storage.deallocate() }

    /// The bytes written and not yet flushed.
    public var pendingBytes: UnsafeRawBufferPointer {
        UnsafeRawBufferPointer(start: storage, count: count)
    }

    /// Flushes when at least `flushThreshold` bytes are buffered. Call between records.
    @inline(__always)
    public func flushIfNeeded() throws {
        if count >= flushThreshold { try flush() }
    }

    /// Hands everything buffered to the sink.
    public func flush() throws {
        guard count > 0 else { return }
        let chunk = UnsafeRawBufferPointer(start: storage, count: count)
        count = 0
        try sink(chunk)
    }

    /// Forgets the bytes written since `mark` (to undo a partly written record).
    public func truncate(to mark: Int) {
        if mark < count { count = max(0, mark) }
    }

    @inline(__always)
    private func reserve(_ n: Int) {
        if count + n > capacity { grow(count + n) }
    }

    private func grow(_ needed: Int) {
        var newCapacity = capacity * 2
        while newCapacity < needed { newCapacity *= 2 }
        let newStorage = UnsafeMutablePointer<UInt8>.allocate(capacity: newCapacity)
        newStorage.update(from: storage, count: count)
        storage.deallocate()
        storage = newStorage
        capacity = newCapacity
    }

    @inline(__always)
    public func write(byte: UInt8) {
        reserve(1)
        storage[count] = byte
        count += 1
    }

    @inline(__always)
    public func write(_ bytes: UnsafeRawBufferPointer) {
        guard !bytes.isEmpty else { return }
        reserve(bytes.count)
        (storage + count).update(from: bytes.baseAddress!.assumingMemoryBound(to: UInt8.self),
                                 count: bytes.count)
        count += bytes.count
    }

    @inline(__always)
    public func write(_ text: StaticString) {
        write(UnsafeRawBufferPointer(start: text.utf8Start, count: text.utf8CodeUnitCount))
    }

    public func write(_ text: String) {
        var text = text
        text.withUTF8 { write(UnsafeRawBufferPointer($0)) }
    }

    /// Writes `byte` `n` times (padding).
    public func write(repeating byte: UInt8, count n: Int) {
        guard n > 0 else { return }
        reserve(n)
        (storage + count).update(repeating: byte, count: n)
        count += n
    }

    /// Decimal digits of `value`, right-aligned in `width` with `pad` (0 width: no padding).
    public func writeDecimal(_ value: UInt64, width: Int = 0, pad: UInt8 = UInt8(ascii: " ")) {
        var digits: (UInt64, UInt64, UInt64) = (0, 0, 0)  // 24 bytes of scratch, enough for 20 digits
        var n = 0
        var v = value
        withUnsafeMutableBytes(of: &digits) { scratch in
            repeat {
                scratch[23 - n] = UInt8(truncatingIfNeeded: v % 10) &+ 48
                v /= 10
                n += 1
            } while v != 0
            if width > n { write(repeating: pad, count: width - n) }
            write(UnsafeRawBufferPointer(rebasing: scratch[(24 - n)...]))
        }
    }

    /// Decimal digits of a signed `value`, with a leading `-` when negative.
    public func writeDecimal(_ value: Int64, width: Int = 0, pad: UInt8 = UInt8(ascii: " ")) {
        if value < 0 {
            let magnitude = value.magnitude
            if width > 0 {
                let digits = Self.decimalDigitCount(magnitude) + 1
                if pad == UInt8(ascii: "0") {
                    write(byte: UInt8(ascii: "-"))
                    writeDecimal(magnitude, width: width - 1, pad: pad)
                    return
                }
                if width > digits { write(repeating: pad, count: width - digits) }
            }
            write(byte: UInt8(ascii: "-"))
            writeDecimal(magnitude)
        } else {
            writeDecimal(UInt64(value), width: width, pad: pad)
        }
    }

    /// Hexadecimal digits of `value` (no prefix), zero-padded to `width`.
    public func writeHex(_ value: UInt64, width: Int = 0, uppercase: Bool = false) {
        let alphabet: StaticString = uppercase ? "0123456789ABCDEF" : "0123456789abcdef"
        var digits: (UInt64, UInt64) = (0, 0)
        var n = 0
        var v = value
        withUnsafeMutableBytes(of: &digits) { scratch in
            repeat {
                scratch[15 - n] = alphabet.utf8Start[Int(v & 0xF)]
                v >>= 4
                n += 1
            } while v != 0
            if width > n { write(repeating: UInt8(ascii: "0"), count: width - n) }
            write(UnsafeRawBufferPointer(rebasing: scratch[(16 - n)...]))
        }
    }

    /// Number of decimal digits in `value`.
    public static func decimalDigitCount(_ value: UInt64) -> Int {
        var n = 1
        var v = value
        while v >= 10 { v /= 10; n += 1 }
        return n
    }
}
