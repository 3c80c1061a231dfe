import TraceKit

/// A compiled `print fmt`: the format split into literal text and conversions bound to their
/// argument trees, ready to render records without parsing anything again.
///
/// Rendering follows libtraceevent's `pretty_print` so the text is the one `trace-cmd report`
/// prints; where the kernel's format uses something libtraceevent does not know, the output is what
/// libtraceevent prints for it (for example `>f<` for `%f`, `[FAILED TO PARSE]` for a format it
/// rejects).
public final class PrintFormat {
    /// One piece of the compiled format: literal text, or a conversion of an argument.
    struct Segment {
        enum Kind: UInt8 {
            case literal
            case number
            case string
            /// `%p` and its extensions (`pointerFormat` holds the text after `p`: `S`, `M`, `I4`, `h` ...).
            case pointer
        }
        let kind: Kind
        let spec: CFormatSpec
        /// `spec.fastKind`, with the C type's mask and sign bit, for the common integer conversions.
        let fastKind: UInt8
        let fastWidth: Int
        let fastPad: UInt8
        let valueMask: UInt64
        let signBit: UInt64
        /// Literal text or the pointer extension, in the format's byte pool.
        let text: UnsafeRawBufferPointer
        let argument: Expr?
        let lengthArgument: Expr?
        /// When `argument` is a plain read of record bytes (`REC->field`, `REC->array[constant]`,
        /// maybe cast to a pointer type): where, how many bytes (0: evaluate `argument`), and the
        /// cast's mask. Reading them is what evaluating the argument does, without walking it.
        var directOffset = 0
        var directSize = 0
        var directMask: UInt64 = .max
    }

    /// The direct read of `argument` (see `Segment.directOffset`), nil when it is not one.
    static func directRead(_ argument: Expr?) -> (offset: Int, size: Int, mask: UInt64)? {
        guard let a = argument else { return nil }
        switch a.kind {
        case .field:
            guard let f = a.field, f.offset >= 0, [1, 2, 4, 8].contains(f.size) else { return nil }
            return (f.offset, f.size, .max)
        case .op:
            guard a.op == .index, let leftArg = a.left, let rightArg = a.right,
                  rightArg.kind == .atom, rightArg.pointee.symbolIndex < 0 else { return nil }
            var target = leftArg
            var cast: Expr?
            while target.kind == .typecast, let item = target.left {
                if cast == nil { cast = target }
                target = item
            }
            guard target.kind == .field, let f = target.field, [1, 2, 4, 8].contains(f.elementSize) else { return nil }
            // The same wrapping arithmetic as `PrintRenderer.evaluateOperator`.
            let offset = UInt32(truncatingIfNeeded: f.offset) &+ UInt32(truncatingIfNeeded: rightArg.atomValue)
                &* UInt32(truncatingIfNeeded: f.elementSize)
            return (Int(offset), f.elementSize, cast?.pointerCastMask ?? .max)
        default:
            return nil
        }
    }

    /// Segments and the storage they point into.
    final class Compiled {
        let segments: UnsafeMutableBufferPointer<Segment>
        let nodes: ExprStorage
        private let pool: UnsafeMutableRawPointer

        init(segments: [Segment], nodes: ExprStorage, pool: UnsafeMutableRawPointer) {
            self.segments = .allocate(capacity: max(1, segments.count))
            _ = self.segments.initialize(from: segments)
            self.segmentCount = segments.count
            self.nodes = nodes
            self.pool = pool
        }

        deinit {
            segments.deallocate()
            pool.deallocate()
        }

        let segmentCount: Int
    }

    /// The format string as written in the format file (escapes not yet interpreted).
    public let formatText: String
    let arguments: [PrintArgument]
    let compiled: Compiled
    /// The segments (valid while this object lives).
    var segments: UnsafeMutableBufferPointer<Segment> {
        UnsafeMutableBufferPointer(rebasing: compiled.segments[0..<compiled.segmentCount])
    }
    /// libtraceevent marks the event as failed (and prints `[FAILED TO PARSE]`).
    public let failed: Bool

    init(formatText: String, arguments: [PrintArgument], compiled: Compiled, failed: Bool) {
        self.formatText = formatText
        self.arguments = arguments
        self.compiled = compiled
        self.failed = failed
    }

    /// True when rendering may look up kernel symbols (`%pS`-style conversions or symbol constants).
    var usesKernelSymbols: Bool {
        for s in segments {
            if s.kind == .pointer, let c = s.text.first,
               c == UInt8(ascii: "S") || c == UInt8(ascii: "s") || c == UInt8(ascii: "F") || c == UInt8(ascii: "f") {
                return true
            }
            if let a = s.argument, PrintFormat.hasSymbolConstant(a) { return true }
            if let a = s.lengthArgument, PrintFormat.hasSymbolConstant(a) { return true }
        }
        return false
    }

