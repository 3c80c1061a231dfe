/// A print format that libtraceevent cannot parse either (trace-cmd then prints
/// `[FAILED TO PARSE]` and the raw fields).
public struct PrintFormatError: Error, CustomStringConvertible, Sendable, Equatable {
    /// Byte offset in the `print fmt:` text.
    public var offset: Int
    public var message: String
    public var description: String { "print fmt at byte \(offset): \(message)" }
}

/// Parses `print fmt: "...", args` into the format string and argument trees, following
/// libtraceevent's parser step by step (including its operator-priority rotations, which decide how
/// unparenthesised expressions evaluate).
struct PrintArgumentParser {
    var tokens: FormatTokenizer
    let event: EventFormat
    let longSize: Int
    /// Nesting depth, bounded so that damaged text cannot exhaust the stack.
    private var depth = 0
    private static let maximumDepth = 256

    init(text: String, event: EventFormat, longSize: Int) {
        self.tokens = FormatTokenizer(text)
        self.event = event
        self.longSize = longSize
    }

    private func fail(_ message: String) -> PrintFormatError {
        PrintFormatError(offset: tokens.position, message: message)
    }

    private func describe(_ t: FormatToken) -> String {
        t.kind == .none ? "end of text" : "'\(t.text.replacingNewlines)'"
    }

    /// Parses the whole `print fmt:` value: the format string and the argument list.
    mutating func parse() throws -> (format: String, arguments: [PrintArgument]) {
        var token = tokens.next()
        guard token.kind == .dquote else { throw fail("expected a quoted format but found \(describe(token))") }
        var format = token.text
        while true {
            token = tokens.nextItem()
            if token.kind == .none { return (format, []) }
            if token.kind == .dquote { format += token.text; continue }
            break
        }
        guard token.isDelim(",") else { throw fail("expected ',' after the format but found \(describe(token))") }
        return (format, try parseArguments())
    }

    /// `event_read_print_args`.
    private mutating func parseArguments() throws -> [PrintArgument] {
        var result: [PrintArgument] = []
        var kind = FormatTokenKind.none
        var first = true
        repeat {
            if !first && kind == .newline {
                kind = tokens.nextItem().kind
                continue
            }
            first = false
            let arg = PrintArgument(.null)
            var token: FormatToken
            (kind, token) = try processArgument(arg)
            result.append(arg)
            if kind == .op {
                (kind, token) = try processOperator(arg, token)
                try consolidate(arg)
                continue
            }
            if kind == .delim && token.text == "," { continue }
            break
        } while kind != .none
        return result
    }

    // MARK: - libtraceevent's recursive descent

    private mutating func processArgument(_ arg: PrintArgument) throws -> (FormatTokenKind, FormatToken) {
        let token = tokens.next()
        return try processArgumentToken(arg, token)
    }

    private mutating func processArgumentToken(_ arg: PrintArgument, _ token: FormatToken) throws -> (FormatTokenKind, FormatToken) {
        depth += 1
        defer { depth -= 1 }
        guard depth <= PrintArgumentParser.maximumDepth else { throw fail("expression nested too deeply") }
        switch token.kind {
        case .item:
            if token.text == "REC" { return try processEntry(arg) }
            var atom = token.text
            var next = tokens.nextItem()
            if next.isDelim("(") { return try processFunction(arg, name: atom) }
            while next.kind == .item {
                atom += " " + next.text
                next = tokens.nextItem()
            }
            arg.kind = .atom
            arg.text = atom
            return (next.kind, next)
        case .squote:
            arg.kind = .atom
            let first = token.text.utf8.first.map { Int(Int8(bitPattern: $0)) } ?? 0
            arg.text = String(first)
            let next = tokens.nextItem()
            return (next.kind, next)
        case .dquote:
            arg.kind = .atom
            arg.text = token.text
            let next = tokens.nextItem()
            return (next.kind, next)
        case .delim where token.text == "(":
            return try processParenthesis(arg)
        case .delim, .op:
            arg.kind = .op
            arg.text = token.text
            arg.left = nil
            return try processOperator(arg, token)
        default:
            throw fail("unexpected \(describe(token))")
        }
    }

