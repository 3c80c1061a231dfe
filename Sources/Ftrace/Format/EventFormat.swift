/// The description of one event from its `format` file: id, fields and print format.
public struct EventFormat: Sendable {
    /// The numeric id stored in each record's `common_type`.
    public var id: Int
    /// The event system (the directory under `events/`, `ftrace` for ftrace-internal events).
    public var system: String
    public var name: String
    /// `common_*` fields, in declaration order.
    public var commonFields: [FieldFormat]
    /// The event's own fields, in declaration order.
    public var fields: [FieldFormat]
    /// The `print fmt:` line after the colon, as written (nil when absent).
    public var printFormatText: String?

    public init(id: Int, system: String, name: String, commonFields: [FieldFormat], fields: [FieldFormat],
                printFormatText: String?) {
        self.id = id
        self.system = system
        self.name = name
        self.commonFields = commonFields
        self.fields = fields
        self.printFormatText = printFormatText
    }

    /// A field by name, searching common fields first (as `REC->name` resolves).
    public func anyField(named name: String) -> FieldFormat? {
        commonFields.first { $0.name == name } ?? fields.first { $0.name == name }
    }

    /// A non-common field by name.
    public func field(named name: String) -> FieldFormat? {
        fields.first { $0.name == name }
    }

    /// Parses a format file. Throws `FormatParseError` when the header or a field line does not
    /// parse; the print format is kept as text and compiled separately (`PrintFormat`).
    ///
    /// - Parameters:
    ///   - text: the content of `events/<system>/<event>/format`.
    ///   - system: the event system (`ftrace` enables libtraceevent's ftrace leniencies).
    ///   - longSize: the traced kernel's `long` size, for the element size of `long` arrays.
    public static func parse(_ text: [UInt8], system: String, longSize: Int = 8) throws -> EventFormat {
        var parser = EventFormatParser(tokens: FormatTokenizer(text), system: system, longSize: longSize)
        return try parser.parse()
    }

    /// Parses a format file given as a string.
    public static func parse(_ text: String, system: String, longSize: Int = 8) throws -> EventFormat {
        try parse(Array(text.utf8), system: system, longSize: longSize)
    }
}

/// A format file that does not parse: what was expected, what was found, and where.
public struct FormatParseError: Error, CustomStringConvertible, Sendable, Equatable {
    /// Byte offset in the format text where the offending token ends.
    public var offset: Int
    public var message: String

    public var description: String { "at byte \(offset): \(message)" }
}

/// Reads the header and field lines of a format file the way libtraceevent does.
struct EventFormatParser {
    var tokens: FormatTokenizer
    let system: String
    let longSize: Int
    var isFtrace: Bool { system == "ftrace" }

    private func fail(_ message: String) -> FormatParseError {
        FormatParseError(offset: tokens.position, message: message)
    }

    private func describe(_ token: FormatToken) -> String {
        token.kind == .none ? "end of text" : "'\(token.text.replacingNewlines)'"
    }

    private mutating func expect(_ text: String, _ kind: FormatTokenKind, skippingNewlines: Bool = false) throws {
        let token = skippingNewlines ? tokens.nextItem() : tokens.next()
        guard token.kind == kind, token.text == text else {
            throw fail("expected '\(text)' but found \(describe(token))")
        }
    }

    private mutating func expectKind(_ kind: FormatTokenKind, _ what: String) throws -> String {
        let token = tokens.next()
        guard token.kind == kind else { throw fail("expected \(what) but found \(describe(token))") }
        return token.text
    }

    mutating func parse() throws -> EventFormat {
        try expect("name", .item)
        try expect(":", .op)
        let name = try expectKind(.item, "an event name")
        try expect("ID", .item, skippingNewlines: true)
        try expect(":", .op)
        let idText = try expectKind(.item, "an event id")
        guard let id = CNumber.parseUnsigned(idText), id <= UInt64(Int32.max) else {
            throw fail("event id '\(idText)' is not a number")
        }
        try expect("format", .item, skippingNewlines: true)
        try expect(":", .op)
        _ = try expectKind(.newline, "a new line")
        let common = try parseFields()
        let fields = try parseFields()
        // print fmt: "..." , args
        var printText: String?
        let save = tokens
        if tokens.nextItem().isItem("print") {
            // Keep everything after "print fmt:" as written; the print format compiler re-reads it.
            let rest = restOfText(afterPrintIn: save)
            printText = rest
        }
        return EventFormat(id: Int(id), system: system, name: name, commonFields: common, fields: fields,
                           printFormatText: printText)
    }

