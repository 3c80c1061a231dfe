/// The details pane: every field of the selected event, nested fields indented.
public struct DetailsWidget {
    public var lines: [DetailLine]
    public var scroll: Int
    public var focused: Bool
    public var glyphs: Glyphs

    public init(lines: [DetailLine], scroll: Int, focused: Bool, glyphs: Glyphs) {
        self.lines = lines
        self.scroll = scroll
        self.focused = focused
        self.glyphs = glyphs
    }

    public func render(into buffer: inout CellBuffer, area: Rect) {
        guard area.height > 0 else { return }
        buffer.fill(area, with: Cell(" ", role: .normal))
        buffer.fill(area.row(0), with: Cell(glyphs.horizontal, role: focused ? .statusAccent : .border))
        let title = focused ? " Details " + glyphs.arrowLeft + " " : " Details "
        buffer.write(title, x: area.x + 2, y: area.y, role: focused ? .statusAccent : .header)
        let visible = area.height - 1
        let first = max(0, min(scroll, lines.count - visible))
        if lines.count > visible {
            let info = " \(first + 1)-\(min(lines.count, first + visible)) of \(lines.count) "
            buffer.write(info, x: area.maxX - info.count - 2, y: area.y, role: .dim)
        }
        // Keys line up in a column per indentation level.
        let keyWidth = min(28, (lines.map { $0.indent * 2 + CharacterWidth.of($0.key) }.max() ?? 0))
        for (i, line) in lines.dropFirst(first).prefix(visible).enumerated() {
            let y = area.y + 1 + i
            let x = area.x + 1 + line.indent * 2
            if line.isSection {
                buffer.write(line.key, x: area.x + 1, y: y, role: .header, maxX: area.maxX)
                continue
            }
            let keyEnd = buffer.write(line.key, x: x, y: y, role: .fieldKey, maxX: area.maxX)
            let valueX = max(keyEnd + 1, area.x + 1 + keyWidth + 1)
            if valueX - 1 < area.maxX { buffer[valueX - 1, y] = Cell(":", role: .dim) }
            buffer.write(TextFit.truncate(line.value, max(0, area.maxX - valueX - 1), ellipsis: glyphs.ellipsis),
                         x: valueX + 1, y: y, role: .fieldValue, maxX: area.maxX)
        }
    }
}