    static func priority(of op: String) -> Int {
        let u = Array(op.utf8)
        if u.count == 1 {
            switch u[0] {
            case UInt8(ascii: "~"), UInt8(ascii: "!"): return 4
            case UInt8(ascii: "*"), UInt8(ascii: "/"), UInt8(ascii: "%"): return 6
            case UInt8(ascii: "+"), UInt8(ascii: "-"): return 7
            case UInt8(ascii: "<"), UInt8(ascii: ">"): return 9
            case UInt8(ascii: "&"): return 11
            case UInt8(ascii: "^"): return 12
            case UInt8(ascii: "|"): return 13
            case UInt8(ascii: "?"): return 16
            default: return -1
            }
        }
        switch op {
        case "++", "--": return 3
        case ">>", "<<": return 8
        case ">=", "<=": return 9
        case "==", "!=": return 10
        case "&&": return 14
        case "||": return 15
        default: return -1
        }
    }

    private static let binaryOperators: Set<String> = [
        ">>", "<<", "&", "|", "&&", "||", "-", "+", "*", "^", "/", "%", "<", ">", "<=", ">=", "==", "!=",
    ]

    /// `process_op`: `token` is the operator just read; `arg` holds what came before it.
    private mutating func processOperator(_ arg: PrintArgument, _ token: FormatToken) throws -> (FormatTokenKind, FormatToken) {
        depth += 1
        defer { depth -= 1 }
        guard depth <= PrintArgumentParser.maximumDepth else { throw fail("expression nested too deeply") }
        let op = token.text
        var right: PrintArgument?
        var result: (FormatTokenKind, FormatToken)
        if arg.kind == .op && arg.left == nil {
            // Unary operator.
            let u = Array(op.utf8)
            guard u.count == 1, [UInt8(ascii: "~"), UInt8(ascii: "!"), UInt8(ascii: "+"), UInt8(ascii: "-")].contains(u[0]) else {
                throw fail("bad op token \(op)")
            }
            arg.left = PrintArgument(.null)
            let r = PrintArgument(.null)
            arg.right = r
            right = r
            result = try processArgument(r)
        } else if op == "?" {
            let left = arg.copy()
            arg.kind = .op
            arg.text = op
            arg.left = left
            arg.right = nil
            arg.priority = 0
            result = try processCondition(arg)
        } else if PrintArgumentParser.binaryOperators.contains(op) {
            let left = arg.copy()
            arg.kind = .op
            arg.text = op
            arg.left = left
            arg.right = nil
            if left.kind == .null {
                arg.priority = 0
            } else {
                arg.priority = PrintArgumentParser.priority(of: op)
                if arg.priority < 0 { throw fail("unknown op '\(op)'") }
            }
            let next = tokens.nextItem()
            if op == "*" && next.isDelim(")") {
                // `(type *)`: a pointer type, not a multiplication.
                guard left.kind == .atom else { throw fail("bad pointer type") }
                left.text += " *"
                arg.assign(from: left)
                return (next.kind, next)
            }
            let r = PrintArgument(.null)
            result = try processArgumentToken(r, next)
            if r.kind == .op && PrintArgumentParser.priority(of: arg.text) < PrintArgumentParser.priority(of: r.text) {
                // Rotate so the tighter-binding operator ends up below.
                arg.right = r.left
                let saved = arg.copy()
                arg.assign(from: r)
                r.assign(from: saved)
                arg.left = r
            } else {
                arg.right = r
            }
            right = r
        } else if op == "[" {
            let left = arg.copy()
            arg.kind = .op
            arg.text = op
            arg.left = left
            arg.right = nil
            arg.priority = 0
            result = try processArray(arg)
        } else {
            throw fail("unknown op '\(op)'")
        }
        let (kind, next) = result
        if kind == .op && next.text != ":" {
            let priority = PrintArgumentParser.priority(of: next.text)
            if priority < 0 { throw fail("unknown op '\(next.text)'") }
            if priority > arg.priority { return try processOperator(arg, next) }
            guard let right else { throw fail("unexpected operator '\(next.text)'") }
            return try processOperator(right, next)
        }
        return result
    }

