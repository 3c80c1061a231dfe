/// Constant strings of the kernel by address, from `printk_formats` (or a trace.dat
/// TRACE_PRINTK section): the formats of `bprint` events and strings printed by pointer.
public final class PrintkFormats: @unchecked Sendable {
    private var addresses: [UInt64] = []
    private var strings: [[UInt8]] = []

    public init() {}

    /// Parses `0xffffffff82a1b2c3 : "text\n"` lines. The text is kept as written, without its
    /// quotes and a final `\n` escape.
    public init(text: UnsafeRawBufferPointer) {
        var entries: [(UInt64, [UInt8])] = []
        var lineStart = 0
        let n = text.count
        while lineStart < n {
            var lineEnd = lineStart
            while lineEnd < n && text[lineEnd] != 0x0A { lineEnd += 1 }
            defer { lineStart = lineEnd + 1 }
            if lineEnd == lineStart { continue }
            var colon = lineStart
            while colon < lineEnd && text[colon] != UInt8(ascii: ":") { colon += 1 }
            if colon == lineStart {
                // strtok skips leading ':' characters; a line of only ':' ends the parse.
                while colon < lineEnd && text[colon] == UInt8(ascii: ":") { colon += 1 }
                if colon == lineEnd { break }
            }
            let addressText = String(decoding: UnsafeRawBufferPointer(rebasing: text[lineStart..<colon]), as: UTF8.self)
            let address = PrintkFormats.parseHex(addressText)
            // Skip the ':' and the one character after it (a space).
            let formatStart = min(colon + 2, lineEnd)
            var format = Array(UnsafeRawBufferPointer(rebasing: text[formatStart..<lineEnd]))
            if format.first == UInt8(ascii: "\"") { format.removeFirst() }
            if format.last == UInt8(ascii: "\"") {
                format.removeLast()
                if format.count >= 2 && format[format.count - 2] == 0x5C && format[format.count - 1] == UInt8(ascii: "n") {
                    format.removeLast(2)
                }
            }
            entries.append((address, format))
        }
        entries.reverse()
        let sorted = entries.enumerated().sorted { a, b in
            a.element.0 != b.element.0 ? a.element.0 < b.element.0 : a.offset < b.offset
        }
        addresses = sorted.map { $0.element.0 }
        strings = sorted.map { $0.element.1 }
    }

    public convenience init(text: String) {
        let bytes = Array(text.utf8)
        self.init()
        let parsed = bytes.withUnsafeBytes { PrintkFormats(text: $0) }
        addresses = parsed.addresses
        strings = parsed.strings
    }

    /// `strtoull(s, NULL, 16)`.
    static func parseHex(_ s: String) -> UInt64 {
        var bytes = Array(s.utf8)[...]
        while let b = bytes.first, b == 0x20 || b == 0x09 { bytes = bytes.dropFirst() }
        if bytes.count >= 2, bytes.first == 0x30, let x = bytes.dropFirst().first, x == 0x78 || x == 0x58 {
            bytes = bytes.dropFirst(2)
        }
        var v: UInt64 = 0
        for b in bytes {
            guard let d = CNumber.hexValue(b) else { break }
            v = v &<< 4 | UInt64(d)
        }
        return v
    }

    public var count: Int { addresses.count }

    /// The string stored at `address`, as written in the file.
    public func string(at address: UInt64) -> [UInt8]? {
        guard let i = GlibcSearch.bsearch(count: addresses.count, { addresses[$0] == address ? 0 : (address < addresses[$0] ? -1 : 1) }) else {
            return nil
        }
        return strings[i]
    }
}
