/// The kinds of token in kernel format files, as libtraceevent's tokenizer classifies them.
enum FormatTokenKind: Equatable {
    /// End of input, or a byte that cannot start a token.
    case none
    case space
    case newline
    /// Operators: `:`, `;`, `->`, `==`, `*`, `[`, `{` ...
    case op
    /// `(`, `)` and `,`.
    case delim
    /// Identifiers and numbers (letters, digits, `_`).
    case item
    /// A double-quoted string (adjacent strings concatenated, escapes kept as written).
    case dquote
    /// A single-quoted character constant.
    case squote
}

/// One token: its kind and text (quotes removed, escapes kept).
struct FormatToken: Equatable {
    var kind: FormatTokenKind
    var text: String

    static let end = FormatToken(kind: .none, text: "")

    func isOp(_ s: String) -> Bool { kind == .op && text == s }
    func isDelim(_ s: String) -> Bool { kind == .delim && text == s }
    func isItem(_ s: String) -> Bool { kind == .item && text == s }
}

/// Splits format-file text into tokens exactly the way libtraceevent does, so that what it accepts,
/// rejects and how it groups operators (`->`, `>>=`, `&&`) match trace-cmd.
struct FormatTokenizer {
    private let bytes: [UInt8]
    /// Byte offset of the next unread byte.
    private(set) var position: Int = 0

    init(_ bytes: [UInt8]) { self.bytes = bytes }
    init(_ text: String) { self.bytes = Array(text.utf8) }

    /// Signed-char view of a byte, as C code reading `const char *` sees it (-1 at the end).
    private func peek() -> Int {
        guard position < bytes.count else { return -1 }
        return Int(Int8(bitPattern: bytes[position]))
    }

    private mutating func read() -> Int {
        guard position < bytes.count else { return -1 }
        defer { position += 1 }
        return Int(Int8(bitPattern: bytes[position]))
    }

    static func kind(of ch: Int) -> FormatTokenKind {
        if ch == 0x0A { return .newline }
        guard ch >= 0 else { return .none }
        switch ch {
        case 0x20, 0x09, 0x0B, 0x0C, 0x0D: return .space
        case 0x30...0x39, 0x41...0x5A, 0x61...0x7A, 0x5F: return .item
        case 0x27: return .squote
        case 0x22: return .dquote
        case 0x28, 0x29, 0x2C: return .delim
        case 0x21...0x7E: return .op
        default: return .none
        }
    }

    private static func isPrint(_ ch: Int) -> Bool { ch >= 0x20 && ch < 0x7F }
    private static func isSpace(_ ch: Int) -> Bool { ch == 0x20 || (ch >= 0x09 && ch <= 0x0D) }

    /// The next token, spaces included.
    mutating func nextRaw() -> FormatToken {
        let start = position
        let ch = read()
        if ch < 0 { return .end }
        let kind = FormatTokenizer.kind(of: ch)
        if kind == .none { return .end }
        func text() -> String { String(decoding: bytes[start..<position], as: UTF8.self) }
        switch kind {
        case .newline:
            return FormatToken(kind: kind, text: "\n")
        case .delim:
            return FormatToken(kind: kind, text: text())
        case .op:
            var testEqual = false
            switch ch {
            case 0x2D where peek() == 0x3E:  // "->"
                position += 1
            case 0x2D, 0x2B, 0x7C, 0x26, 0x3E, 0x3C:  // - + | & > <
                let last = ch
                if peek() != last {
                    testEqual = true
                } else {
                    position += 1
                    if last == 0x3E || last == 0x3C { testEqual = true }
                }
            case 0x21, 0x3D:  // ! =
                testEqual = true
            default:
                break
            }
            if testEqual && peek() == 0x3D { position += 1 }
            return FormatToken(kind: .op, text: text())
        case .dquote, .squote:
            var buf: [UInt8] = []
            let quote = ch
            var last = 0
            var current = ch
            var failed = false
            concat: while true {
                repeat {
                    last = current
                    current = read()
                    buf.append(UInt8(truncatingIfNeeded: current))
                    if current == 0x5C && last == 0x5C { last = 0 }  // "\\" cancels itself
                    if current <= 0 { break }
                } while (current != quote && FormatTokenizer.isPrint(current)) || last == 0x5C || current == 0x0A
                buf.removeLast()  // the closing quote (or the byte that stopped the string)
                if current <= 0 { failed = true }
                if kind == .dquote && !failed {
                    // Adjacent string literals are concatenated.
                    let save = position
                    var next = read()
                    while FormatTokenizer.isSpace(next) { next = read() }
                    if next == 0x22 { current = next; continue concat }
                    position = save
                }
                break
            }
            let text = String(decoding: buf, as: UTF8.self)
            return FormatToken(kind: failed ? .none : kind, text: text)
        case .space, .item:
            while position < bytes.count, FormatTokenizer.kind(of: peek()) == kind {
                position += 1
            }
            if kind == .space { return FormatToken(kind: .space, text: " ") }
            let text = text()
            if kind == .item {
                // Work around old kernels' unexpanded mac80211 macros, as libtraceevent does.
                switch text {
                case "LOCAL_PR_FMT": return FormatToken(kind: .dquote, text: "%s ")
                case "STA_PR_FMT": return FormatToken(kind: .dquote, text: " sta:%pM ")
                case "VIF_PR_FMT": return FormatToken(kind: .dquote, text: " vif:%p(%d) ")
                default: break
                }
            }
            return FormatToken(kind: kind, text: text)
        case .none:
            return .end
        }
    }

    /// Consumes and returns the rest of the text.
    mutating func takeRest() -> String {
        defer { position = bytes.count }
        return String(decoding: bytes[min(position, bytes.count)...], as: UTF8.self)
    }

    /// The next token that is not a space (newlines are returned).
    mutating func next() -> FormatToken {
        while true {
            let token = nextRaw()
            if token.kind != .space { return token }
        }
    }

    /// The next token that is neither a space nor a newline.
    mutating func nextItem() -> FormatToken {
        while true {
            let token = nextRaw()
            if token.kind != .space && token.kind != .newline { return token }
        }
    }
}