    private mutating func processCondition(_ top: PrintArgument) throws -> (FormatTokenKind, FormatToken) {
        let arg = PrintArgument(.op)
        let left = PrintArgument(.null)
        let right = PrintArgument(.null)
        arg.left = left
        arg.right = right
        var (kind, token) = try processArgument(left)
        while kind == .op && token.text != ":" {
            (kind, token) = try processOperator(left, token)
        }
        guard kind == .op, token.text == ":" else { throw fail("expected ':' but found \(describe(token))") }
        arg.text = ":"
        let result = try processArgument(right)
        top.right = arg
        return result
    }

    private mutating func processArray(_ top: PrintArgument) throws -> (FormatTokenKind, FormatToken) {
        let arg = PrintArgument(.null)
        let (kind, token) = try processArgument(arg)
        guard kind == .op, token.text == "]" else { throw fail("expected ']' but found \(describe(token))") }
        top.right = arg
        let next = tokens.nextItem()
        return (next.kind, next)
    }

    private mutating func processEntry(_ arg: PrintArgument) throws -> (FormatTokenKind, FormatToken) {
        let token = tokens.nextItem()
        if token.isDelim(")") { return (.item, token) }  // "(REC)->"
        guard token.isOp("->") else { throw fail("expected '->' but found \(describe(token))") }
        let name = tokens.next()
        guard name.kind == .item else { throw fail("expected a field name but found \(describe(name))") }
        arg.kind = .field
        arg.text = name.text
        arg.resolved = event.anyField(named: name.text)
        arg.resolvedLookupDone = true
        let next = tokens.next()
        return (next.kind, next)
    }

    private mutating func processParenthesis(_ arg: PrintArgument) throws -> (FormatTokenKind, FormatToken) {
        var (kind, token) = try processArgument(arg)
        if kind == .op { (kind, token) = try processOperator(arg, token) }
        if kind == .item && token.text == ")" { return try processEntry(arg) }
        guard token.isDelim(")") else { throw fail("expected ')' but found \(describe(token))") }
        let next = tokens.nextItem()
        if next.kind == .item || next.kind == .dquote || next.kind == .squote || next.isDelim("(") {
            // `(type) value`.
            guard arg.kind == .atom else { throw fail("a cast needs a type name") }
            let item = PrintArgument(.null)
            arg.kind = .typecast
            arg.left = item
            return try processArgumentToken(item, next)
        }
        return (next.kind, next)
    }

    /// `alloc_and_process_delim`: one argument of a helper, ended by `delimiter`.
    private mutating func helperArgument(endingWith delimiter: String) throws -> PrintArgument {
        let field = PrintArgument(.null)
        var (kind, token) = try processArgument(field)
        if kind == .op {
            (kind, token) = try processOperator(field, token)
            try consolidate(field)
        }
        guard kind == .delim, token.text == delimiter else {
            throw fail("expected '\(delimiter)' but found \(describe(token))")
        }
        return field
    }