    /// The text after `print fmt:` (from the token stream's underlying bytes).
    private func restOfText(afterPrintIn start: FormatTokenizer) -> String? {
        var t = start
        guard t.nextItem().isItem("print"), t.next().isItem("fmt"), t.next().isOp(":") else { return nil }
        return t.remainingText
    }

    /// Field lines until an empty line (or the end of the text).
    private mutating func parseFields() throws -> [FieldFormat] {
        var result: [FieldFormat] = []
        while true {
            var token = tokens.next()
            if token.kind == .newline || token.kind == .none { return result }
            guard token.isItem("field") else { throw fail("expected 'field' but found \(describe(token))") }
            token = tokens.next()
            if isFtrace && token.isItem("special") { token = tokens.next() }
            guard token.isOp(":") else { throw fail("expected ':' but found \(describe(token))") }
            var last = try expectKind(.item, "a field type")
            var type: String?
            var isPointer = false
            // The type is every item (and '*') up to the name.
            while true {
                token = tokens.next()
                if token.kind == .item || token.isOp("*") || (isFtrace && token.isOp(".")) {
                    if token.text == "*" { isPointer = true }
                    type = type.map { $0 + " " + last } ?? last
                    last = token.text
                    continue
                }
                if token.kind == .delim && token.text == "(" && last == "__attribute__" {
                    // __attribute__((user)) and the like belong to the type.
                    type = (type.map { $0 + " " } ?? "") + last + "("
                    var depth = 1
                    var separator = " "
                    while true {
                        let t = tokens.next()
                        if t.kind == .none { throw fail("unterminated __attribute__") }
                        if t.kind == .delim {
                            if t.text == "(" { depth += 1 } else if t.text == ")" { depth -= 1 }
                            if depth == 0 { break }
                            type! += t.text
                            separator = ""
                        } else {
                            type! += separator + t.text
                            separator = " "
                        }
                        last = t.text
                    }
                    continue
                }
                break
            }
            guard var fieldType = type else { throw fail("field '\(last)' has no type") }
            var fieldName = last
            guard token.kind == .op else { throw fail("expected ';' or '[' after field '\(fieldName)' but found \(describe(token))") }
            var isArray = false
            var arrayLength = 0
            var dynamicElementSize = 0
            if token.text == "[" {
                isArray = true
                var lastKind = token.kind
                var brackets = "["
                token = tokens.next()
                arrayLength = token.kind == .item ? Int(CNumber.parseUnsigned(token.text) ?? 0) : 0
                while token.text != "]" {
                    if token.kind == .none { throw fail("unterminated '[' in field '\(fieldName)'") }
                    brackets += (lastKind == .item && token.kind == .item ? " " : "") + token.text
                    lastKind = token.kind
                    arrayLength = Int(CNumber.parseUnsigned(token.text) ?? 0)
                    token = tokens.next()
                }
                brackets += "]"
                token = tokens.next()
                if token.kind == .item {
                    // "type [] name;" as __data_loc fields write it.
                    fieldType += " " + fieldName + brackets
                    dynamicElementSize = EventFormatParser.knownTypeSize(fieldName)
                    fieldName = token.text
                    token = tokens.next()
                } else {
                    fieldType += brackets
                }
            }
            guard token.isOp(";") else { throw fail("expected ';' after field '\(fieldName)' but found \(describe(token))") }
            try expect("offset", .item)
            try expect(":", .op)
            let offsetText = try expectKind(.item, "an offset")
            try expect(";", .op)
            try expect("size", .item)
            try expect(":", .op)
            let sizeText = try expectKind(.item, "a size")
            try expect(";", .op)
            var isSigned = false
            token = tokens.next()
            if token.kind != .newline {
                guard token.isItem("signed") else { throw fail("expected 'signed' but found \(describe(token))") }
                try expect(":", .op)
                let signedText = try expectKind(.item, "0 or 1")
                isSigned = (CNumber.parseUnsigned(signedText) ?? 0) != 0
                try expect(";", .op)
                _ = try expectKind(.newline, "a new line")
            }
            let offset = Int(truncatingIfNeeded: CNumber.parseUnsigned(offsetText) ?? 0)
            let size = Int(truncatingIfNeeded: CNumber.parseUnsigned(sizeText) ?? 0)
            let typeBytes = Array(fieldType.utf8)
            let isDynamic = typeBytes.starts(with: EventFormatParser.dataLoc) || typeBytes.starts(with: EventFormatParser.relLoc)
            let isRelative = typeBytes.starts(with: EventFormatParser.relLoc)
            var isString = isArray && (EventFormatParser.contains(typeBytes, EventFormatParser.char)
                || EventFormatParser.contains(typeBytes, EventFormatParser.u8) || EventFormatParser.contains(typeBytes, EventFormatParser.s8))
            let isLong = EventFormatParser.contains(typeBytes, EventFormatParser.long)
            if isDynamic && size == 2 {
                isString = true
                isArray = true
            }
            var elementSize = size
            if isArray || isDynamic {
                if arrayLength > 0 {
                    elementSize = size / arrayLength
                } else if isDynamic {
                    elementSize = dynamicElementSize
                } else if isString {
                    elementSize = 1
                } else if isLong {
                    elementSize = longSize
                } else {
                    elementSize = 0
                }
            }
            result.append(FieldFormat(name: fieldName, type: fieldType, offset: offset, size: size,
                                      isSigned: isSigned, isArray: isArray, isPointer: isPointer,
                                      isDynamic: isDynamic, isRelative: isRelative, isString: isString,
                                      isLong: isLong, arrayLength: arrayLength, elementSize: elementSize))
        }
    }

