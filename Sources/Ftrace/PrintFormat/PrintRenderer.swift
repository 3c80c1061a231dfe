import TraceKit

/// Evaluates print-format arguments against one record's data and writes the text, as
/// libtraceevent's `eval_num_arg` / `print_str_arg` and the `%p` helpers do.
struct PrintRenderer {
    let order: ByteOrder
    let longSize: Int
    /// Kept alive by the catalog that made this renderer.
    unowned(unsafe) let tables: SymbolTables
    /// True in `trace-cmd report -R` mode (`%pS` then also shows the address).
    var raw = false

    // MARK: Numbers

    func evaluate(_ a: Expr, _ data: UnsafeRawBufferPointer) -> UInt64 {
        switch a.kind {
        case .null, .flags, .symbol, .intArray, .hex, .hexString, .string, .binaryString, .bitmask, .cpumask:
            return 0
        case .atom:
            if a.pointee.symbolIndex >= 0 {
                // A kernel symbol's name: its address, looked up once.
                if !a.pointee.symbolResolved {
                    a.pointee.symbolValue = tables.kernelSymbols.address(named: String(decoding: a.textBytes, as: UTF8.self))
                    a.pointee.symbolResolved = true
                }
                return a.pointee.symbolValue
            }
            return a.atomValue
        case .field:
            guard let f = a.field, f.offset + f.size <= data.count else { return 0 }
            return ByteReader.unsigned(data, at: f.offset, size: f.size, order: order)
        case .typecast:
            guard let item = a.left else { return 0 }
            return evaluate(item, data) & a.castMask
        case .dynamicArrayLength:
            guard let f = a.field else { return 0 }
            return UInt64(f.dynamicLocation(in: data, order: order).length)
        case .dynamicArray:
            // libtraceevent yields the data's memory address here; the offset is the stable part.
            guard let f = a.field else { return 0 }
            return UInt64(f.dynamicLocation(in: data, order: order).offset)
        case .op:
            return evaluateOperator(a, data)
        }
    }

    private func evaluateOperator(_ a: Expr, _ data: UnsafeRawBufferPointer) -> UInt64 {
        switch a.op {
        case .index:
            guard let leftArg = a.left, let rightArg = a.right else { return 0 }
            let index = evaluate(rightArg, data)
            var target = leftArg
            var cast: Expr?
            while target.kind == .typecast, let item = target.left {
                if cast == nil { cast = target }
                target = item
            }
            var size = longSize
            var offset: UInt32
            switch target.kind {
            case .dynamicArray:
                guard let f = target.field else { return 0 }
                offset = UInt32(truncatingIfNeeded: f.dynamicLocation(in: data, order: order).offset) &+ UInt32(truncatingIfNeeded: index)
                if f.elementSize != 0 { size = f.elementSize }
            case .field:
                guard let f = target.field else { return 0 }
                size = f.elementSize
                offset = UInt32(truncatingIfNeeded: f.offset) &+ UInt32(truncatingIfNeeded: index) &* UInt32(truncatingIfNeeded: f.elementSize)
            default:
                return 0
            }
            guard Int(offset) + size <= data.count else { return 0 }
            var v = ByteReader.unsigned(data, at: Int(offset), size: size, order: order)
            if let cast { v &= cast.pointerCastMask }
            return v
        case .conditional:
            guard let l = a.left, let r = a.right else { return 0 }
            return evaluate(l, data) != 0 ? (r.left.map { evaluate($0, data) } ?? 0) : (r.right.map { evaluate($0, data) } ?? 0)
        case .unknown:
            return 0
        default:
            break
        }
        let left = a.left.map { evaluate($0, data) } ?? 0
        let right = a.right.map { evaluate($0, data) } ?? 0
        switch a.op {
        case .not: return right == 0 ? 1 : 0
        case .notEqual: return left != right ? 1 : 0
        case .complement: return ~right
        case .or: return left | right
        case .logicalOr: return (left != 0 || right != 0) ? 1 : 0
        case .and: return left & right
        case .logicalAnd: return (left != 0 && right != 0) ? 1 : 0
        case .less: return left < right ? 1 : 0
        case .shiftLeft: return left &<< right
        case .lessEqual: return left <= right ? 1 : 0
        case .greater: return left > right ? 1 : 0
        case .shiftRight: return left &>> right
        case .greaterEqual: return left >= right ? 1 : 0
        case .equal: return left == right ? 1 : 0
        case .minus: return left &- right
        case .plus: return left &+ right
        case .divide: return right == 0 ? 0 : left / right
        case .modulo: return right == 0 ? 0 : left % right
        case .multiply: return left &* right
        case .index, .conditional, .unknown: return 0
        }
    }