    private mutating func processFunction(_ arg: PrintArgument, name: String) throws -> (FormatTokenKind, FormatToken) {
        switch name {
        case "__print_flags", "__print_symbolic":
            let isFlags = name == "__print_flags"
            arg.kind = isFlags ? .flags : .symbol
            arg.entries = []
            arg.delimiter = nil
            let field = PrintArgument(.null)
            var (kind, token) = try processArgument(field)
            while kind == .op { (kind, token) = try processOperator(field, token) }
            if isFlags {
                while kind == .op { (kind, token) = try processOperator(field, token) }
            }
            guard token.isDelim(",") else { throw fail("expected ',' but found \(describe(token))") }
            arg.left = field
            if isFlags {
                token = tokens.nextItem()
                if token.kind == .item || token.kind == .dquote || token.kind == .squote {
                    arg.delimiter = token.text
                    token = tokens.nextItem()
                }
                guard token.isDelim(",") else { throw fail("expected ',' but found \(describe(token))") }
            }
            token = try processEntries(arg)
            guard token.isDelim(")") else { throw fail("expected ')' but found \(describe(token))") }
            let next = tokens.nextItem()
            return (next.kind, next)
        case "__print_hex", "__print_hex_str":
            arg.kind = name == "__print_hex" ? .hex : .hexString
            arg.left = try helperArgument(endingWith: ",")
            arg.right = try helperArgument(endingWith: ")")
            let next = tokens.nextItem()
            return (next.kind, next)
        case "__print_array":
            arg.kind = .intArray
            arg.left = try helperArgument(endingWith: ",")
            arg.right = try helperArgument(endingWith: ",")
            arg.third = try helperArgument(endingWith: ")")
            let next = tokens.nextItem()
            return (next.kind, next)
        case "__get_str", "__get_rel_str", "__get_bitmask", "__get_rel_bitmask", "__get_cpumask", "__get_rel_cpumask":
            let token = tokens.next()
            guard token.kind == .item else { throw fail("expected a field name but found \(describe(token))") }
            arg.kind = name.contains("str") ? .string : (name.contains("cpumask") ? .cpumask : .bitmask)
            arg.text = token.text
            let close = tokens.next()
            guard close.isDelim(")") else { throw fail("expected ')' but found \(describe(close))") }
            let next = tokens.next()
            return (next.kind, next)
        case "__get_dynamic_array", "__get_rel_dynamic_array", "__get_sockaddr", "__get_sockaddr_rel":
            arg.kind = .dynamicArray
            let token = tokens.next()
            guard token.kind == .item, let field = event.field(named: token.text) else {
                throw fail("\(name): no field \(describe(token))")
            }
            arg.text = token.text
            arg.resolved = field
            arg.resolvedLookupDone = true
            let close = tokens.next()
            guard close.isDelim(")") else { throw fail("expected ')' but found \(describe(close))") }
            let next = tokens.nextItem()
            if !next.isOp("[") { return (next.kind, next) }
            // libtraceevent rejects an index on a dynamic array.
            let index = PrintArgument(.null)
            let (kind, t) = try processArgument(index)
            if kind == .op && t.text == "]" { throw fail("indexing \(name)() is not supported") }
            let after = tokens.nextItem()
            return (after.kind, after)
        case "__get_dynamic_array_len", "__get_rel_dynamic_array_len":
            let token = tokens.next()
            guard token.kind == .item else { throw fail("expected a field name but found \(describe(token))") }
            arg.kind = .dynamicArrayLength
            guard let field = event.field(named: token.text) else { throw fail("\(name): no field '\(token.text)'") }
            arg.text = token.text
            arg.resolved = field
            arg.resolvedLookupDone = true
            let close = tokens.next()
            guard close.isDelim(")") else { throw fail("expected ')' but found \(describe(close))") }
            let next = tokens.next()
            return (next.kind, next)
        case "__builtin_expect":
            let (kind, token) = try processArgument(arg)
            guard kind == .delim, token.text == "," else { throw fail("__builtin_expect: expected ','") }
            guard tokens.next().kind == .item else { throw fail("__builtin_expect: expected a value") }
            guard tokens.next().isDelim(")") else { throw fail("__builtin_expect: expected ')'") }
            let next = tokens.nextItem()
            return (next.kind, next)
        case "sizeof":
            return try processSizeof(arg)
        default:
            throw fail("function \(name) not defined")
        }
    }

    private mutating func processSizeof(_ arg: PrintArgument) throws -> (FormatTokenKind, FormatToken) {
        var token = tokens.nextItem()
        arg.kind = .atom
        var hasParenthesis = false
        if token.text == "unsigned" {
            token = tokens.nextItem()
            if token.kind != .item { hasParenthesis = true }
        }
        if hasParenthesis || token.text == "int" {
            arg.text = "4"
        } else if token.text == "long" {
            token = tokens.nextItem()
            if token.text == "long" {
                arg.text = "8"
            } else {
                guard longSize == 4 || longSize == 8 else { throw fail("sizeof(long) unknown") }
                arg.text = String(longSize)
                hasParenthesis = true
            }
        } else if ["__u64", "u64", "__s64", "s64"].contains(token.text) {
            arg.text = "8"
        } else if ["__u32", "u32", "__s32", "s32"].contains(token.text) {
            arg.text = "4"
        } else if ["__u16", "u16", "__s16", "s16"].contains(token.text) {
            arg.text = "2"
        } else if ["__u8", "u8", "__8", "s8"].contains(token.text) {
            arg.text = "1"
        } else if token.text == "REC" {
            guard tokens.nextItem().isOp("->") else { throw fail("sizeof(REC): expected '->'") }
            let name = tokens.next()
            guard name.kind == .item, let field = event.anyField(named: name.text), !field.isArray else {
                throw fail("sizeof(REC->\(name.text)) is not supported")
            }
            arg.text = String(field.size)
        } else {
            throw fail("sizeof(\(token.text)) is not supported")
        }
        if !hasParenthesis { token = tokens.nextItem() }
        guard token.isDelim(")") else { throw fail("sizeof: expected ')' but found \(describe(token))") }
        let next = tokens.nextItem()
        return (next.kind, next)
    }