    static let dataLoc = Array("__data_loc".utf8)
    static let relLoc = Array("__rel_loc".utf8)
    static let char = Array("char".utf8)
    static let u8 = Array("u8".utf8)
    static let s8 = Array("s8".utf8)
    static let long = Array("long".utf8)

    /// `strstr` on bytes.
    static func contains(_ haystack: [UInt8], _ needle: [UInt8]) -> Bool {
        guard haystack.count >= needle.count else { return false }
        outer: for i in 0...(haystack.count - needle.count) {
            for j in 0..<needle.count where haystack[i + j] != needle[j] { continue outer }
            return true
        }
        return false
    }

    /// Sizes libtraceevent knows for the element types of dynamic arrays.
    static func knownTypeSize(_ name: String) -> Int {
        switch name {
        case "u8", "s8", "char": return 1
        case "u16", "s16": return 2
        case "u32", "s32": return 4
        case "u64", "s64": return 8
        default: return 0
        }
    }
}

extension FormatTokenizer {
    /// The unread rest of the text.
    var remainingText: String {
        var copy = self
        return copy.takeRest()
    }
}

extension String {
    var replacingNewlines: String {
        var s = ""
        for c in self { s += c == "\n" ? "\\n" : String(c) }
        return s
    }
}

/// C number parsing as `strtoul(s, NULL, 0)` / `strtoull` do.
enum CNumber {
    /// Parses the longest valid prefix (decimal, `0x` hex, `0` octal; leading spaces and sign
    /// allowed, `-` negates modulo 2^64). Returns nil when no digit was read.
    static func parseUnsigned(_ text: String) -> UInt64? {
        var bytes = Array(text.utf8)[...]
        while let b = bytes.first, b == 0x20 || (b >= 0x09 && b <= 0x0D) { bytes = bytes.dropFirst() }
        var negative = false
        if let b = bytes.first, b == 0x2B || b == 0x2D { negative = b == 0x2D; bytes = bytes.dropFirst() }
        var base: UInt64 = 10
        if bytes.first == 0x30 {
            let rest = bytes.dropFirst()
            if let x = rest.first, x == 0x78 || x == 0x58, let d = rest.dropFirst().first, hexValue(d) != nil {
                base = 16
                bytes = rest.dropFirst()
            } else {
                base = 8
            }
        }
        var value: UInt64 = 0
        var any = false
        var overflow = false
        for b in bytes {
            guard let d = hexValue(b), UInt64(d) < base else { break }
            any = true
            let (m, o1) = value.multipliedReportingOverflow(by: base)
            let (s, o2) = m.addingReportingOverflow(UInt64(d))
            if o1 || o2 { overflow = true }
            value = s
        }
        guard any || base == 8 else { return nil }
        if overflow { value = UInt64.max }
        return negative ? (0 &- value) : value
    }

    /// `strtoll(s, NULL, 0)`: like `parseUnsigned` but saturating to the signed range.
    static func parseSigned(_ text: String) -> Int64 {
        let trimmed = text.drop { $0 == " " || $0 == "\t" }
        let negative = trimmed.first == "-"
        guard let magnitude = parseUnsigned(negative ? String(trimmed.dropFirst()) : String(trimmed)) else { return 0 }
        if negative {
            return magnitude > UInt64(Int64.max) + 1 ? Int64.min : Int64(truncatingIfNeeded: 0 &- magnitude)
        }
        return magnitude > UInt64(Int64.max) ? Int64.max : Int64(magnitude)
    }

    static func hexValue(_ b: UInt8) -> Int? {
        switch b {
        case 0x30...0x39: return Int(b - 0x30)
        case 0x61...0x66: return Int(b - 0x61 + 10)
        case 0x41...0x46: return Int(b - 0x41 + 10)
        default: return nil
        }
    }
}