    // MARK: Segments

    /// Writes one compiled segment (`print_parse_data`).
    @inline(__always)
    func write(_ segment: UnsafeMutablePointer<PrintFormat.Segment>, _ data: UnsafeRawBufferPointer, to out: inout LineBuffer) {
        // Literal text first, by a plain branch: segments alternate between text and conversions,
        // a pattern a conditional branch predicts better than the switch's indirect jump.
        if segment.pointee.kind == .literal {
            out.write(segment.pointee.text)
            return
        }
        switch segment.pointee.kind {
        case .literal:
            out.write(segment.pointee.text)
        case .number:
            guard let arg = segment.pointee.argument else { return }
            let fast = segment.pointee.fastKind
            if fast != 0 {
                let size = segment.pointee.directSize
                let value = size != 0
                    ? ByteReader.unsigned(data, at: segment.pointee.directOffset, size: size, order: order) & segment.pointee.directMask
                    : evaluate(arg, data)
                let v = value & segment.pointee.valueMask
                let w = segment.pointee.fastWidth
                switch fast {
                case 1:
                    let sign = segment.pointee.signBit
                    if v & sign == 0 {
                        out.writeDecimal(v, width: w, pad: segment.pointee.fastPad)
                    } else if segment.pointee.fastPad == 0x20 || w == 0 {
                        out.writeDecimal(Int64(bitPattern: v | ~(sign &- 1 | sign) | sign), width: w, pad: 0x20)
                    } else {
                        segment.pointee.spec.writeInteger(v, to: &out)
                    }
                case 2: out.writeDecimal(v, width: w, pad: segment.pointee.fastPad)
                default: out.writeHex(v, width: w)
                }
                return
            }
            let star = segment.pointee.lengthArgument.map { Int(Int32(truncatingIfNeeded: evaluate($0, data))) }
            segment.pointee.spec.writeInteger(evaluate(arg, data), star: star, to: &out)
        case .string:
            guard let arg = segment.pointee.argument else { return }
            let star = segment.pointee.lengthArgument.map { Int(Int32(truncatingIfNeeded: evaluate($0, data))) }
            writeString(segment.pointee.spec, star, arg, data, to: &out)
        case .pointer:
            guard let arg = segment.pointee.argument else { return }
            let length = segment.pointee.lengthArgument.map { Int(Int32(truncatingIfNeeded: evaluate($0, data))) } ?? 1
            writePointer(segment.pointee.text, length, arg, data, to: &out)
        }
    }

    /// Writes every segment.
    @inline(__always)
    func write(_ segments: UnsafeMutableBufferPointer<PrintFormat.Segment>, _ data: UnsafeRawBufferPointer, to out: inout LineBuffer) {
        guard let base = segments.baseAddress else { return }
        for i in 0..<segments.count { write(base + i, data, to: &out) }
    }

    // MARK: Strings (print_str_arg)

