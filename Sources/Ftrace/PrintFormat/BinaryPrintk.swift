/// `ftrace:bprint` records (`trace_printk` with a constant format): the format lives in the
/// kernel's printk formats by address and the arguments are packed in the record's `buf`.
enum BinaryPrintk {
    /// The format and arguments of one record, split as libtraceevent splits them, and whether
    /// splitting marked the event failed (a conversion without an argument).
    static func segments(for event: CatalogEvent, record data: UnsafeRawBufferPointer,
                         catalog: EventCatalog) -> (PrintFormat.Compiled, Bool) {
        let f = event.format
        guard let fmtField = f.field(named: "fmt"), let ipField = f.field(named: "ip"),
              let bufField = f.field(named: "buf") else { return PrintFormat.split(format: [], arguments: []) }
        let order = catalog.byteOrder
        let address = ByteReader.unsigned(data, at: fmtField.offset, size: fmtField.size, order: order)
        var format: [UInt8] = Array("%ps: ".utf8)
        if let text = catalog.symbols.printkFormats.string(at: address) {
            format += text
        } else {
            format += Array("(NO FORMAT FOUND at \(String(address, radix: 16)))\n".utf8)
        }
        let ip = ByteReader.unsigned(data, at: ipField.offset, size: ipField.size, order: order)
        var arguments = [atom(ip)]
        var p = 5
        var b = bufField.offset
        let n = format.count
        func c(_ k: Int) -> UInt8 { k < n ? format[k] : 0 }
        func isAlnum(_ x: UInt8) -> Bool { (x >= 0x30 && x <= 0x39) || (x >= 0x41 && x <= 0x5A) || (x >= 0x61 && x <= 0x7A) }
        while b < data.count && p < n {
            defer { p += 1 }
            guard format[p] == UInt8(ascii: "%") else { continue }
            var ls = 0
            conversion: while true {
                p += 1
                var asNumber = false
                var asString = false
                switch c(p) {
                case UInt8(ascii: "%"):
                    break conversion
                case UInt8(ascii: "l"): ls += 1; continue conversion
                case UInt8(ascii: "L"): ls = 2; continue conversion
                case 0x30...0x39, UInt8(ascii: "."), UInt8(ascii: "#"), UInt8(ascii: "+"): continue conversion
                case UInt8(ascii: "z"), UInt8(ascii: "Z"): ls = 1; continue conversion
                case UInt8(ascii: "p"):
                    ls = 1
                    asNumber = true
                    if isAlnum(c(p + 1)) {
                        p += 1
                        switch c(p) {
                        case UInt8(ascii: "s"), UInt8(ascii: "S"), UInt8(ascii: "x"):
                            break
                        case UInt8(ascii: "f") where c(p + 1) != UInt8(ascii: "w"),
                             UInt8(ascii: "F") where c(p + 1) != UInt8(ascii: "w"):
                            break
                        default:
                            // Older kernels do not dereference: only strings that look printable.
                            if b < data.count, data[b] >= 0x20 && data[b] < 0x7F {
                                asNumber = false
                                asString = true
                            }
                        }
                    }
                case UInt8(ascii: "d"), UInt8(ascii: "u"), UInt8(ascii: "i"), UInt8(ascii: "x"), UInt8(ascii: "X"),
                     UInt8(ascii: "o"), UInt8(ascii: "*"):
                    asNumber = true
                case UInt8(ascii: "s"):
                    asString = true
                default:
                    break conversion
                }
                if asString {
                    var e = b
                    while e < data.count && data[e] != 0 { e += 1 }
                    let s = PrintArgument(.binaryString)
                    s.bytes = Array(UnsafeRawBufferPointer(rebasing: data[b..<e]))
                    arguments.append(s)
                    b = e + 1
                    break conversion
                }
                if asNumber {
                    var size: Int
                    switch ls {
                    case 0: size = 4
                    case 1: size = catalog.longSize
                    case 2: size = 8
                    default: size = ls
                    }
                    let isStar = c(p) == UInt8(ascii: "*")
                    if isStar { size = 4 }
                    b = (b + 3) & ~3
                    let value = ByteReader.unsigned(data, at: b, size: size, order: order)
                    b += size
                    arguments.append(atom(value))
                    if isStar { continue conversion }
                    break conversion
                }
            }
        }
        return PrintFormat.split(format: format, arguments: arguments)
    }

    private static func atom(_ value: UInt64) -> PrintArgument {
        let a = PrintArgument(.atom, String(Int64(bitPattern: value)))
        a.atomValue = value
        a.atomIsSymbolName = false
        a.textBytes = Array(a.text.utf8)
        return a
    }
}
