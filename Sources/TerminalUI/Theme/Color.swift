/// A colour as a theme names it.
public enum Color: Sendable, Hashable {
    /// The terminal's own default foreground or background.
    case terminalDefault
    /// One of the 256 indexed colours (0...15 are the basic ANSI colours).
    case indexed(UInt8)
    /// A true colour, shown as the nearest indexed colour.
    case rgb(UInt8, UInt8, UInt8)

    static let basicNames = ["black", "red", "green", "yellow", "blue", "magenta", "cyan", "white"]

    /// Parses `default`, a basic name (`red`, `bright-red`), `0`...`255`, or `#rrggbb`.
    public init?(parsing text: String) {
        let t = text.lowercased()
        if t == "default" || t == "none" { self = .terminalDefault; return }
        if let i = Self.basicNames.firstIndex(of: t) { self = .indexed(UInt8(i)); return }
        if t.hasPrefix("bright-"), let i = Self.basicNames.firstIndex(of: String(t.dropFirst(7))) {
            self = .indexed(UInt8(i + 8))
            return
        }
        if t == "grey" || t == "gray" { self = .indexed(8); return }
        if let n = Int(t), (0...255).contains(n) { self = .indexed(UInt8(n)); return }
        if t.hasPrefix("#"), t.count == 7, let v = UInt32(t.dropFirst(), radix: 16) {
            self = .rgb(UInt8(v >> 16), UInt8((v >> 8) & 0xFF), UInt8(v & 0xFF))
            return
        }
        return nil
    }

    /// The xterm RGB value of indexed colour `i`.
    static func rgbOf(index i: Int) -> (Int, Int, Int) {
        let basic: [(Int, Int, Int)] = [
            (0, 0, 0), (205, 0, 0), (0, 205, 0), (205, 205, 0), (0, 0, 238), (205, 0, 205), (0, 205, 205),
            (229, 229, 229), (127, 127, 127), (255, 0, 0), (0, 255, 0), (255, 255, 0), (92, 92, 255),
            (255, 0, 255), (0, 255, 255), (255, 255, 255),
        ]
        if i < 16 { return basic[max(0, i)] }
        if i < 232 {
            let levels = [0, 95, 135, 175, 215, 255]
            let n = i - 16
            return (levels[n / 36], levels[(n / 6) % 6], levels[n % 6])
        }
        let g = 8 + (i - 232) * 10
        return (g, g, g)
    }

    private static func nearest(_ r: Int, _ g: Int, _ b: Int, in range: Range<Int>) -> Int {
        var best = range.lowerBound, bestDistance = Int.max
        for i in range {
            let (cr, cg, cb) = rgbOf(index: i)
            let d = (cr - r) * (cr - r) * 3 + (cg - g) * (cg - g) * 4 + (cb - b) * (cb - b) * 2
            if d < bestDistance { best = i; bestDistance = d }
        }
        return best
    }

    /// The colour number to use on a terminal with `mode`, or nil for the terminal's default.
    public func index(for mode: ColorMode) -> Int? {
        switch (self, mode) {
        case (_, .none), (.terminalDefault, _): return nil
        case (.indexed(let i), .indexed256): return Int(i)
        case (.rgb(let r, let g, let b), .indexed256):
            return Self.nearest(Int(r), Int(g), Int(b), in: 16..<256)
        case (.indexed(let i), .basic16):
            if i < 16 { return Int(i) }
            let (r, g, b) = Self.rgbOf(index: Int(i))
            return Self.nearest(r, g, b, in: 0..<16)
        case (.rgb(let r, let g, let b), .basic16):
            return Self.nearest(Int(r), Int(g), Int(b), in: 0..<16)
        case (.indexed(let i), .basic8):
            if i < 8 { return Int(i) }
            if i < 16 { return Int(i) - 8 }
            let (r, g, b) = Self.rgbOf(index: Int(i))
            return Self.nearest(r, g, b, in: 0..<8)
        case (.rgb(let r, let g, let b), .basic8):
            return Self.nearest(Int(r), Int(g), Int(b), in: 0..<8)
        }
    }
}

/// How many colours the terminal shows.
public enum ColorMode: String, Sendable, Hashable, CaseIterable {
    case none, basic8, basic16, indexed256

    /// The mode for a terminal reporting `colors` colours; `NO_COLOR` (any non-empty value) turns
    /// colours off.
    public static func detect(colors: Int, environment: [String: String]) -> ColorMode {
        if let v = environment["NO_COLOR"], !v.isEmpty { return .none }
        switch colors {
        case 256...: return .indexed256
        case 16...: return .basic16
        case 8...: return .basic8
        default: return .none
        }
    }
}

/// Text attributes a role may ask for.
public struct TextAttributes: OptionSet, Sendable, Hashable {
    public let rawValue: UInt8
    public init(rawValue: UInt8) { self.rawValue = rawValue }
    public static let bold = TextAttributes(rawValue: 1)
    public static let dim = TextAttributes(rawValue: 2)
    public static let underline = TextAttributes(rawValue: 4)
    public static let reverse = TextAttributes(rawValue: 8)
    public static let italic = TextAttributes(rawValue: 16)
}

/// Foreground, background and attributes of a role.
public struct TextStyle: Sendable, Hashable {
    public var foreground: Color
    public var background: Color
    public var attributes: TextAttributes

    public init(_ foreground: Color = .terminalDefault, on background: Color = .terminalDefault,
                _ attributes: TextAttributes = []) {
        self.foreground = foreground
        self.background = background
        self.attributes = attributes
    }
}