    func writeString(_ spec: CFormatSpec, _ star: Int?, _ a: Expr, _ data: UnsafeRawBufferPointer, to out: inout LineBuffer) {
        switch a.kind {
        case .null, .typecast, .dynamicArray, .dynamicArrayLength:
            return
        case .atom:
            spec.writeString(a.textBytes, star: star, to: &out)
        case .binaryString:
            spec.writeString(a.textBytes, star: star, to: &out)
        case .field:
            guard let f = a.field else { return }
            if !f.isArray && f.size == longSize {
                // A pointer-sized field printed with %s: a string the kernel stored at that address.
                let address = ByteReader.unsigned(data, at: f.offset, size: longSize, order: order)
                if let s = tables.printkFormats.string(at: address) {
                    s.withUnsafeBytes { out.write($0) }
                } else {
                    out.writeHex(address)
                }
                return
            }
            let start = min(max(f.offset, 0), data.count)
            let length = f.size != 0 ? f.size : data.count - f.offset
            let end = min(data.count, start + max(0, length))
            spec.writeString(UnsafeRawBufferPointer(rebasing: data[start..<end]), star: star, to: &out)
        case .flags:
            guard let fieldArg = a.left else { return }
            var value = Int64(bitPattern: evaluate(fieldArg, data))
            var printed = false
            for i in 0..<a.entryCount {
                let flag = a.entryValues[i]
                if value == 0 && flag < 0 {
                    spec.writeString(a.entryNames[i], star: star, to: &out)
                    break
                }
                if flag > 0 && (value & flag) == flag {
                    if printed, let d = a.delimiter { out.write(d) }
                    spec.writeString(a.entryNames[i], star: star, to: &out)
                    printed = true
                    value &= ~flag
                }
            }
            if value != 0 {
                if printed, let d = a.delimiter { out.write(d) }
                out.write("0x")
                out.writeHex(UInt64(bitPattern: value))
            }
        case .symbol:
            guard let fieldArg = a.left else { return }
            let value = Int64(bitPattern: evaluate(fieldArg, data))
            for i in 0..<a.entryCount where a.entryValues[i] == value {
                spec.writeString(a.entryNames[i], star: star, to: &out)
                return
            }
            out.write("0x")
            out.writeHex(UInt64(bitPattern: value))
        case .hex, .hexString:
            guard let (start, _) = helperData(a.left, data), let sizeArg = a.right else { return }
            let count = Int(UInt32(truncatingIfNeeded: evaluate(sizeArg, data)))
            for i in 0..<count {
                guard start + i < data.count else { break }
                if i > 0 && a.kind == .hex { out.write(byte: 0x20) }
                out.writeHex(UInt64(data[start + i]), width: 2)
            }
        case .intArray:
            guard let (start, _) = helperData(a.left, data), let countArg = a.right, let sizeArg = a.third else { return }
            let count = Int(UInt32(truncatingIfNeeded: evaluate(countArg, data)))
            var elementSize = Int(Int32(truncatingIfNeeded: evaluate(sizeArg, data)))
            out.write(byte: UInt8(ascii: "{"))
            var position = start
            for i in 0..<count {
                if i > 0 { out.write(byte: UInt8(ascii: ",")) }
                if position >= data.count { break }
                switch elementSize {
                case 1, 2, 4, 8:
                    out.write("0x")
                    out.writeHex(ByteReader.unsigned(data, at: position, size: elementSize, order: ByteOrder.host))
                default:
                    out.write("BAD SIZE:")
                    out.writeDecimal(Int64(elementSize))
                    out.write(" 0x")
                    out.writeHex(UInt64(data[position]))
                    elementSize = 1
                }
                position += elementSize
            }
            out.write(byte: UInt8(ascii: "}"))
        case .string:
            guard let f = a.field else { return }
            let (offset, length) = f.dynamicLocation(in: data, order: order)
            guard length > 0, offset < data.count else { return }
            spec.writeString(UnsafeRawBufferPointer(rebasing: data[offset...]), star: star, to: &out)
        case .bitmask, .cpumask:
            guard let f = a.field else { return }
            let (offset, length) = f.dynamicLocation(in: data, order: order)
            let end = min(data.count, offset + length)
            let bytes = UnsafeRawBufferPointer(rebasing: data[min(offset, end)..<end])
            let text = a.kind == .bitmask ? MaskText.bitmask(bytes, order: order) : MaskText.cpumask(bytes, order: order)
            spec.writeString(text, star: star, to: &out)
        case .op:
            guard a.op == .conditional, let l = a.left, let r = a.right else { return }
            let chosen = evaluate(l, data) != 0 ? r.left : r.right
            if let chosen { writeString(spec, star, chosen, data, to: &out) }
        }
    }

    /// Start of the data a hex/array helper reads: a dynamic array or a field.
    private func helperData(_ arg: Expr?, _ data: UnsafeRawBufferPointer) -> (Int, Int)? {
        guard let arg else { return nil }
        if arg.kind == .dynamicArray {
            guard let f = arg.field else { return nil }
            let loc = f.dynamicLocation(in: data, order: order)
            return (loc.offset, loc.length)
        }
        guard arg.kind == .field, let f = arg.field else { return nil }
        return (f.offset, f.size)
    }

    // MARK: Pointers (print_arg_pointer)