    private static func hasSymbolConstant(_ e: Expr) -> Bool {
        if e.pointee.symbolIndex >= 0 { return true }
        return [e.left, e.right, e.third].contains { $0.map(hasSymbolConstant) ?? false }
    }

    /// Looks up every symbol-name constant now, so rendering never writes to the expressions.
    func resolveSymbolConstants(_ renderer: PrintRenderer) {
        func visit(_ e: Expr) {
            if e.pointee.symbolIndex >= 0 { _ = renderer.evaluate(e, UnsafeRawBufferPointer(start: nil, count: 0)) }
            for child in [e.left, e.right, e.third] { if let c = child { visit(c) } }
        }
        for s in segments {
            if let a = s.argument { visit(a) }
            if let a = s.lengthArgument { visit(a) }
        }
    }

    /// Compiles the print format of `event`. Throws `PrintFormatError` when libtraceevent would not
    /// parse it either.
    public convenience init(event: EventFormat, longSize: Int = 8) throws {
        guard let text = event.printFormatText else {
            throw PrintFormatError(offset: 0, message: "the format has no print fmt")
        }
        var parser = PrintArgumentParser(text: text, event: event, longSize: longSize)
        var (format, arguments) = try parser.parse()
        if arguments.isEmpty && event.system == "ftrace" {
            // Old ftrace formats had no arguments: every field is one.
            arguments = event.fields.map { field in
                let a = PrintArgument(.field, field.name)
                a.resolved = field
                a.resolvedLookupDone = true
                return a
            }
        }
        for a in arguments {
            PrintFormat.prepare(a)
            PrintFormat.resolveNamedFields(a, in: event)
        }
        let (compiled, failed) = PrintFormat.split(format: Array(format.utf8), arguments: arguments)
        self.init(formatText: format, arguments: arguments, compiled: compiled, failed: failed)
    }

    /// Precomputes atom values and flag values once.
    static func prepare(_ a: PrintArgument) {
        switch a.kind {
        case .atom:
            a.atomValue = CNumber.parseUnsigned(a.text) ?? 0
            let first = a.text.utf8.first ?? 0
            a.atomIsSymbolName = a.atomValue == 0 && !(first >= 0x30 && first <= 0x39)
            a.textBytes = Array(a.text.utf8)
        case .flags, .symbol:
            a.entryValues = a.entries.map { PrintFormat.flagValue($0.value) }
            a.entryNames = a.entries.map { Array($0.name.utf8) }
        case .op:
            a.opCode = OperatorCode(a.text)
        case .typecast:
            a.castMask = CastEvaluation.apply(.max, type: a.text, pointer: false)
            a.pointerCastMask = CastEvaluation.apply(.max, type: a.text, pointer: true)
        default: break
        }
        if let l = a.left { prepare(l) }
        if let r = a.right { prepare(r) }
        if let t = a.third { prepare(t) }
    }

    /// Binds `__get_str`/`__get_bitmask`/`__get_cpumask` to their fields (any field, common first).
    static func resolveNamedFields(_ a: PrintArgument, in event: EventFormat) {
        switch a.kind {
        case .string, .bitmask, .cpumask:
            if !a.resolvedLookupDone {
                a.resolved = event.anyField(named: a.text)
                a.resolvedLookupDone = true
            }
        default: break
        }
        if let l = a.left { resolveNamedFields(l, in: event) }
        if let r = a.right { resolveNamedFields(r, in: event) }
        if let t = a.third { resolveNamedFields(t, in: event) }
    }

    /// `eval_flag`: numeric flag values, a few names libtraceevent knows, else -1.
    static func flagValue(_ text: String) -> Int64 {
        if let f = text.utf8.first, f >= 0x30 && f <= 0x39 {
            return Int64(bitPattern: CNumber.parseUnsigned(text) ?? 0)
        }
        switch text {
        case "HI_SOFTIRQ", "HRTIMER_NORESTART": return 0
        case "TIMER_SOFTIRQ", "HRTIMER_RESTART": return 1
        case "NET_TX_SOFTIRQ": return 2
        case "NET_RX_SOFTIRQ": return 3
        case "BLOCK_SOFTIRQ": return 4
        case "IRQ_POLL_SOFTIRQ": return 5
        case "TASKLET_SOFTIRQ": return 6
        case "SCHED_SOFTIRQ": return 7
        case "HRTIMER_SOFTIRQ": return 8
        case "RCU_SOFTIRQ": return 9
        default: return -1
        }
    }

