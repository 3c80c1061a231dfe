/// A token of TSDL, the CTF 1.8 metadata language.
struct TSDLToken: Equatable {
    enum Kind: Equatable {
        case identifier(String)
        case integer(UInt64)
        case string(String)
        case character(UInt64)
        /// Punctuation and operators: `{`, `:=`, `...`, `->`, ...
        case punctuator(String)
        case end
    }

    var kind: Kind
    /// 1-based line and column of the token's first character.
    var line: Int
    var column: Int

    /// The token as written in error messages.
    var display: String {
        switch kind {
        case .identifier(let name): return name
        case .integer(let value): return String(value)
        case .string(let text): return "\"" + text + "\""
        case .character(let value): return "'\\x" + String(value, radix: 16) + "'"
        case .punctuator(let text): return text
        case .end: return "end of metadata"
        }
    }

    var identifier: String? {
        if case .identifier(let name) = kind { return name }
        return nil
    }

    func isPunctuator(_ text: String) -> Bool {
        if case .punctuator(let p) = kind { return p == text }
        return false
    }
}

/// A problem in the metadata text, located by line and column.
struct TSDLError: Error, CustomStringConvertible, Equatable {
    var line: Int
    var column: Int
    var message: String

    var description: String { "line \(line), column \(column): \(message)" }
}

/// Splits TSDL text into tokens (comments and white space are skipped).
struct TSDLLexer {
    private let bytes: [UInt8]
    private var index = 0
    private var line = 1
    private var lineStart = 0

    init(text: [UInt8]) {
        self.bytes = text
    }

    /// All tokens, ending with `.end`.
    static func tokenize(_ text: [UInt8]) throws -> [TSDLToken] {
        var lexer = TSDLLexer(text: text)
        var tokens: [TSDLToken] = []
        while true {
            let token = try lexer.next()
            tokens.append(token)
            if token.kind == .end { return tokens }
        }
    }

    private var column: Int { index - lineStart + 1 }

    private func peek(_ offset: Int = 0) -> UInt8? {
        let i = index + offset
        return i < bytes.count ? bytes[i] : nil
    }

    private mutating func advance() {
        if bytes[index] == UInt8(ascii: "\n") {
            line += 1
            lineStart = index + 1
        }
        index += 1
    }

    private mutating func skipSpaceAndComments() throws {
        while let c = peek() {
            if c == 0x20 || c == 0x09 || c == 0x0A || c == 0x0D || c == 0x0B || c == 0x0C || c == 0 {
                advance()
            } else if c == UInt8(ascii: "/") && peek(1) == UInt8(ascii: "*") {
                let (startLine, startColumn) = (line, column)
                advance(); advance()
                var closed = false
                while let d = peek() {
                    if d == UInt8(ascii: "*") && peek(1) == UInt8(ascii: "/") {
                        advance(); advance()
                        closed = true
                        break
                    }
                    advance()
                }
                if !closed {
                    throw TSDLError(line: startLine, column: startColumn, message: "unterminated comment")
                }
            } else if c == UInt8(ascii: "/") && peek(1) == UInt8(ascii: "/") {
                while let d = peek(), d != 0x0A { advance() }
            } else {
                return
            }
        }
    }

    mutating func next() throws -> TSDLToken {
        try skipSpaceAndComments()
        let (startLine, startColumn) = (line, column)
        func token(_ kind: TSDLToken.Kind) -> TSDLToken {
            TSDLToken(kind: kind, line: startLine, column: startColumn)
        }
        guard let c = peek() else { return token(.end) }

        if isIdentifierStart(c) {
            let start = index
            while let d = peek(), isIdentifierStart(d) || isDigit(d) { advance() }
            return token(.identifier(String(decoding: bytes[start..<index], as: UTF8.self)))
        }
        if isDigit(c) {
            return token(.integer(try integerLiteral(line: startLine, column: startColumn)))
        }
        if c == UInt8(ascii: "\"") {
            return token(.string(try stringLiteral(line: startLine, column: startColumn)))
        }
        if c == UInt8(ascii: "'") {
            advance()
            let value = try escapedCharacter(quote: UInt8(ascii: "'"), line: startLine, column: startColumn)
            guard peek() == UInt8(ascii: "'") else {
                throw TSDLError(line: startLine, column: startColumn, message: "unterminated character constant")
            }
            advance()
            return token(.character(UInt64(value.first ?? 0)))
        }
        for text in ["...", ":=", "->", "<<", ">>"] where matches(text) {
            for _ in 0..<text.utf8.count { advance() }
            return token(.punctuator(text))
        }
        let single = "{}()[];,:=.<>*+-?&|^!~/%"
        if single.utf8.contains(c) {
            advance()
            return token(.punctuator(String(UnicodeScalar(c))))
        }
        throw TSDLError(line: startLine, column: startColumn,
                        message: "unexpected character '\(printable(c))'")
    }

    private func matches(_ text: String) -> Bool {
        var i = 0
        for b in text.utf8 {
            guard peek(i) == b else { return false }
            i += 1
        }
        return true
    }

    private func printable(_ c: UInt8) -> String {
        c >= 0x20 && c < 0x7F ? String(UnicodeScalar(c)) : "\\x" + String(c, radix: 16)
    }

