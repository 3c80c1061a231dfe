import TraceKit

/// One printf conversion (`%-08lx`, `%.*s`, `%c`) parsed once, then applied to values the way
/// glibc's printf formats them, straight into a `LineBuffer`.
public struct CFormatSpec: Sendable, Hashable {
    public var leftAlign = false
    public var forceSign = false
    public var spaceSign = false
    public var alternate = false
    public var zeroPad = false
    /// Field width, when written as digits.
    public var width: Int?
    /// The width comes from an argument (`*`).
    public var widthFromArgument = false
    /// Precision, when written (`.` alone is 0).
    public var precision: Int?
    public var precisionFromArgument = false
    /// The length modifier count as libtraceevent computes it: `hh` -2, `h` -1, none 0, `l`/`z` 1, `ll`/`L` 2.
    public var lengthModifier = 0
    /// The conversion character (`d`, `u`, `x`, `s`, `p`, `c` ...).
    public var conversion: UInt8 = UInt8(ascii: "d")

    public init() {}

    /// Parses a spec starting at `%`.
    public init(_ text: String) {
        self.init(bytes: Array(text.utf8))
    }

    init(bytes: [UInt8]) {
        var i = bytes.first == UInt8(ascii: "%") ? 1 : 0
        flags: while i < bytes.count {
            switch bytes[i] {
            case UInt8(ascii: "-"): leftAlign = true
            case UInt8(ascii: "+"): forceSign = true
            case UInt8(ascii: " "): spaceSign = true
            case UInt8(ascii: "#"): alternate = true
            case UInt8(ascii: "0"): zeroPad = true
            default: break flags
            }
            i += 1
        }
        if i < bytes.count && bytes[i] == UInt8(ascii: "*") {
            widthFromArgument = true
            i += 1
        } else {
            var w = 0
            var any = false
            while i < bytes.count, bytes[i] >= 0x30 && bytes[i] <= 0x39 {
                w = min(w * 10 + Int(bytes[i] - 0x30), 1 << 20)
                any = true
                i += 1
            }
            if any { width = w }
        }
        if i < bytes.count && bytes[i] == UInt8(ascii: ".") {
            i += 1
            if i < bytes.count && bytes[i] == UInt8(ascii: "*") {
                precisionFromArgument = true
                i += 1
            } else {
                var p = 0
                while i < bytes.count, bytes[i] >= 0x30 && bytes[i] <= 0x39 {
                    p = min(p * 10 + Int(bytes[i] - 0x30), 1 << 20)
                    i += 1
                }
                precision = p
            }
        }
        var ls = 0
        while i < bytes.count {
            switch bytes[i] {
            case UInt8(ascii: "h"): ls -= 1
            case UInt8(ascii: "l"): ls += 1
            case UInt8(ascii: "L"), UInt8(ascii: "q"), UInt8(ascii: "j"): ls = 2
            case UInt8(ascii: "z"), UInt8(ascii: "Z"), UInt8(ascii: "t"): ls = 1
            default:
                lengthModifier = ls
                conversion = bytes[i]
                return
            }
            i += 1
        }
        lengthModifier = ls
    }

    /// Width and precision after applying a `*` argument (glibc: a negative width means left
    /// alignment, a negative precision means none).
    @inline(__always)
    private func resolved(_ star: Int?) -> (width: Int, precision: Int?, left: Bool) {
        var w = width ?? 0
        var p = precision
        var left = leftAlign
        if let star {
            if widthFromArgument {
                if star < 0 { left = true; w = Int(star.magnitude) } else { w = star }
            } else if precisionFromArgument {
                p = star < 0 ? nil : star
            }
        }
        return (min(w, 1 << 20), p, left)
    }

    /// Truncates `value` to the C type this conversion's length modifier reads, sign- or
    /// zero-extending as the conversion requires.
    @inline(__always)
    public func cValue(_ value: UInt64) -> UInt64 {
        let signedConversion = conversion == UInt8(ascii: "d") || conversion == UInt8(ascii: "i")
        switch lengthModifier {
        case ...(-2):
            return signedConversion ? UInt64(bitPattern: Int64(Int8(truncatingIfNeeded: value))) : value & 0xFF
        case -1:
            return signedConversion ? UInt64(bitPattern: Int64(Int16(truncatingIfNeeded: value))) : value & 0xFFFF
        case 0:
            return signedConversion ? UInt64(bitPattern: Int64(Int32(truncatingIfNeeded: value))) : value & 0xFFFF_FFFF
        default:
            return value
        }
    }

    /// Only a width and maybe the `0` flag.
    private var isPlainOrPadded: Bool {
        !leftAlign && !forceSign && !spaceSign && !alternate && precision == nil && !widthFromArgument && !precisionFromArgument
    }

    /// No flags, width or precision: digits only.
    private var isPlain: Bool {
        !leftAlign && !forceSign && !spaceSign && !alternate && !zeroPad && width == nil && precision == nil
            && !widthFromArgument && !precisionFromArgument
    }

    /// The common conversions, decided once: 1 signed decimal, 2 unsigned decimal, 3 zero-padded or
    /// plain lower-case hex, 0 anything else (see `writeInteger`).
    var fastKind: UInt8 {
        guard isPlainOrPadded else { return 0 }
        switch conversion {
        case UInt8(ascii: "d"), UInt8(ascii: "i"): return 1
        case UInt8(ascii: "u"): return 2
        case UInt8(ascii: "x"): return zeroPad || width == nil ? 3 : 0
        default: return 0
        }
    }

