import Glibc
import TraceKit

/// babeltrace2's `sink.text.pretty` renderings of single values.
enum BabeltraceValueFormat {
    /// An integer as `print_integer` writes it: `0b...` (all `size` bits), `0...` octal, decimal,
    /// or `0x...` uppercase hexadecimal; negative octal and hexadecimal values are cut to the
    /// field size rounded up to whole digits.
    @inline(__always)
    static func writeInteger(_ raw: UInt64, signed: Bool, size: Int, base: IntegerBase, to out: OutputBuffer) {
        switch base {
        case .decimal:
            if signed {
                out.writeDecimal(BitReader.signExtend(raw, size: size))
            } else {
                out.writeDecimal(raw)
            }
        case .hexadecimal:
            var v = signed ? UInt64(bitPattern: BitReader.signExtend(raw, size: size)) : raw
            if size < 64 {
                let rounded = (size + 3) & ~3
                if rounded < 64 { v &= (1 << UInt64(rounded)) - 1 }
            }
            out.write("0x")
            out.writeHex(v, uppercase: true)
        case .octal:
            var v = signed ? UInt64(bitPattern: BitReader.signExtend(raw, size: size)) : raw
            if signed && size < 64 {
                let rounded = ((size - 1) / 3 + 1) * 3
                if rounded < 64 { v &= (1 << UInt64(rounded)) - 1 }
            }
            out.write(byte: UInt8(ascii: "0"))
            writeOctal(v, to: out)
        case .binary:
            out.write("0b")
            var v = raw << UInt64(64 - min(64, max(1, size)))
            for _ in 0..<size {
                out.write(byte: v & (1 << 63) != 0 ? UInt8(ascii: "1") : UInt8(ascii: "0"))
                v <<= 1
            }
        }
    }

    private static func writeOctal(_ value: UInt64, to out: OutputBuffer) {
        var digits: [UInt8] = []
        var v = value
        repeat {
            digits.append(UInt8(ascii: "0") + UInt8(v & 7))
            v >>= 3
        } while v != 0
        for d in digits.reversed() { out.write(byte: d) }
    }

    /// A double as C's `%g` writes it (glibc), including `inf`, `-inf`, `nan`, `-nan`.
    static func writeFloat(_ value: Double, to out: OutputBuffer) {
        var buffer: (UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64) = (0, 0, 0, 0, 0, 0, 0, 0)
        withUnsafeMutableBytes(of: &buffer) { raw in
            let count = withVaList([value]) { args in
                vsnprintf(raw.baseAddress!.assumingMemoryBound(to: CChar.self), raw.count, "%g", args)
            }
            if count > 0 {
                out.write(UnsafeRawBufferPointer(rebasing: raw[0..<min(Int(count), raw.count - 1)]))
            }
        }
    }

    /// A quoted string as `print_escape_string` writes it: `\\`, `\'`, `\"`, `\?` and C escapes for
    /// control characters, `\xNN` for the others; other bytes (UTF-8 included) as they are.
    @inline(__always)
    static func writeString(_ bytes: UnsafeRawBufferPointer, to out: OutputBuffer) {
        out.write(byte: UInt8(ascii: "\""))
        var plainStart = 0
        var i = 0
        let n = bytes.count
        while i < n {
            let b = bytes[i]
            if b >= 0x20 && b != 0x7F && b != UInt8(ascii: "\\") && b != UInt8(ascii: "'")
                && b != UInt8(ascii: "\"") && b != UInt8(ascii: "?") {
                i += 1
                continue
            }
            if i > plainStart { out.write(UnsafeRawBufferPointer(rebasing: bytes[plainStart..<i])) }
            switch b {
            case UInt8(ascii: "\\"): out.write("\\\\")
            case UInt8(ascii: "'"): out.write("\\'")
            case UInt8(ascii: "\""): out.write("\\\"")
            case UInt8(ascii: "?"): out.write("\\?")
            case 0x07: out.write("\\a")
            case 0x08: out.write("\\b")
            case 0x1B: out.write("\\e")
            case 0x0C: out.write("\\f")
            case 0x0A: out.write("\\n")
            case 0x0D: out.write("\\r")
            case 0x09: out.write("\\t")
            case 0x0B: out.write("\\v")
            case 0x00: out.write("\\0")
            default:
                out.write("\\x")
                out.writeHex(UInt64(b), width: 2)
            }
            i += 1
            plainStart = i
        }
        if n > plainStart { out.write(UnsafeRawBufferPointer(rebasing: bytes[plainStart..<n])) }
        out.write(byte: UInt8(ascii: "\""))
    }

    static func writeString(_ text: String, to out: OutputBuffer) {
        var text = text
        text.withUTF8 { writeString(UnsafeRawBufferPointer($0), to: out) }
    }
}