    func writePointer(_ ext: UnsafeRawBufferPointer, _ length: Int, _ a: Expr, _ data: UnsafeRawBufferPointer, to out: inout LineBuffer) {
        if a.kind == .binaryString {
            out.write(a.textBytes)
            return
        }
        let c0 = ext.first ?? 0
        switch c0 {
        case UInt8(ascii: "F"), UInt8(ascii: "f"), UInt8(ascii: "S"), UInt8(ascii: "s"):
            writeFunction(c0, evaluate(a, data), to: &out)
        case UInt8(ascii: "M"), UInt8(ascii: "m"):
            writeMAC(ext, a, data, to: &out)
        case UInt8(ascii: "I"), UInt8(ascii: "i"):
            writeIP(ext, a, data, to: &out)
        case UInt8(ascii: "U"):
            writeUUID(ext, a, data, to: &out)
        case UInt8(ascii: "h"):
            writeHexBuffer(ext, length, a, data, to: &out)
        default:
            CFormatSpec.writePointer(evaluate(a, data), to: &out)
        }
    }

    /// `%pS` / `%ps`: the symbol (plus offset for `S`/`F`), or the address.
    func writeFunction(_ kind: UInt8, _ value: UInt64, to out: inout LineBuffer) {
        let symbols = tables.kernelSymbols
        let found = symbols.index(containing: value)
        if let i = found {
            symbols.withName(at: i) { out.write($0) }
            if kind == UInt8(ascii: "F") || kind == UInt8(ascii: "S") {
                out.write("+0x")
                out.writeHex(value &- symbols.address(at: i))
            }
        }
        if found == nil || raw {
            if raw { out.write(" (") }
            out.write("0x")
            out.writeHex(value)
            if raw { out.write(")") }
        }
    }

    private func fieldArgument(_ a: Expr, _ out: inout LineBuffer) -> FieldLocation? {
        let target = a.strippingCasts
        guard target.kind == .field else {
            out.write("ARG TYPE NOT FIELD BUT ")
            out.writeDecimal(Int64(target.cTypeNumber))
            return nil
        }
        return target.field
    }

    private func writeMAC(_ ext: UnsafeRawBufferPointer, _ a: Expr, _ data: UnsafeRawBufferPointer, to out: inout LineBuffer) {
        guard let f = fieldArgument(a, &out) else { return }
        guard f.size == 6, f.offset + 6 <= data.count else { out.write("INVALIDMAC"); return }
        let c1: UInt8 = ext.count > 1 ? ext[1] : 0
        let separator: UInt8? = (ext.first ?? 0) == UInt8(ascii: "m") ? nil : (c1 == UInt8(ascii: "F") ? UInt8(ascii: "-") : UInt8(ascii: ":"))
        let reverse = c1 == UInt8(ascii: "R")
        for k in 0..<6 {
            if k > 0, let s = separator { out.write(byte: s) }
            out.writeHex(UInt64(data[f.offset + (reverse ? 5 - k : k)]), width: 2)
        }
    }

    private func writeIPv4(_ style: UInt8, reverse: Bool, _ b: UnsafeRawBufferPointer, _ at: Int, to out: inout LineBuffer) {
        for k in 0..<4 {
            if k > 0 { out.write(byte: UInt8(ascii: ".")) }
            let byte = b[at + (reverse ? 3 - k : k)]
            if style == UInt8(ascii: "i") {
                out.writeDecimal(UInt64(byte), width: 3, pad: UInt8(ascii: "0"))
            } else {
                out.writeDecimal(UInt64(byte))
            }
        }
    }

    private func reverseForIPv4(_ c: UInt8) -> Bool {
        switch c {
        case UInt8(ascii: "h"): return order == .little
        case UInt8(ascii: "l"): return true
        default: return false
        }
    }

