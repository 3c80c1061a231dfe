/// A growable byte buffer that hands full chunks to a sink, for writing millions of lines without
/// building strings. Formatting helpers write digits directly into the buffer.
public final class OutputBuffer {
    /// Receives written bytes; throws to stop the writer (e.g. a closed pipe).
    public typealias Sink = (UnsafeRawBufferPointer) throws -> Void

    // Written on every call of the hot path: no dynamic exclusivity bookkeeping (the buffer is
    // used by one thread at a time, and never re-entered).
    @exclusivity(unchecked)
    @usableFromInline var buffer: ByteBuffer
    private let sink: Sink
    @usableFromInline let flushThreshold: Int

    /// - Parameters:
    ///   - flushThreshold: bytes buffered before `flushIfNeeded()` hands them to the sink.
    public init(flushThreshold: Int = 1 << 16, sink: @escaping Sink) {
        self.flushThreshold = flushThreshold
        self.buffer = ByteBuffer(capacity: flushThreshold * 2)
        self.sink = sink
    }

    deinit { buffer.deallocate() }

    /// Bytes written and not yet flushed.
    @inlinable public var count: Int { buffer.count }

    /// The bytes written and not yet flushed.
    public var pendingBytes: UnsafeRawBufferPointer { buffer.bytes }

    /// Flushes when at least `flushThreshold` bytes are buffered. Call between records.
    @inlinable @inline(__always)
    public func flushIfNeeded() throws {
        if buffer.count >= flushThreshold { try flush() }
    }

    /// Hands everything buffered to the sink.
    public func flush() throws {
        guard buffer.count > 0 else { return }
        let chunk = buffer.bytes
        buffer.removeAll()
        try sink(chunk)
    }

    /// Forgets the bytes written since `mark` (to undo a partly written record).
    public func truncate(to mark: Int) {
        buffer.truncate(to: max(0, mark))
    }

    /// Gives `body` the buffer itself, for writers that keep it in a local value while they work
    /// (the fastest way to append). `body` must not use this `OutputBuffer` meanwhile.
    @inlinable
    public func withByteBuffer<R>(_ body: (inout ByteBuffer) throws -> R) rethrows -> R {
        try body(&buffer)
    }

    @inlinable @inline(__always)
    public func write(byte: UInt8) { buffer.append(byte) }

    @inlinable @inline(__always)
    public func write(_ bytes: UnsafeRawBufferPointer) { buffer.append(bytes) }

    @inlinable @inline(__always)
    public func write(_ text: StaticString) { buffer.append(text) }

    // Disfavored: a string literal goes to the StaticString version (no String made).
    @_disfavoredOverload
    public func write(_ text: String) { buffer.append(text) }

    /// Writes `byte` `n` times (padding).
    public func write(repeating byte: UInt8, count n: Int) { buffer.append(repeating: byte, count: n) }

    /// Decimal digits of `value`, right-aligned in `width` with `pad` (0 width: no padding).
    public func writeDecimal(_ value: UInt64, width: Int = 0, pad: UInt8 = UInt8(ascii: " ")) {
        if width > 0 { buffer.appendDecimal(value, width: width, pad: pad) } else { buffer.appendDecimal(value) }
    }

    /// Decimal digits of a signed `value`, with a leading `-` when negative.
    public func writeDecimal(_ value: Int64, width: Int = 0, pad: UInt8 = UInt8(ascii: " ")) {
        if width > 0 { buffer.appendDecimal(value, width: width, pad: pad) } else { buffer.appendDecimal(value) }
    }

    /// Hexadecimal digits of `value` (no prefix), zero-padded to `width`.
    public func writeHex(_ value: UInt64, width: Int = 0, uppercase: Bool = false) {
        buffer.appendHex(value, width: width, uppercase: uppercase)
    }

    /// Number of decimal digits in `value`.
    public static func decimalDigitCount(_ value: UInt64) -> Int { DecimalDigits.count(value) }
}