    private func isIdentifierStart(_ c: UInt8) -> Bool {
        (c >= UInt8(ascii: "a") && c <= UInt8(ascii: "z")) || (c >= UInt8(ascii: "A") && c <= UInt8(ascii: "Z"))
            || c == UInt8(ascii: "_")
    }

    private func isDigit(_ c: UInt8) -> Bool { c >= UInt8(ascii: "0") && c <= UInt8(ascii: "9") }

    private func hexValue(_ c: UInt8) -> UInt64? {
        switch c {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): return UInt64(c - UInt8(ascii: "0"))
        case UInt8(ascii: "a")...UInt8(ascii: "f"): return UInt64(c - UInt8(ascii: "a") + 10)
        case UInt8(ascii: "A")...UInt8(ascii: "F"): return UInt64(c - UInt8(ascii: "A") + 10)
        default: return nil
        }
    }

    /// Decimal, octal (`0` prefix) or hexadecimal (`0x`) constant with optional `u`/`l` suffixes.
    private mutating func integerLiteral(line: Int, column: Int) throws -> UInt64 {
        var radix: UInt64 = 10
        if peek() == UInt8(ascii: "0"), let x = peek(1), x == UInt8(ascii: "x") || x == UInt8(ascii: "X") {
            radix = 16
            advance(); advance()
        } else if peek() == UInt8(ascii: "0"), let d = peek(1), isDigit(d) {
            radix = 8
            advance()
        }
        var value: UInt64 = 0
        var digits = 0
        while let d = peek(), let v = hexValue(d), v < radix {
            let (m, o1) = value.multipliedReportingOverflow(by: radix)
            let (s, o2) = m.addingReportingOverflow(v)
            if o1 || o2 { throw TSDLError(line: line, column: column, message: "integer constant too large") }
            value = s
            digits += 1
            advance()
        }
        if radix == 16 && digits == 0 {
            throw TSDLError(line: line, column: column, message: "hexadecimal constant without digits")
        }
        if let d = peek(), isDigit(d) || (radix != 16 && hexValue(d) != nil && !isSuffix(d)) {
            throw TSDLError(line: line, column: column, message: "invalid digit '\(printable(d))' in integer constant")
        }
        while let d = peek(), isSuffix(d) { advance() }
        if let d = peek(), isIdentifierStart(d) {
            throw TSDLError(line: line, column: column, message: "invalid suffix on integer constant")
        }
        return value
    }

    private func isSuffix(_ c: UInt8) -> Bool {
        c == UInt8(ascii: "u") || c == UInt8(ascii: "U") || c == UInt8(ascii: "l") || c == UInt8(ascii: "L")
    }

    private mutating func stringLiteral(line: Int, column: Int) throws -> String {
        advance()  // opening quote
        var out: [UInt8] = []
        while true {
            guard let c = peek() else {
                throw TSDLError(line: line, column: column, message: "unterminated string literal")
            }
            if c == UInt8(ascii: "\"") {
                advance()
                return String(decoding: out, as: UTF8.self)
            }
            if c == 0x0A {
                throw TSDLError(line: line, column: column, message: "unterminated string literal")
            }
            out += try escapedCharacter(quote: UInt8(ascii: "\""), line: line, column: column)
        }
    }

    /// One character of a string or character constant, decoding C escapes.
    private mutating func escapedCharacter(quote: UInt8, line: Int, column: Int) throws -> [UInt8] {
        guard let c = peek() else {
            throw TSDLError(line: line, column: column, message: "unterminated literal")
        }
        advance()
        guard c == UInt8(ascii: "\\") else { return [c] }
        guard let e = peek() else {
            throw TSDLError(line: line, column: column, message: "unterminated escape sequence")
        }
        advance()
        switch e {
        case UInt8(ascii: "n"): return [0x0A]
        case UInt8(ascii: "t"): return [0x09]
        case UInt8(ascii: "r"): return [0x0D]
        case UInt8(ascii: "a"): return [0x07]
        case UInt8(ascii: "b"): return [0x08]
        case UInt8(ascii: "f"): return [0x0C]
        case UInt8(ascii: "v"): return [0x0B]
        case UInt8(ascii: "e"): return [0x1B]
        case UInt8(ascii: "x"):
            var value: UInt64 = 0
            var digits = 0
            while digits < 2, let d = peek(), let v = hexValue(d) {
                value = value * 16 + v
                digits += 1
                advance()
            }
            guard digits > 0 else {
                throw TSDLError(line: line, column: column, message: "\\x used with no following hex digits")
            }
            return [UInt8(value)]
        case UInt8(ascii: "0")...UInt8(ascii: "7"):
            var value = UInt64(e - UInt8(ascii: "0"))
            var digits = 1
            while digits < 3, let d = peek(), d >= UInt8(ascii: "0"), d <= UInt8(ascii: "7") {
                value = value * 8 + UInt64(d - UInt8(ascii: "0"))
                digits += 1
                advance()
            }
            return [UInt8(truncatingIfNeeded: value)]
        default:
            // \\, \", \', \? and unknown escapes stand for the character itself.
            return [e]
        }
    }
}