    /// `parse_args`: splits the format into literal text and conversions, taking arguments in order.
    /// A segment before compilation.
    enum Piece {
        case literal([UInt8])
        case number(CFormatSpec, PrintArgument, PrintArgument?)
        case string(CFormatSpec, PrintArgument, PrintArgument?)
        case pointer([UInt8], PrintArgument, PrintArgument?)
    }

    static func split(format: [UInt8], arguments: [PrintArgument]) -> (Compiled, Bool) {
        let (pieces, failed) = splitPieces(format: format, arguments: arguments)
        let nodes = ExprStorage()
        var poolBytes: [UInt8] = []
        var ranges: [Range<Int>] = []
        for p in pieces {
            let start = poolBytes.count
            switch p {
            case .literal(let t), .pointer(let t, _, _): poolBytes += t
            default: break
            }
            ranges.append(start..<poolBytes.count)
        }
        let pool = UnsafeMutableRawPointer.allocate(byteCount: max(1, poolBytes.count), alignment: 1)
        poolBytes.withUnsafeBytes { if let b = $0.baseAddress { pool.copyMemory(from: b, byteCount: poolBytes.count) } }
        var segments: [Segment] = []
        for (k, p) in pieces.enumerated() {
            let text = UnsafeRawBufferPointer(start: pool + ranges[k].lowerBound, count: ranges[k].count)
            func segment(_ kind: Segment.Kind, _ spec: CFormatSpec, _ argument: Expr?, _ length: Expr?) -> Segment {
                let bits: Int
                switch spec.lengthModifier {
                case ...(-2): bits = 8
                case -1: bits = 16
                case 0: bits = 32
                default: bits = 64
                }
                let mask: UInt64 = bits == 64 ? .max : (1 << UInt64(bits)) - 1
                var segment = Segment(kind: kind, spec: spec, fastKind: kind == .number && length == nil ? spec.fastKind : 0,
                                      fastWidth: spec.width ?? 0, fastPad: spec.zeroPad ? UInt8(ascii: "0") : 0x20,
                                      valueMask: mask, signBit: 1 << UInt64(bits - 1),
                                      text: text, argument: argument, lengthArgument: length)
                if kind == .number, let direct = directRead(argument) {
                    segment.directOffset = direct.offset
                    segment.directSize = direct.size
                    segment.directMask = direct.mask
                }
                return segment
            }
            switch p {
            case .literal:
                segments.append(segment(.literal, CFormatSpec(), nil, nil))
            case .number(let spec, let a, let l):
                let e = nodes.build(a)
                let le = l.map { nodes.build($0) }
                segments.append(segment(.number, spec, e, le))
            case .string(let spec, let a, let l):
                let e = nodes.build(a)
                let le = l.map { nodes.build($0) }
                segments.append(segment(.string, spec, e, le))
            case .pointer(_, let a, let l):
                let e = nodes.build(a)
                let le = l.map { nodes.build($0) }
                segments.append(segment(.pointer, CFormatSpec(), e, le))
            }
        }
        return (Compiled(segments: segments, nodes: nodes, pool: pool), failed)
    }