    private func writeIP(_ ext: UnsafeRawBufferPointer, _ a: Expr, _ data: UnsafeRawBufferPointer, to out: inout LineBuffer) {
        func c(_ k: Int) -> UInt8 { k < ext.count ? ext[k] : 0 }
        let style = c(0)
        switch c(1) {
        case UInt8(ascii: "4"):
            let reverse = reverseForIPv4(c(2))
            guard let f = fieldArgument(a, &out) else { return }
            guard f.size == 4, f.offset + 4 <= data.count else { out.write("INVALIDIPv4"); return }
            writeIPv4(style, reverse: reverse, data, f.offset, to: &out)
        case UInt8(ascii: "6"):
            let compressed = style == UInt8(ascii: "I") && c(2) == UInt8(ascii: "c")
            guard let f = fieldArgument(a, &out) else { return }
            guard f.size == 16, f.offset + 16 <= data.count else { out.write("INVALIDIPv6"); return }
            writeIPv6(style, compressed: compressed, data, f.offset, to: &out)
        case UInt8(ascii: "S"):
            var k = 2
            var withPort = false
            var compressed = false
            if style == UInt8(ascii: "I") {
                if c(k) == UInt8(ascii: "p") { withPort = true; k += 1 }
                if c(k) == UInt8(ascii: "c") { compressed = true; k += 1 }
            }
            let reverse = reverseForIPv4(c(k))
            let target = a.strippingCasts
            var offset = 0
            var length = 0
            if target.kind == .field, let f = target.field {
                offset = f.offset
                length = f.size
            } else if target.kind == .dynamicArray, let f = target.field {
                (offset, length) = f.dynamicLocation(in: data, order: order)
            } else {
                out.write("ARG NOT FIELD NOR DYNAMIC ARRAY BUT TYPE ")
                out.writeDecimal(Int64(target.cTypeNumber))
                return
            }
            guard offset + 2 <= data.count else { return }
            let family = ByteReader.unsigned(data, at: offset, size: 2, order: ByteOrder.host)
            let port = ByteReader.unsigned(data, at: offset + 2, size: 2, order: .big)
            if family == 2 {
                guard length >= 16, offset + 8 <= data.count else { out.write("INVALIDIPv4"); return }
                writeIPv4(style, reverse: reverse, data, offset + 4, to: &out)
                if withPort { out.write(byte: UInt8(ascii: ":")); out.writeDecimal(port) }
            } else if family == 10 {
                guard length >= 28, offset + 24 <= data.count else { out.write("INVALIDIPv6"); return }
                if withPort { out.write(byte: UInt8(ascii: "[")) }
                writeIPv6(style, compressed: compressed, data, offset + 8, to: &out)
                if withPort { out.write("]:"); out.writeDecimal(port) }
            }
        default:
            return
        }
    }

    private func writeIPv6(_ style: UInt8, compressed: Bool, _ b: UnsafeRawBufferPointer, _ at: Int, to out: inout LineBuffer) {
        if !compressed {
            for j in stride(from: 0, to: 16, by: 2) {
                out.writeHex(UInt64(b[at + j]), width: 2)
                out.writeHex(UInt64(b[at + j + 1]), width: 2)
                if style == UInt8(ascii: "I") && j < 14 { out.write(byte: UInt8(ascii: ":")) }
            }
            return
        }
        var words = [UInt16](repeating: 0, count: 8)
        for k in 0..<8 { words[k] = UInt16(b[at + 2 * k]) << 8 | UInt16(b[at + 2 * k + 1]) }
        let v4mapped = words[0] == 0 && words[1] == 0 && words[2] == 0 && words[3] == 0 && words[4] == 0 && words[5] == 0xFFFF
        let isatap = (b[at + 8] | 0x02) == 0x02 && b[at + 9] == 0 && b[at + 10] == 0x5E && b[at + 11] == 0xFE
        let useIPv4 = v4mapped || isatap
        let range = useIPv4 ? 6 : 8
        var zeroLength = [Int](repeating: 0, count: 8)
        for i in 0..<range {
            var j = i
            while j < range && words[j] == 0 { zeroLength[i] += 1; j += 1 }
        }
        var longest = 1
        var colonPosition = -1
        for i in 0..<range where zeroLength[i] > longest {
            longest = zeroLength[i]
            colonPosition = i
        }
        if longest == 1 { colonPosition = -1 }
        var needColon = false
        var i = 0
        while i < range {
            if i == colonPosition {
                if needColon || i == 0 { out.write(byte: UInt8(ascii: ":")) }
                out.write(byte: UInt8(ascii: ":"))
                needColon = false
                i += longest
                continue
            }
            if needColon { out.write(byte: UInt8(ascii: ":")) }
            let hi = words[i] >> 8
            let lo = words[i] & 0xFF
            if hi != 0 {
                out.writeHex(UInt64(hi))
                out.writeHex(UInt64(lo), width: 2)
            } else {
                out.writeHex(UInt64(lo))
            }
            needColon = true
            i += 1
        }
        if useIPv4 {
            if needColon { out.write(byte: UInt8(ascii: ":")) }
            writeIPv4(UInt8(ascii: "I"), reverse: false, b, at + 12, to: &out)
        }
    }