    /// `process_fields`: `{ value, "name" }, ...` of `__print_flags` / `__print_symbolic`.
    /// Returns the token after the list.
    private mutating func processEntries(_ arg: PrintArgument) throws -> FormatToken {
        var token: FormatToken
        repeat {
            token = tokens.nextItem()
            guard token.isOp("{") else { break }
            let valueArg = PrintArgument(.null)
            var (kind, t) = try processArgument(valueArg)
            if kind == .op { (kind, t) = try processOperator(valueArg, t) }
            guard t.isDelim(",") else { throw fail("expected ',' in a flag entry but found \(describe(t))") }
            guard let value = try PrintArgumentParser.evaluateConstant(valueArg) else {
                throw fail("flag value is not a constant")
            }
            let nameArg = PrintArgument(.null)
            (kind, t) = try processArgument(nameArg)
            guard kind == .op, t.text == "}" else { throw fail("expected '}' but found \(describe(t))") }
            guard let name = try PrintArgumentParser.evaluateConstant(nameArg) else {
                throw fail("flag name is not a constant")
            }
            arg.entries.append((value, name))
            token = tokens.nextItem()
        } while token.isDelim(",")
        return token
    }

    /// `arg_eval`: the text of a constant (atoms as written, expressions evaluated).
    static func evaluateConstant(_ arg: PrintArgument) throws -> String? {
        switch arg.kind {
        case .atom: return arg.text
        case .typecast: return arg.left.flatMap { try? evaluateConstant($0) } ?? nil
        case .op:
            guard let v = numericConstant(arg) else { return nil }
            return String(v)
        default: return nil
        }
    }

    /// `arg_num_eval`: signed constant arithmetic over atoms, casts and a few operators.
    static func numericConstant(_ arg: PrintArgument) -> Int64? {
        switch arg.kind {
        case .atom:
            return CNumber.parseSigned(arg.text)
        case .typecast:
            guard let item = arg.left, let v = numericConstant(item) else { return nil }
            return Int64(bitPattern: CastEvaluation.apply(UInt64(bitPattern: v), type: arg.text, pointer: false))
        case .op:
            let op = Array(arg.text.utf8)
            guard let first = op.first else { return nil }
            let second: UInt8 = op.count > 1 ? op[1] : 0
            func both() -> (Int64, Int64)? {
                guard let l = arg.left, let r = arg.right, let a = numericConstant(l), let b = numericConstant(r) else { return nil }
                return (a, b)
            }
            switch first {
            case UInt8(ascii: "|"):
                guard let (a, b) = both() else { return nil }
                return second != 0 ? ((a != 0 || b != 0) ? 1 : 0) : a | b
            case UInt8(ascii: "&"):
                guard let (a, b) = both() else { return nil }
                return second != 0 ? ((a != 0 && b != 0) ? 1 : 0) : a & b
            case UInt8(ascii: "<"):
                guard let (a, b) = both() else { return nil }
                switch second {
                case 0: return a < b ? 1 : 0
                case UInt8(ascii: "<"): return a &<< b
                case UInt8(ascii: "="): return a <= b ? 1 : 0
                default: return nil
                }
            case UInt8(ascii: ">"):
                guard let (a, b) = both() else { return nil }
                switch second {
                case 0: return a > b ? 1 : 0
                case UInt8(ascii: ">"): return a &>> b
                case UInt8(ascii: "="): return a >= b ? 1 : 0
                default: return nil
                }
            case UInt8(ascii: "="):
                guard let (a, b) = both(), second == UInt8(ascii: "=") else { return nil }
                return a == b ? 1 : 0
            case UInt8(ascii: "!"):
                guard let (a, b) = both(), second == UInt8(ascii: "=") else { return nil }
                return a != b ? 1 : 0
            case UInt8(ascii: "-"), UInt8(ascii: "+"):
                guard let l = arg.left, let r = arg.right else { return nil }
                let a: Int64
                if l.kind == .null { a = 0 } else { guard let v = numericConstant(l) else { return nil }; a = v }
                guard let b = numericConstant(r) else { return nil }
                return first == UInt8(ascii: "-") ? a &- b : a &+ b
            case UInt8(ascii: "~"):
                guard let r = arg.right, let b = numericConstant(r) else { return nil }
                return ~b
            default:
                return nil
            }
        default:
            return nil
        }
    }

