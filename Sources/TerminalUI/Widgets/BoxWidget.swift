/// A bordered box with a title, used by overlays.
public struct BoxWidget {
    public var title: String
    public var footer: String?
    public var glyphs: Glyphs

    public init(title: String, footer: String? = nil, glyphs: Glyphs) {
        self.title = title
        self.footer = footer
        self.glyphs = glyphs
    }

    /// Draws the frame and returns the inside.
    @discardableResult
    public func render(into buffer: inout CellBuffer, area: Rect) -> Rect {
        guard area.width >= 4, area.height >= 3 else { return Rect(x: area.x, y: area.y, width: 0, height: 0) }
        buffer.fill(area, with: Cell(" ", role: .normal))
        let (tl, tr, bl, br): (Unicode.Scalar, Unicode.Scalar, Unicode.Scalar, Unicode.Scalar) =
            glyphs.unicode ? ("┌", "┐", "└", "┘") : ("+", "+", "+", "+")
        for x in area.x..<area.maxX {
            buffer[x, area.y] = Cell(glyphs.horizontal, role: .border)
            buffer[x, area.maxY - 1] = Cell(glyphs.horizontal, role: .border)
        }
        for y in area.y..<area.maxY {
            buffer[area.x, y] = Cell(glyphs.vertical, role: .border)
            buffer[area.maxX - 1, y] = Cell(glyphs.vertical, role: .border)
        }
        buffer[area.x, area.y] = Cell(tl, role: .border)
        buffer[area.maxX - 1, area.y] = Cell(tr, role: .border)
        buffer[area.x, area.maxY - 1] = Cell(bl, role: .border)
        buffer[area.maxX - 1, area.maxY - 1] = Cell(br, role: .border)
        buffer.write(" " + title + " ", x: area.x + 2, y: area.y, role: .title, maxX: area.maxX - 2)
        if let footer {
            buffer.write(" " + footer + " ", x: area.x + 2, y: area.maxY - 1, role: .dim, maxX: area.maxX - 2)
        }
        return area.inset(1)
    }
}
