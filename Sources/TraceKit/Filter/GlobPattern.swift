/// A shell-style glob matched against a whole string: `*` any run, `?` one character,
/// `[abc]`, `[a-z]`, `[!x]` sets, `\` escapes the next character.
public struct GlobPattern: Sendable, Equatable {
    private enum Element: Sendable, Equatable {
        case literal(Unicode.Scalar)
        case any
        case star
        case set([ClosedRange<Unicode.Scalar>], negated: Bool)
    }

    private let elements: [Element]
    public let source: String

    public init(_ pattern: String) {
        source = pattern
        var out: [Element] = []
        let scalars = Array(pattern.unicodeScalars)
        var i = 0
        while i < scalars.count {
            let c = scalars[i]
            switch c {
            case "*":
                if out.last != .star { out.append(.star) }
                i += 1
            case "?":
                out.append(.any)
                i += 1
            case "\\" where i + 1 < scalars.count:
                out.append(.literal(scalars[i + 1]))
                i += 2
            case "[":
                // A set runs to the next `]` (a `]` right after `[` or `[!` is literal).
                var j = i + 1
                var negated = false
                if j < scalars.count && (scalars[j] == "!" || scalars[j] == "^") { negated = true; j += 1 }
                var ranges: [ClosedRange<Unicode.Scalar>] = []
                var first = true
                var closed = false
                while j < scalars.count {
                    let s = scalars[j]
                    if s == "]" && !first { closed = true; j += 1; break }
                    first = false
                    if j + 2 < scalars.count && scalars[j + 1] == "-" && scalars[j + 2] != "]" {
                        let low = s, high = scalars[j + 2]
                        ranges.append(low <= high ? low...high : high...low)
                        j += 3
                    } else {
                        ranges.append(s...s)
                        j += 1
                    }
                }
                if closed {
                    out.append(.set(ranges, negated: negated))
                    i = j
                } else {
                    out.append(.literal("["))
                    i += 1
                }
            default:
                out.append(.literal(c))
                i += 1
            }
        }
        elements = out
    }

    /// True when the whole of `text` matches.
    public func matches(_ text: String) -> Bool {
        let scalars = Array(text.unicodeScalars)
        // Iterative matching with backtracking to the last star: linear in practice.
        var p = 0, t = 0
        var starP = -1, starT = 0
        while t < scalars.count {
            if p < elements.count {
                switch elements[p] {
                case .star:
                    starP = p
                    starT = t
                    p += 1
                    continue
                case .any:
                    p += 1; t += 1
                    continue
                case .literal(let c) where c == scalars[t]:
                    p += 1; t += 1
                    continue
                case .set(let ranges, let negated)
                    where ranges.contains(where: { $0.contains(scalars[t]) }) != negated:
                    p += 1; t += 1
                    continue
                default: break
                }
            }
            guard starP >= 0 else { return false }
            p = starP + 1
            starT += 1
            t = starT
        }
        while p < elements.count, elements[p] == .star { p += 1 }
        return p == elements.count
    }
}