    static func splitPieces(format: [UInt8], arguments: [PrintArgument]) -> ([Piece], Bool) {
        var segments: [Piece] = []
        var failed = false
        var argIndex = 0
        var i = 0
        let n = format.count
        func byte(_ k: Int) -> UInt8 { k < n ? format[k] : 0 }
        while i < n {
            if format[i] == UInt8(ascii: "%") && byte(i + 1) != UInt8(ascii: "%") {
                // parse_arg_format
                let start = i
                var j = i + 1
                var lengthArgument: PrintArgument?
                var ls = 0
                var done = false
                var consumeCurrent = true
                while j < n {
                    let c = format[j]
                    switch c {
                    case UInt8(ascii: "#"), UInt8(ascii: "."), UInt8(ascii: "-"), UInt8(ascii: "+"), 0x30...0x39:
                        break
                    case UInt8(ascii: "h"): ls -= 1
                    case UInt8(ascii: "l"): ls += 1
                    case UInt8(ascii: "L"): ls = 2
                    case UInt8(ascii: "z"), UInt8(ascii: "Z"): ls = 1
                    case UInt8(ascii: "*"):
                        if argIndex >= arguments.count || lengthArgument != nil {
                            failed = true
                            done = true
                            consumeCurrent = false
                        } else {
                            lengthArgument = arguments[argIndex]
                            argIndex += 1
                        }
                    case UInt8(ascii: "p"):
                        guard argIndex < arguments.count else { failed = true; done = true; consumeCurrent = false; break }
                        let extra = pointerExtensionLength(format, j + 1)
                        let ext = Array(format[(j + 1)..<min(n, j + 1 + extra)])
                        if j + 1 + extra - start > 31 { failed = true }
                        segments.append(.pointer(ext, arguments[argIndex], lengthArgument))
                        argIndex += 1
                        j += extra
                        done = true
                    case UInt8(ascii: "c"), UInt8(ascii: "d"), UInt8(ascii: "u"), UInt8(ascii: "i"),
                         UInt8(ascii: "x"), UInt8(ascii: "X"), UInt8(ascii: "o"):
                        guard argIndex < arguments.count else { failed = true; done = true; consumeCurrent = false; break }
                        if j + 1 - start > 30 { failed = true }
                        if ls < -2 || ls > 2 { failed = true }
                        var spec = CFormatSpec(bytes: Array(format[start...j]))
                        spec.lengthModifier = ls
                        segments.append(.number(spec, arguments[argIndex], lengthArgument))
                        argIndex += 1
                        done = true
                    case UInt8(ascii: "s"):
                        guard argIndex < arguments.count else { failed = true; done = true; consumeCurrent = false; break }
                        if j + 1 - start > 31 { failed = true }
                        segments.append(.string(CFormatSpec(bytes: Array(format[start...j])), arguments[argIndex], lengthArgument))
                        argIndex += 1
                        done = true
                    default:
                        segments.append(.literal([UInt8(ascii: ">"), c, UInt8(ascii: "<")]))
                        done = true
                    }
                    if done {
                        // A conversion that ran out of arguments consumes only what came before it.
                        if consumeCurrent { j += 1 }
                        break
                    }
                    j += 1
                }
                i = j
            } else {
                // parse_arg_string
                var text: [UInt8] = []
                while i < n {
                    let c = format[i]
                    if c == 0x5C {
                        i += 1
                        guard i < n else { break }
                        switch format[i] {
                        case UInt8(ascii: "n"): text.append(0x0A)
                        case UInt8(ascii: "t"): text.append(0x09)
                        case UInt8(ascii: "r"): text.append(0x0D)
                        default: text.append(format[i])
                        }
                    } else if c == UInt8(ascii: "%") {
                        if byte(i + 1) == UInt8(ascii: "%") {
                            text.append(c)
                            i += 1
                        } else {
                            break
                        }
                    } else {
                        text.append(c)
                    }
                    i += 1
                }
                segments.append(.literal(text))
            }
        }
        return (segments, failed)
    }

    /// `parse_arg_format_pointer`: how many characters after `%p` belong to the conversion.
    static func pointerExtensionLength(_ f: [UInt8], _ at: Int) -> Int {
        func c(_ k: Int) -> UInt8 { at + k < f.count ? f[at + k] : 0 }
        var ret = 0
        switch c(0) {
        case UInt8(ascii: "F"), UInt8(ascii: "S"), UInt8(ascii: "f"), UInt8(ascii: "s"):
            ret += 1
        case UInt8(ascii: "M"), UInt8(ascii: "m"):
            if c(1) == UInt8(ascii: "R") || c(1) == UInt8(ascii: "F") { ret += 1 }
            ret += 1
        case UInt8(ascii: "I"), UInt8(ascii: "i"):
            var index = 2
            switch c(1) {
            case UInt8(ascii: "S"):
                while [UInt8(ascii: "p"), UInt8(ascii: "f"), UInt8(ascii: "s")].contains(c(index)) {
                    ret += 1
                    index += 1
                }
                fallthrough
            case UInt8(ascii: "4"):
                if [UInt8(ascii: "h"), UInt8(ascii: "n"), UInt8(ascii: "l"), UInt8(ascii: "b")].contains(c(index)) {
                    ret += 1
                    index += 1
                }
                if c(1) == UInt8(ascii: "4") {
                    ret += 1
                    break
                }
                fallthrough
            case UInt8(ascii: "6"):
                if c(index) == UInt8(ascii: "c") { ret += 1 }
                ret += 1
            default:
                break
            }
            ret += 1
        case UInt8(ascii: "U"):
            if [UInt8(ascii: "L"), UInt8(ascii: "l"), UInt8(ascii: "B"), UInt8(ascii: "b")].contains(c(1)) { ret += 1 }
            ret += 1
        case UInt8(ascii: "h"):
            if [UInt8(ascii: "C"), UInt8(ascii: "D"), UInt8(ascii: "N")].contains(c(1)) { ret += 1 }
            ret += 1
        default:
            break
        }
        return ret
    }
}
