/// One terminal cell: a character and the roles that colour it.
public struct Cell: Sendable, Hashable {
    public var scalar: Unicode.Scalar
    /// Foreground colour and attributes.
    public var role: StyleRole
    /// Role whose background colours the cell; nil uses `role`'s background.
    public var background: StyleRole?
    /// The right half of a wide character drawn in the cell before; terminals draw nothing here.
    public var isContinuation: Bool

    public init(_ scalar: Unicode.Scalar = " ", role: StyleRole = .normal, background: StyleRole? = nil,
                isContinuation: Bool = false) {
        self.scalar = scalar
        self.role = role
        self.background = background
        self.isContinuation = isContinuation
    }

    public static let blank = Cell()
}

/// A grid of cells that widgets render into; backends show it, tests read it back as text.
public struct CellBuffer: Sendable, Equatable {
    public private(set) var width: Int
    public private(set) var height: Int
    public private(set) var cells: [Cell]

    public init(width: Int, height: Int, fill: Cell = .blank) {
        self.width = max(0, width)
        self.height = max(0, height)
        cells = Array(repeating: fill, count: self.width * self.height)
    }

    public var bounds: Rect { Rect(x: 0, y: 0, width: width, height: height) }

    public subscript(x: Int, y: Int) -> Cell {
        @inline(__always) get { x >= 0 && x < width && y >= 0 && y < height ? cells[y * width + x] : .blank }
        @inline(__always) set {
            guard x >= 0 && x < width && y >= 0 && y < height else { return }
            cells[y * width + x] = newValue
        }
    }

    /// The cells of `area` (which must lie inside the buffer), row by row.
    public func cells(in area: Rect) -> [Cell] {
        let r = clipped(area)
        var out: [Cell] = []
        out.reserveCapacity(r.width * r.height)
        for y in r.y..<r.maxY { out.append(contentsOf: cells[(y * width + r.x)..<(y * width + r.maxX)]) }
        return out
    }

    /// Puts back cells taken with `cells(in:)` from an area of the same size.
    public mutating func paste(_ saved: [Cell], into area: Rect) {
        let r = clipped(area)
        guard saved.count == r.width * r.height, r == area else { return }
        for row in 0..<r.height {
            let start = (r.y + row) * width + r.x
            cells.replaceSubrange(start..<(start + r.width), with: saved[(row * r.width)..<((row + 1) * r.width)])
        }
    }

    private func clipped(_ area: Rect) -> Rect {
        let x0 = max(0, area.x), y0 = max(0, area.y)
        return Rect(x: x0, y: y0, width: min(width, area.maxX) - x0, height: min(height, area.maxY) - y0)
    }

    /// Fills `area` (clipped to the buffer) with `cell`.
    public mutating func fill(_ area: Rect, with cell: Cell) {
        let x0 = max(0, area.x), x1 = min(width, area.maxX)
        let y0 = max(0, area.y), y1 = min(height, area.maxY)
        guard x0 < x1 else { return }
        for y in y0..<max(y0, y1) {
            for x in x0..<x1 { cells[y * width + x] = cell }
        }
    }

    /// Changes the roles of the cells in `area`, keeping their characters.
    public mutating func restyle(_ area: Rect, role: StyleRole, background: StyleRole? = nil) {
        let x0 = max(0, area.x), x1 = min(width, area.maxX)
        let y0 = max(0, area.y), y1 = min(height, area.maxY)
        guard x0 < x1 else { return }
        for y in y0..<max(y0, y1) {
            for x in x0..<x1 {
                cells[y * width + x].role = role
                cells[y * width + x].background = background
            }
        }
    }

    /// Writes `text` from column `x` on row `y`, not past `maxX` (default: the buffer's width).
    /// Control characters show as `?`; a wide character that does not fit is replaced by a space.
    /// Returns the column after the last one written.
    @discardableResult
    public mutating func write(_ text: String, x: Int, y: Int, role: StyleRole, background: StyleRole? = nil,
                               maxX: Int? = nil) -> Int {
        let limit = min(width, maxX ?? width)
        guard y >= 0 && y < height else { return x }
        var col = x
        for var s in text.unicodeScalars {
            if col >= limit { break }
            if s.value < 0x20 || s.value == 0x7F || (0x80...0x9F).contains(s.value) { s = "?" }
            let w = CharacterWidth.of(s)
            if w == 0 { continue }
            if col < 0 { col += w; continue }
            if w == 2 {
                if col + 1 >= limit {
                    self[col, y] = Cell(" ", role: role, background: background)
                    col += 1
                    break
                }
                self[col, y] = Cell(s, role: role, background: background)
                self[col + 1, y] = Cell(" ", role: role, background: background, isContinuation: true)
                col += 2
            } else {
                self[col, y] = Cell(s, role: role, background: background)
                col += 1
            }
        }
        return col
    }

    /// Row `y` as text (continuation cells skipped), trailing spaces removed.
    public func line(_ y: Int) -> String {
        guard y >= 0 && y < height else { return "" }
        var s = String.UnicodeScalarView()
        for x in 0..<width {
            let c = cells[y * width + x]
            if !c.isContinuation { s.append(c.scalar) }
        }
        var text = String(s)
        while text.last == " " { text.removeLast() }
        return text
    }

    /// Every row as text.
    public var lines: [String] { (0..<height).map(line) }

    /// The roles of row `y`, one character per cell (for tests): the first letter of each role name.
    public func roles(_ y: Int) -> [StyleRole] {
        guard y >= 0 && y < height else { return [] }
        return (0..<width).map { cells[y * width + $0].role }
    }
}

/// Truncates and pads text to exact column widths.
public enum TextFit {
    /// `text` cut to `width` columns, with `…` (or `~` in ASCII) when cut.
    public static func truncate(_ text: String, _ width: Int, ellipsis: String = "…") -> String {
        guard width > 0 else { return "" }
        if CharacterWidth.of(text) <= width { return text }
        var out = String.UnicodeScalarView()
        var used = 0
        let budget = width - CharacterWidth.of(ellipsis)
        for s in text.unicodeScalars {
            let w = CharacterWidth.of(s)
            if used + w > budget { break }
            out.append(s)
            used += w
        }
        return String(out) + ellipsis
    }

    /// `text` padded with spaces (or cut) to exactly `width` columns, left- or right-aligned.
    public static func pad(_ text: String, _ width: Int, right: Bool = false, ellipsis: String = "…") -> String {
        let t = truncate(text, width, ellipsis: ellipsis)
        let n = width - CharacterWidth.of(t)
        guard n > 0 else { return t }
        let spaces = String(repeating: " ", count: n)
        return right ? spaces + t : t + spaces
    }
}