    private func writeUUID(_ ext: UnsafeRawBufferPointer, _ a: Expr, _ data: UnsafeRawBufferPointer, to out: inout LineBuffer) {
        let c1: UInt8 = ext.count > 1 ? ext[1] : 0
        let upper = c1 == UInt8(ascii: "L") || c1 == UInt8(ascii: "B")
        let guid = c1 == UInt8(ascii: "L") || c1 == UInt8(ascii: "l")
        guard let f = fieldArgument(a, &out) else { return }
        guard f.size == 16, f.offset + 16 <= data.count else { out.write("INVALIDUUID"); return }
        let guidIndex = [3, 2, 1, 0, 5, 4, 7, 6, 8, 9, 10, 11, 12, 13, 14, 15]
        for i in 0..<16 {
            out.writeHex(UInt64(data[f.offset + (guid ? guidIndex[i] : i)]), width: 2, uppercase: upper)
            if i == 3 || i == 5 || i == 7 || i == 9 { out.write(byte: UInt8(ascii: "-")) }
        }
    }

    private func writeHexBuffer(_ ext: UnsafeRawBufferPointer, _ length: Int, _ a: Expr, _ data: UnsafeRawBufferPointer, to out: inout LineBuffer) {
        let c1: UInt8 = ext.count > 1 ? ext[1] : 0
        let delimiter: [UInt8]
        switch c1 {
        case UInt8(ascii: "C"): delimiter = [UInt8(ascii: ":")]
        case UInt8(ascii: "D"): delimiter = [UInt8(ascii: "-")]
        case UInt8(ascii: "N"): delimiter = []
        default: delimiter = [0x20]
        }
        guard a.kind == .dynamicArray, let f = a.field else {
            out.write("ARG TYPE NOT FIELD BUT ")
            out.writeDecimal(Int64(a.cTypeNumber))
            return
        }
        let (offset, arrayLength) = f.dynamicLocation(in: data, order: order)
        let n = min(length, arrayLength)
        guard n >= 1 else { return }
        for i in 0..<n {
            guard offset + i < data.count else { break }
            if i > 0 { delimiter.withUnsafeBytes { out.write($0) } }
            out.writeHex(UInt64(data[offset + i]), width: 2)
        }
    }
}

/// Text of bitmask and cpumask fields as libtraceevent prints them.
enum MaskText {
    /// Hex digits, most significant first, a comma every 32 bits.
    static func bitmask(_ bytes: UnsafeRawBufferPointer, order: ByteOrder) -> [UInt8] {
        let size = bytes.count
        let bits = size * 8
        var length = (bits + 3) / 4
        length += bits > 0 ? (bits - 1) / 32 : 0
        guard length > 0 else { return [] }
        var text = [UInt8](repeating: 0, count: length)
        var done = 0
        var i = length - 2
        let hex: [UInt8] = Array("0123456789abcdef".utf8)
        while i >= 0 {
            let index = order == .big ? size - (done + 1) : done
            let b = bytes[index]
            text[i] = hex[Int(b >> 4)]
            text[i + 1] = hex[Int(b & 0xF)]
            done += 1
            if done & 3 == 0 && i > 0 {
                i -= 1
                text[i] = UInt8(ascii: ",")
            }
            i -= 2
        }
        return text
    }

    /// CPU ranges: `0-3,5,7-8`.
    static func cpumask(_ bytes: UnsafeRawBufferPointer, order: ByteOrder) -> [UInt8] {
        let size = bytes.count
        let bits = size * 8
        var text: [UInt8] = []
        var first = true
        var firstOne = -1
        for i in 0..<size {
            let index = order == .big ? size - (i + 1) : i
            var byte = Int(bytes[index])
            while true {
                if firstOne < 0 && byte != 0 {
                    let bit = byte.trailingZeroBitCount
                    byte |= (1 << bit) - 1
                    firstOne = bit + i * 8
                }
                if firstOne < 0 { break }
                var firstZero: Int
                if (~byte) & 0xFF != 0 {
                    let bit = ((~byte) & 0xFF).trailingZeroBitCount
                    byte &= ~((1 << bit) - 1)
                    firstZero = bit + i * 8
                } else if i == size - 1 {
                    firstZero = bits
                    byte = 0
                } else {
                    break
                }
                if !first { text.append(UInt8(ascii: ",")) }
                first = false
                text += Array(String(firstOne).utf8)
                if firstZero > firstOne + 1 {
                    text.append(UInt8(ascii: "-"))
                    text += Array(String(firstZero - 1).utf8)
                }
                firstOne = -1
                firstZero = -1
                if byte == 0 { break }
            }
        }
        return text
    }
}
