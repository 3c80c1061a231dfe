/// Checks an event filter against the kernel's filter grammar before it is written, so mistakes get
/// a message with a column, and so nothing but one filter expression reaches the `filter` file.
///
/// The grammar (Documentation/trace/events.rst, "Event filtering"):
/// ```
/// expr      := term (("&&" | "||") term)*
/// term      := "!" term | "(" expr ")" | predicate
/// predicate := field op value
/// op        := "==" | "!=" | "<" | "<=" | ">" | ">=" | "&" | "~"
/// value     := number | "string" | 'string' | word | CPUS{list}
/// field     := identifier ["." modifier]
/// ```
/// Whether a field exists and suits the operator is left to the kernel, whose `error_log` message is
/// shown when it refuses.
public enum KernelFilterSyntax {
    /// Fails with a message naming the column of the first problem.
    public static func validate(_ expression: String) throws {
        try ControlText.requireSingleLine(expression, what: "the filter")
        var parser = Parser(text: Array(expression.unicodeScalars))
        try parser.parseExpression()
        parser.skipSpaces()
        if parser.position < parser.text.count {
            throw parser.failure("unexpected \"\(parser.remainderPreview)\"")
        }
        if parser.depth != 0 { throw parser.failure("missing \")\"") }
    }

    private struct Parser {
        let text: [Unicode.Scalar]
        var position = 0
        var depth = 0

        init(text: [Unicode.Scalar]) { self.text = text }

        var remainderPreview: String {
            var s = String(String.UnicodeScalarView(text[position...].prefix(12)))
            if text.count - position > 12 { s += "..." }
            return s
        }

        func failure(_ message: String) -> LiveError {
            LiveError("filter: \(message) at column \(position + 1)")
        }

        mutating func skipSpaces() {
            while position < text.count, text[position] == " " { position += 1 }
        }

        func peek(_ literal: String) -> Bool {
            let scalars = Array(literal.unicodeScalars)
            guard position + scalars.count <= text.count else { return false }
            return Array(text[position..<(position + scalars.count)]) == scalars
        }

        static func isIdentifierStart(_ c: Unicode.Scalar) -> Bool {
            (c >= "a" && c <= "z") || (c >= "A" && c <= "Z") || c == "_"
        }

        static func isIdentifierPart(_ c: Unicode.Scalar) -> Bool {
            isIdentifierStart(c) || (c >= "0" && c <= "9")
        }

        mutating func parseExpression() throws {
            try parseTerm()
            while true {
                skipSpaces()
                if peek("&&") || peek("||") {
                    position += 2
                    try parseTerm()
                } else {
                    return
                }
            }
        }

        mutating func parseTerm() throws {
            skipSpaces()
            guard position < text.count else { throw failure("expected a predicate such as \"pid == 1\"") }
            if text[position] == "!" && !peek("!=") {
                position += 1
                try parseTerm()
                return
            }
            if text[position] == "(" {
                position += 1
                depth += 1
                try parseExpression()
                skipSpaces()
                guard position < text.count, text[position] == ")" else { throw failure("missing \")\"") }
                position += 1
                depth -= 1
                return
            }
            try parsePredicate()
        }

        mutating func parsePredicate() throws {
            guard Parser.isIdentifierStart(text[position]) else {
                throw failure("expected a field name, found \"\(remainderPreview)\"")
            }
            while position < text.count, Parser.isIdentifierPart(text[position]) { position += 1 }
            // Field modifiers such as `.function`.
            if position < text.count, text[position] == "." {
                position += 1
                guard position < text.count, Parser.isIdentifierStart(text[position]) else {
                    throw failure("expected a field modifier after \".\"")
                }
                while position < text.count, Parser.isIdentifierPart(text[position]) { position += 1 }
            }
            skipSpaces()
            let operators = ["==", "!=", "<=", ">=", "<", ">", "~", "&"]
            guard let op = operators.first(where: { peek($0) }), !peek("&&") else {
                throw failure("expected a comparison (== != < <= > >= & ~) after the field name")
            }
            position += op.unicodeScalars.count
            skipSpaces()
            try parseValue()
        }

        mutating func parseValue() throws {
            guard position < text.count else { throw failure("expected a value") }
            let c = text[position]
            if c == "\"" || c == "'" {
                position += 1
                while position < text.count, text[position] != c { position += 1 }
                guard position < text.count else { throw failure("unterminated string (missing \(c))") }
                position += 1
                return
            }
            if peek("CPUS{") {
                while position < text.count, text[position] != "}" { position += 1 }
                guard position < text.count else { throw failure("unterminated CPUS{...} list") }
                position += 1
                return
            }
            // A number or a bare word: up to a space, parenthesis or logical operator.
            let start = position
            while position < text.count {
                let d = text[position]
                if d == " " || d == ")" || d == "(" || peek("&&") || peek("||") { break }
                if d == "\"" || d == "'" { throw failure("unexpected quote inside a value") }
                position += 1
            }
            if position == start { throw failure("expected a value") }
        }
    }
}
