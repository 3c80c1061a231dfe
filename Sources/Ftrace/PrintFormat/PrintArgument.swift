/// A node of a parsed print-format argument, shaped like libtraceevent's `tep_print_arg` so that
/// its parser's rewrites (operator rotation, casts) give the same trees and the same output.
final class PrintArgument {
    enum Kind: Equatable {
        /// The missing left side of a unary operator.
        case null
        /// A literal: number, string, or identifier (`REC` excepted).
        case atom
        /// `REC->name`.
        case field
        /// `__print_flags(field, delim, {value, "name"}...)`.
        case flags
        /// `__print_symbolic(field, {value, "name"}...)`.
        case symbol
        /// `__print_hex(field, size)`.
        case hex
        /// `__print_hex_str(field, size)`.
        case hexString
        /// `__print_array(field, count, element size)`.
        case intArray
        /// `(type)item`.
        case typecast
        /// `__get_str(name)`.
        case string
        /// A string from a `bprint` record's data.
        case binaryString
        /// `__get_bitmask(name)`.
        case bitmask
        /// `__get_cpumask(name)`.
        case cpumask
        /// `__get_dynamic_array(name)` (and the `__get_sockaddr` forms).
        case dynamicArray
        /// `__get_dynamic_array_len(name)`.
        case dynamicArrayLength
        /// An operator: unary (left is `.null`), binary, `?` with a `:` right side, `[`.
        case op
    }

    var kind: Kind
    /// Atom text, field or type name, operator, or string.
    var text: String = ""
    /// Operator left side, typecast item, or the field of flags/symbol/hex/array helpers.
    var left: PrintArgument?
    /// Operator right side, hex size, or array count.
    var right: PrintArgument?
    /// Array element size.
    var third: PrintArgument?
    /// Operator priority as libtraceevent stores it.
    var priority = 0
    /// `__print_flags` delimiter.
    var delimiter: String?
    /// `__print_flags` / `__print_symbolic` entries: value text and name.
    var entries: [(value: String, name: String)] = []
    /// The event field a `.field`, `.string`, `.bitmask` or `.dynamicArray` node refers to.
    var resolved: FieldFormat?
    /// Set once evaluation has resolved `resolved` lazily (fields looked up at first use).
    var resolvedLookupDone = false
    /// Precomputed numeric value of an atom (`strtoull(text, 0, 0)`).
    var atomValue: UInt64 = 0
    /// The atom is a name whose value may be a kernel symbol's address.
    var atomIsSymbolName = false
    /// Symbol address once looked up.
    var symbolValue: UInt64?
    /// Operator, decoded once (see `OperatorCode`).
    var opCode: OperatorCode = .unknown
    /// A typecast's effect as a mask (`CastEvaluation`), and as a pointer-target cast.
    var castMask: UInt64 = .max
    var pointerCastMask: UInt64 = .max
    /// Atom text and flag/symbol names as bytes (written without conversions).
    var textBytes: [UInt8] = []
    var entryNames: [[UInt8]] = []
    /// The bytes of a `.binaryString`.
    var bytes: [UInt8] = []
    /// Precomputed flag/symbol entry values (`eval_flag`).
    var entryValues: [Int64] = []

    init(_ kind: Kind, _ text: String = "") {
        self.kind = kind
        self.text = text
    }

    /// libtraceevent's numbering of argument types (printed in some error texts).
    var cTypeNumber: Int {
        switch kind {
        case .null: return 0
        case .atom: return 1
        case .field: return 2
        case .flags: return 3
        case .symbol: return 4
        case .hex: return 5
        case .intArray: return 6
        case .typecast: return 7
        case .string: return 8
        case .binaryString: return 9
        case .dynamicArray: return 10
        case .op: return 11
        case .bitmask: return 13
        case .dynamicArrayLength: return 14
        case .hexString: return 15
        case .cpumask: return 16
        }
    }

    /// Makes this node a copy of `other` (C struct assignment `*a = *b`).
    func assign(from other: PrintArgument) {
        kind = other.kind
        text = other.text
        left = other.left
        right = other.right
        third = other.third
        priority = other.priority
        delimiter = other.delimiter
        entries = other.entries
        resolved = other.resolved
        resolvedLookupDone = other.resolvedLookupDone
    }

    func copy() -> PrintArgument {
        let c = PrintArgument(kind)
        c.assign(from: self)
        return c
    }

    /// The node with typecasts stripped.
    var strippingCasts: PrintArgument {
        var a = self
        while a.kind == .typecast, let item = a.left { a = item }
        return a
    }
}

/// Operators of print-format expressions, decoded from their text once.
enum OperatorCode: UInt8 {
    case unknown
    case index          // [
    case conditional    // ?
    case not            // ! (unary)
    case notEqual       // !=
    case complement     // ~
    case or, logicalOr, and, logicalAnd
    case less, shiftLeft, lessEqual
    case greater, shiftRight, greaterEqual
    case equal
    case minus, plus, divide, modulo, multiply

    init(_ text: String) {
        switch text {
        case "[": self = .index
        case "?": self = .conditional
        case "!": self = .not
        case "!=": self = .notEqual
        case "~": self = .complement
        case "|": self = .or
        case "||": self = .logicalOr
        case "&": self = .and
        case "&&": self = .logicalAnd
        case "<": self = .less
        case "<<": self = .shiftLeft
        case "<=": self = .lessEqual
        case ">": self = .greater
        case ">>": self = .shiftRight
        case ">=": self = .greaterEqual
        case "==": self = .equal
        case "-": self = .minus
        case "+": self = .plus
        case "/": self = .divide
        case "%": self = .modulo
        case "*": self = .multiply
        default: self = .unknown
        }
    }
}
