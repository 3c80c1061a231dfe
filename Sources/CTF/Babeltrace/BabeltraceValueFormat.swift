import Glibc
import TraceKit

/// babeltrace2's `sink.text.pretty` renderings of single values.
enum BabeltraceValueFormat {
    /// An integer as `print_integer` writes it: `0b...` (all `size` bits), `0...` octal, decimal,
    /// or `0x...` uppercase hexadecimal; negative octal and hexadecimal values are cut to the
    /// field size rounded up to whole digits.
    @inline(__always)
    static func appendInteger(_ raw: UInt64, signed: Bool, size: Int, base: IntegerBase, to out: inout TextBuffer) {
        switch base {
        case .decimal:
            if signed {
                out.appendDecimal(BitReader.signExtend(raw, size: size))
            } else {
                out.appendDecimal(raw)
            }
        case .hexadecimal:
            var v = signed ? UInt64(bitPattern: BitReader.signExtend(raw, size: size)) : raw
            if size < 64 {
                let rounded = (size + 3) & ~3
                if rounded < 64 { v &= (1 << UInt64(rounded)) - 1 }
            }
            out.append("0x")
            out.appendHexUppercase(v)
        case .octal:
            var v = signed ? UInt64(bitPattern: BitReader.signExtend(raw, size: size)) : raw
            if signed && size < 64 {
                let rounded = ((size - 1) / 3 + 1) * 3
                if rounded < 64 { v &= (1 << UInt64(rounded)) - 1 }
            }
            out.append(UInt8(ascii: "0"))
            out.appendOctal(v)
        case .binary:
            out.append("0b")
            let width = min(64, max(1, size))
            var v = raw << UInt64(64 - width)
            for _ in 0..<width {
                out.append(v & (1 << 63) != 0 ? UInt8(ascii: "1") : UInt8(ascii: "0"))
                v <<= 1
            }
        }
    }

    /// A double as C's `%g` writes it (glibc), including `inf`, `-inf`, `nan`, `-nan`.
    @inline(__always)
    static func appendFloat(_ value: Double, to out: inout TextBuffer) {
        GeneralFloatFormat.append(value, to: &out)
    }

    /// A quoted string as `print_escape_string` writes it: `\\`, `\'`, `\"`, `\?` and C escapes for
    /// control characters, `\xNN` for the others; other bytes (UTF-8 included) as they are.
    /// Bytes `print_escape_string` changes: controls, DEL, `\`, `'`, `"`, `?`. Below 64 they are
    /// the bits of `escapedBelow64`.
    private static let escapedBelow64: UInt64 = 0xFFFF_FFFF | (1 << 0x22) | (1 << 0x27) | (1 << 0x3F)

    /// Whether any byte of `word` is one `isEscaped` accepts (SWAR tests: a byte below 0x20, or
    /// equal to one of the five others).
    @inline(__always)
    private static func wordHasEscaped(_ word: UInt64) -> Bool {
        let ones: UInt64 = 0x0101_0101_0101_0101
        let highs: UInt64 = 0x8080_8080_8080_8080
        @inline(__always) func hasZero(_ x: UInt64) -> UInt64 { (x &- ones) & ~x & highs }
        let below = (word &- ones &* 0x20) & ~word & highs
        return (below | hasZero(word ^ (ones &* 0x22)) | hasZero(word ^ (ones &* 0x27)) | hasZero(word ^ (ones &* 0x3F))
            | hasZero(word ^ (ones &* 0x5C)) | hasZero(word ^ (ones &* 0x7F))) != 0
    }

    @inline(__always)
    private static func isEscaped(_ b: UInt8) -> Bool {
        b < 64 ? (escapedBelow64 >> UInt64(b)) & 1 != 0 : (b == 0x5C || b == 0x7F)
    }

    @inline(__always)
    static func appendString(_ bytes: UnsafeRawBufferPointer, to out: inout TextBuffer) {
        out.append(UInt8(ascii: "\""))
        var plainStart = 0
        var i = 0
        let n = bytes.count
        let start = bytes.baseAddress
        while i < n {
            // Eight plain bytes at a time (most strings have nothing to escape).
            if n &- i >= 8, let start {
                if !Self.wordHasEscaped(UInt64(littleEndian: (start + i).loadUnaligned(as: UInt64.self))) {
                    i &+= 8
                    continue
                }
            }
            let b = bytes[i]
            if !isEscaped(b) {
                i &+= 1
                continue
            }
            if i > plainStart { out.append(UnsafeRawBufferPointer(rebasing: bytes[plainStart..<i])) }
            switch b {
            case UInt8(ascii: "\\"): out.append("\\\\")
            case UInt8(ascii: "'"): out.append("\\'")
            case UInt8(ascii: "\""): out.append("\\\"")
            case UInt8(ascii: "?"): out.append("\\?")
            case 0x07: out.append("\\a")
            case 0x08: out.append("\\b")
            case 0x1B: out.append("\\e")
            case 0x0C: out.append("\\f")
            case 0x0A: out.append("\\n")
            case 0x0D: out.append("\\r")
            case 0x09: out.append("\\t")
            case 0x0B: out.append("\\v")
            case 0x00: out.append("\\0")
            default:
                out.append("\\x")
                out.appendHexLowercase(UInt64(b), width: 2)
            }
            i &+= 1
            plainStart = i
        }
        if n > plainStart { out.append(UnsafeRawBufferPointer(rebasing: bytes[plainStart..<n])) }
        out.append(UInt8(ascii: "\""))
    }

    static func appendString(_ text: String, to out: inout TextBuffer) {
        var text = text
        text.withUTF8 { appendString(UnsafeRawBufferPointer($0), to: &out) }
    }
}