    /// Writes an integer conversion (`d i u x X o c`); `value` is already truncated to its C type.
    @inline(__always)
    public func writeInteger(_ rawValue: UInt64, star: Int? = nil, to out: inout LineBuffer) {
        let value = cValue(rawValue)
        if isPlainOrPadded {
            let w = width ?? 0
            let pad: UInt8 = zeroPad ? UInt8(ascii: "0") : 0x20
            switch conversion {
            case UInt8(ascii: "u"): out.writeDecimal(value, width: w, pad: pad); return
            case UInt8(ascii: "x"): if zeroPad || w == 0 { out.writeHex(value, width: w); return }
            case UInt8(ascii: "d"), UInt8(ascii: "i"):
                if Int64(bitPattern: value) >= 0 || !zeroPad { out.writeDecimal(Int64(bitPattern: value), width: w, pad: pad); return }
            default: break
            }
        }
        if isPlain {
            switch conversion {
            case UInt8(ascii: "d"), UInt8(ascii: "i"): out.writeDecimal(Int64(bitPattern: value)); return
            case UInt8(ascii: "u"): out.writeDecimal(value); return
            case UInt8(ascii: "x"): out.writeHex(value); return
            case UInt8(ascii: "X"): out.writeHex(value, uppercase: true); return
            default: break
            }
        }
        writeFormatted(value, star: star, to: &out)
    }

    private func writeFormatted(_ value: UInt64, star: Int?, to out: inout LineBuffer) {
        let (w, p, left) = resolved(star)
        if conversion == UInt8(ascii: "c") {
            if !left && w > 1 { out.write(repeating: 0x20, count: w - 1) }
            out.write(byte: UInt8(truncatingIfNeeded: value))
            if left && w > 1 { out.write(repeating: 0x20, count: w - 1) }
            return
        }
        var negative = false
        var magnitude = value
        var base: UInt64 = 10
        var upper = false
        switch conversion {
        case UInt8(ascii: "d"), UInt8(ascii: "i"):
            let s = Int64(bitPattern: value)
            negative = s < 0
            magnitude = s.magnitude
        case UInt8(ascii: "x"): base = 16
        case UInt8(ascii: "X"): base = 16; upper = true
        case UInt8(ascii: "o"): base = 8
        default: break
        }
        // Digits, least significant first, in a fixed scratch area (no heap allocation).
        var scratch: (UInt64, UInt64, UInt64) = (0, 0, 0)
        withUnsafeMutableBytes(of: &scratch) { digitsBuffer in
            var count = 0
            var v = magnitude
            let alphabet: StaticString = upper ? "0123456789ABCDEF" : "0123456789abcdef"
            if !(v == 0 && p == 0) {
                repeat {
                    digitsBuffer[23 - count] = alphabet.utf8Start[Int(v % base)]
                    v /= base
                    count += 1
                } while v != 0
            }
            var zeros = max(0, (p ?? 0) - count)
            var prefix: StaticString = ""
            var signByte: UInt8 = 0
            if negative { signByte = UInt8(ascii: "-") }
            else if (conversion == UInt8(ascii: "d") || conversion == UInt8(ascii: "i")) {
                if forceSign { signByte = UInt8(ascii: "+") } else if spaceSign { signByte = 0x20 }
            }
            if alternate {
                if base == 16 && magnitude != 0 { prefix = upper ? "0X" : "0x" }
                if base == 8 && zeros == 0 && (count == 0 || digitsBuffer[24 - count] != UInt8(ascii: "0")) { zeros = 1 }
            }
            let prefixLength = prefix.utf8CodeUnitCount + (signByte != 0 ? 1 : 0)
            var total = prefixLength + zeros + count
            if zeroPad && !left && p == nil && w > total {
                zeros += w - total
                total = w
            }
            if !left && w > total { out.write(repeating: 0x20, count: w - total) }
            if signByte != 0 { out.write(byte: signByte) }
            if prefix.utf8CodeUnitCount > 0 { out.write(prefix) }
            if zeros > 0 { out.write(repeating: UInt8(ascii: "0"), count: zeros) }
            if count > 0 { out.write(UnsafeRawBufferPointer(rebasing: digitsBuffer[(24 - count)...])) }
            if left && w > total { out.write(repeating: 0x20, count: w - total) }
        }
    }

    /// Writes a `%s` conversion of a C string: `bytes` up to the first NUL, cut to the precision,
    /// padded to the width.
    public func writeString(_ bytes: UnsafeRawBufferPointer, star: Int? = nil, to out: inout LineBuffer) {
        let (w, p, left) = resolved(star)
        var n = 0
        let limit = p.map { min($0, bytes.count) } ?? bytes.count
        while n < limit && bytes[n] != 0 { n += 1 }
        if !left && w > n { out.write(repeating: 0x20, count: w - n) }
        if n > 0 { out.write(UnsafeRawBufferPointer(rebasing: bytes[0..<n])) }
        if left && w > n { out.write(repeating: 0x20, count: w - n) }
    }

    /// Writes `%s` of a byte array.
    public func writeString(_ bytes: [UInt8], star: Int? = nil, to out: inout LineBuffer) {
        bytes.withUnsafeBytes { writeString($0, star: star, to: &out) }
    }

    /// `%p` as glibc prints it: `0x...` or `(nil)`.
    public static func writePointer(_ value: UInt64, to out: inout LineBuffer) {
        if value == 0 {
            out.write("(nil)")
        } else {
            out.write("0x")
            out.writeHex(value)
        }
    }
}
