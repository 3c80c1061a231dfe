/// A token of the filter language, with the 1-based column where it starts.
struct FilterToken: Equatable {
    enum Kind: Equatable {
        case identifier(String)
        case string(String)
        /// A number as typed: integer part digits, optional fraction and unit (`1.5ms`, `0x1f`, `42`).
        case number(String)
        case regex(String)
        case op(String)
        case leftParen, rightParen
        case end
    }

    var kind: Kind
    var column: Int
}

/// Splits a filter expression into tokens.
struct FilterLexer {
    private let chars: [Character]
    private var i = 0

    init(_ text: String) { chars = Array(text) }

    static func tokenize(_ text: String) throws -> [FilterToken] {
        var lexer = FilterLexer(text)
        var tokens: [FilterToken] = []
        while true {
            let token = try lexer.next()
            tokens.append(token)
            if token.kind == .end { return tokens }
        }
    }

    private func peek(_ offset: Int = 0) -> Character? {
        i + offset < chars.count ? chars[i + offset] : nil
    }

    private static func isIdentifierStart(_ c: Character) -> Bool {
        c == "_" || c == "$" || (c.isASCII && c.isLetter)
    }

    private static func isIdentifierBody(_ c: Character) -> Bool {
        c == "_" || c == "." || c == ":" || (c.isASCII && (c.isLetter || c.isNumber))
    }

    /// The previous significant token allows a regex literal after it (`=~ /x/`), not a division.
    private var lastWasMatchOperator = false

    mutating func next() throws -> FilterToken {
        while let c = peek(), c == " " || c == "\t" || c == "\n" { i += 1 }
        let column = i + 1
        guard let c = peek() else { return FilterToken(kind: .end, column: column) }
        let matchOperatorBefore = lastWasMatchOperator
        lastWasMatchOperator = false

        switch c {
        case "(": i += 1; return FilterToken(kind: .leftParen, column: column)
        case ")": i += 1; return FilterToken(kind: .rightParen, column: column)
        case "\"", "'":
            return FilterToken(kind: .string(try readString(quote: c, column: column)), column: column)
        case "/" where matchOperatorBefore:
            return FilterToken(kind: .regex(try readRegex(column: column)), column: column)
        default: break
        }

        let two = peek(1).map { String([c, $0]) } ?? ""
        for op in ["==", "!=", "<=", ">=", "=~", "!~", "&&", "||"] where two == op {
            i += 2
            lastWasMatchOperator = op == "=~" || op == "!~"
            return FilterToken(kind: .op(op), column: column)
        }
        if c == "<" || c == ">" || c == "!" {
            i += 1
            return FilterToken(kind: .op(String(c)), column: column)
        }
        if c == "=" {
            throw FilterError(column: column, "'=' is not an operator; use '==' to compare")
        }
        if c == "&" || c == "|" {
            throw FilterError(column: column, "'\(c)' is not an operator; use '\(c)\(c)'")
        }
        if c.isASCII && c.isNumber || ((c == "-" || c == "+" || c == ".") && (peek(1)?.isNumber ?? false)) {
            return FilterToken(kind: .number(readNumber()), column: column)
        }
        if Self.isIdentifierStart(c) {
            var name = ""
            while let d = peek(), Self.isIdentifierBody(d) || (name.isEmpty && d == "$") {
                name.append(d)
                i += 1
            }
            return FilterToken(kind: .identifier(name), column: column)
        }
        throw FilterError(column: column, "unexpected character '\(c)'")
    }

    private mutating func readNumber() -> String {
        var text = ""
        if let c = peek(), c == "-" || c == "+" { text.append(c); i += 1 }
        // Digits, hex digits after 0x, a fraction, a unit, or a clock time (22:50:11.5).
        while let c = peek(), c.isASCII && (c.isLetter || c.isNumber || c == "." || c == ":" || c == "_") {
            text.append(c)
            i += 1
        }
        return text
    }

    private mutating func readString(quote: Character, column: Int) throws -> String {
        i += 1
        var text = ""
        while let c = peek() {
            i += 1
            if c == quote { return text }
            if c == "\\" {
                guard let e = peek() else { break }
                i += 1
                switch e {
                case "n": text.append("\n")
                case "t": text.append("\t")
                case "\\", "\"", "'": text.append(e)
                default: text.append("\\"); text.append(e)
                }
            } else {
                text.append(c)
            }
        }
        throw FilterError(column: column, "unterminated string")
    }

    private mutating func readRegex(column: Int) throws -> String {
        i += 1
        var text = ""
        while let c = peek() {
            i += 1
            if c == "/" { return text }
            if c == "\\", let e = peek(), e == "/" {
                i += 1
                text.append("/")
                continue
            }
            text.append(c)
        }
        throw FilterError(column: column, "unterminated regular expression")
    }
}
