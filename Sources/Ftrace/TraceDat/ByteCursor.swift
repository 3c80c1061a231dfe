import TraceKit

/// Bounds-checked sequential reads over a byte range, throwing a `TraceError` that names the file
/// and the absolute byte offset of anything that does not fit. What each read is for is described
/// lazily: the description is made only for an error (a chunk table walk read two per chunk).
struct ByteCursor {
    let bytes: UnsafeRawBufferPointer
    /// Offset of `bytes[0]` in the file (for error messages).
    let base: Int
    let file: String
    let order: ByteOrder
    /// Describes where the bytes come from when they are not the file itself (a decompressed section).
    let context: String?
    var position: Int = 0

    init(bytes: UnsafeRawBufferPointer, base: Int = 0, file: String, order: ByteOrder, context: String? = nil) {
        self.bytes = bytes
        self.base = base
        self.file = file
        self.order = order
        self.context = context
    }

    var remaining: Int { bytes.count - position }
    var absolutePosition: Int { base + position }

    func error(_ message: String, at offset: Int? = nil) -> TraceError {
        let where_ = offset ?? position
        if let context {
            return TraceError(file: file, offset: base, "\(context), at byte \(where_) of its data: \(message)")
        }
        return TraceError(file: file, offset: base + where_, message)
    }

    mutating func need(_ n: Int, _ what: @autoclosure () -> String) throws {
        guard n >= 0, n <= remaining else {
            throw error("truncated \(what()): needs \(n) bytes, \(max(0, remaining)) left")
        }
    }

    mutating func u8(_ what: @autoclosure () -> String) throws -> UInt8 {
        try need(1, what())
        defer { position += 1 }
        return bytes[position]
    }

    mutating func u16(_ what: @autoclosure () -> String) throws -> UInt16 {
        try need(2, what())
        defer { position += 2 }
        return UInt16(truncatingIfNeeded: ByteReader.unsigned(bytes, at: position, size: 2, order: order))
    }

    mutating func u32(_ what: @autoclosure () -> String) throws -> UInt32 {
        try need(4, what())
        defer { position += 4 }
        return ByteReader.u32(bytes, at: position, order: order)
    }

    mutating func u64(_ what: @autoclosure () -> String) throws -> UInt64 {
        try need(8, what())
        defer { position += 8 }
        return ByteReader.u64(bytes, at: position, order: order)
    }

    /// A size read from the file, checked to fit in what is left.
    mutating func length(_ value: UInt64, _ what: @autoclosure () -> String) throws -> Int {
        guard value <= UInt64(remaining) else {
            throw error("\(what()) of \(value) bytes runs past the end (\(remaining) bytes left)")
        }
        return Int(value)
    }

    mutating func bytes(_ n: Int, _ what: @autoclosure () -> String) throws -> UnsafeRawBufferPointer {
        try need(n, what())
        defer { position += n }
        return UnsafeRawBufferPointer(rebasing: bytes[position..<(position + n)])
    }

    mutating func array(_ n: Int, _ what: @autoclosure () -> String) throws -> [UInt8] {
        Array(try bytes(n, what()))
    }

    /// A NUL-terminated string.
    mutating func cString(_ what: @autoclosure () -> String) throws -> String {
        var end = position
        while end < bytes.count && bytes[end] != 0 { end += 1 }
        guard end < bytes.count else { throw error("unterminated \(what())") }
        defer { position = end + 1 }
        return String(decoding: UnsafeRawBufferPointer(rebasing: bytes[position..<end]), as: UTF8.self)
    }

    mutating func expect(_ text: String, _ what: @autoclosure () -> String) throws {
        let want = Array(text.utf8)
        try need(want.count, what())
        guard bytes[position..<(position + want.count)].elementsEqual(want) else {
            let found = String(decoding: UnsafeRawBufferPointer(rebasing: bytes[position..<(position + want.count)]), as: UTF8.self)
            throw error("expected \(what()) \"\(text.replacingNewlines)\" but found \"\(found.replacingNewlines)\"")
        }
        position += want.count
    }
}
