/// Parses the filter language:
///
///     expr       := or
///     or         := and (("||" | "or") and)*
///     and        := unary (("&&" | "and") unary)*
///     unary      := ("!" | "not") unary | "(" expr ")" | comparison
///     comparison := operand [op literal]
///     op         := == != < <= > >= =~ !~
///
/// Operands are the built-ins `event`, `cpu`, `time`, `elapsed`, `pid`/`tid`, `comm`/`task`,
/// `trace`, or any payload or context field by name (`$name` names a field even when a built-in has
/// that name). Literals are strings in quotes, numbers (decimal, `0x` hex, negative, fractions),
/// durations with units (`1.5ms`), times of day (`22:50:11.5`) and `/regex/` after `=~` / `!~`.
public enum FilterParser {
    public static func parse(_ text: String) throws -> FilterExpression {
        var parser = Parser(tokens: try FilterLexer.tokenize(text))
        if parser.peek.kind == .end { throw FilterError(column: 1, "empty filter") }
        let expression = try parser.parseOr()
        if parser.peek.kind != .end {
            throw FilterError(column: parser.peek.column, "expected '&&', '||' or the end of the filter")
        }
        return expression
    }

    private struct Parser {
        let tokens: [FilterToken]
        var index = 0

        var peek: FilterToken { tokens[min(index, tokens.count - 1)] }

        mutating func take() -> FilterToken {
            let token = peek
            if index < tokens.count - 1 { index += 1 }
            return token
        }

        func isWord(_ word: String) -> Bool {
            if case .identifier(let name) = peek.kind { return name == word }
            return false
        }

        mutating func parseOr() throws -> FilterExpression {
            var left = try parseAnd()
            while peek.kind == .op("||") || isWord("or") {
                _ = take()
                left = .or(left, try parseAnd())
            }
            return left
        }

        mutating func parseAnd() throws -> FilterExpression {
            var left = try parseUnary()
            while peek.kind == .op("&&") || isWord("and") {
                _ = take()
                left = .and(left, try parseUnary())
            }
            return left
        }

        mutating func parseUnary() throws -> FilterExpression {
            if peek.kind == .op("!") || isWord("not") {
                _ = take()
                return .not(try parseUnary())
            }
            if peek.kind == .leftParen {
                let open = take()
                if peek.kind == .rightParen { throw FilterError(column: peek.column, "empty parentheses") }
                let inner = try parseOr()
                guard peek.kind == .rightParen else {
                    throw FilterError(column: peek.kind == .end ? open.column : peek.column,
                                      peek.kind == .end ? "unclosed '('" : "expected ')'")
                }
                _ = take()
                return inner
            }
            return try parseComparison()
        }

        mutating func parseComparison() throws -> FilterExpression {
            let token = take()
            let operand: FilterOperand
            switch token.kind {
            case .identifier(let name): operand = Self.operand(named: name)
            case .end: throw FilterError(column: token.column, "expected a field name or built-in (event, cpu, time, pid, comm)")
            case .rightParen: throw FilterError(column: token.column, "unexpected ')'")
            case .op(let op): throw FilterError(column: token.column, "expected a field name before '\(op)'")
            default: throw FilterError(column: token.column, "expected a field name, not a value")
            }
            guard case .op(let opText) = peek.kind, let op = FilterOperator(rawValue: opText) else {
                return .truthy(operand)
            }
            let opToken = take()
            let valueToken = take()
            let literal = try Self.literal(valueToken, for: operand, op: op, after: opToken)
            return .comparison(FilterComparison(operand: operand, op: op, literal: literal, column: token.column))
        }

        static func operand(named name: String) -> FilterOperand {
            switch name {
            case "event": return .eventName
            case "cpu": return .cpu
            case "time", "ts", "timestamp": return .time
            case "elapsed": return .elapsed
            case "pid", "tid": return .pid
            case "comm", "task": return .comm
            case "trace": return .traceName
            default: return .field(name.hasPrefix("$") ? String(name.dropFirst()) : name)
            }
        }

        static func literal(_ token: FilterToken, for operand: FilterOperand, op: FilterOperator,
                            after opToken: FilterToken) throws -> FilterLiteral {
            let isMatch = op == .matches || op == .notMatches
            switch token.kind {
            case .string(let s): return .string(s)
            case .regex(let r):
                do {
                    _ = try Regex(r)
                } catch {
                    throw FilterError(column: token.column + 1, "invalid regular expression: \(error)")
                }
                return .regex(r)
            case .number(let text):
                if isMatch { throw FilterError(column: token.column, "'\(op.rawValue)' needs a \"glob\" or /regex/") }
                guard let value = parseNumber(text, for: operand) else {
                    throw FilterError(column: token.column, "invalid number or time '\(text)'")
                }
                return value
            case .identifier(let word):
                // Bare words read as strings (`event == sched_switch`), as in trace-cmd filters.
                return .string(word)
            case .end:
                throw FilterError(column: token.column, "expected a value after '\(opToken.kindText)'")
            default:
                throw FilterError(column: token.column, "expected a value after '\(opToken.kindText)'")
            }
        }

        /// Integers (decimal, hex), fractions, durations with units, times of day.
        static func parseNumber(_ raw: String, for operand: FilterOperand) -> FilterLiteral? {
            let text = String(raw.filter { $0 != "_" })
            var body = Substring(text)
            var negative = false
            if body.first == "-" || body.first == "+" { negative = body.first == "-"; body = body.dropFirst() }
            if body.hasPrefix("0x") || body.hasPrefix("0X") {
                guard let v = UInt64(body.dropFirst(2), radix: 16) else { return nil }
                if negative {
                    guard v <= UInt64(Int64.max) else { return nil }
                    return .integer(-Int64(v))
                }
                return v <= UInt64(Int64.max) ? .integer(Int64(v)) : .unsignedInteger(v)
            }
            if body.contains(":") {
                // HH:MM:SS[.fraction] or MM:SS[.fraction]
                let parts = body.split(separator: ":", omittingEmptySubsequences: false)
                guard parts.count >= 2, parts.count <= 3, !negative else { return nil }
                var total: Int64 = 0
                for (n, part) in parts.enumerated() {
                    if n == parts.count - 1 {
                        guard let ns = DurationParser.nanoseconds(part) else { return nil }
                        total += ns
                    } else {
                        guard let v = Int64(part), v >= 0, v < 100 else { return nil }
                        total = (total + v * 60_000_000_000) * (n == parts.count - 2 ? 1 : 60)
                    }
                }
                return .timeOfDay(total)
            }
            let hasUnit = body.contains(where: { $0.isLetter })
            let isTime = operand == .time || operand == .elapsed
            if hasUnit || (isTime && body.contains(".")) || isTime {
                // Durations: bare numbers on `time`/`elapsed` are seconds, as the list shows them.
                guard let ns = DurationParser.nanoseconds(body) else { return nil }
                return .nanoseconds(negative ? -ns : ns)
            }
            if body.contains(".") || body.contains("e") {
                guard let d = Double(String(body)) else { return nil }
                return .float(negative ? -d : d)
            }
            if negative {
                guard let v = Int64("-" + body) else { return nil }
                return .integer(v)
            }
            if let v = Int64(body) { return .integer(v) }
            if let v = UInt64(body) { return .unsignedInteger(v) }
            return nil
        }
    }
}

extension FilterToken {
    var kindText: String {
        switch kind {
        case .op(let op): return op
        case .identifier(let s): return s
        default: return "operator"
        }
    }
}