    /// `consolidate_op_arg`: folds operators whose both sides are atoms into one atom.
    private func consolidate(_ arg: PrintArgument) throws {
        guard arg.kind == .op else { return }
        if let l = arg.left { try consolidate(l) }
        if let r = arg.right { try consolidate(r) }
        guard let l = arg.left, let r = arg.right, l.kind == .atom, r.kind == .atom else { return }
        let a = CNumber.parseUnsigned(l.text) ?? 0
        let b = CNumber.parseUnsigned(r.text) ?? 0
        let op = Array(arg.text.utf8)
        let second: UInt8 = op.count > 1 ? op[1] : 0
        let value: UInt64
        switch op.first ?? 0 {
        case UInt8(ascii: ">"):
            value = second == UInt8(ascii: ">") ? a &>> b : (second == UInt8(ascii: "=") ? (a >= b ? 1 : 0) : (a > b ? 1 : 0))
        case UInt8(ascii: "<"):
            value = second == UInt8(ascii: "<") ? a &<< b : (second == UInt8(ascii: "=") ? (a <= b ? 1 : 0) : (a < b ? 1 : 0))
        case UInt8(ascii: "&"):
            value = second == UInt8(ascii: "&") ? ((a != 0 && b != 0) ? 1 : 0) : a & b
        case UInt8(ascii: "|"):
            value = second == UInt8(ascii: "|") ? ((a != 0 || b != 0) ? 1 : 0) : a | b
        case UInt8(ascii: "-"): value = a &- b
        case UInt8(ascii: "+"): value = a &+ b
        case UInt8(ascii: "*"): value = a &* b
        case UInt8(ascii: "^"): value = a ^ b
        case UInt8(ascii: "/"):
            guard b != 0 else { return }
            value = a / b
        case UInt8(ascii: "%"):
            guard b != 0 else { return }
            value = a % b
        case UInt8(ascii: "="): value = a == b ? 1 : 0
        case UInt8(ascii: "!"): value = a != b ? 1 : 0
        default: return
        }
        arg.kind = .atom
        arg.left = nil
        arg.right = nil
        arg.text = String(Int64(bitPattern: value))
    }
}

/// libtraceevent's casts: they only mask to the width of small unsigned/signed integer types.
enum CastEvaluation {
    static func apply(_ value: UInt64, type: String, pointer: Bool) -> UInt64 {
        var t = Substring(type)
        guard t.count >= 2 else { return value }
        if pointer {
            guard t.hasSuffix("*") else { return value }
            return apply(value, type: String(t.dropLast(2)), pointer: false)
        }
        if t.hasSuffix("*") || t.hasPrefix("struct") { return value }
        switch t {
        case "u8", "s8": return value & 0xFF
        case "u16", "s16": return value & 0xFFFF
        case "u32", "s32": return value & 0xFFFF_FFFF
        case "u64", "s64": return value
        default: break
        }
        if t.hasPrefix("unsigned ") { t = t.dropFirst(9) }
        switch t {
        case "char": return value & 0xFF
        case "short": return value & 0xFFFF
        case "int": return value & 0xFFFF_FFFF
        default: return value
        }
    }
}
