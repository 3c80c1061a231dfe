/// The event list: a header and one row per event (time, CPU, task, event, field summary).
public struct EventListWidget {
    public var rows: [EventRow]
    /// Row number of `rows[0]`.
    public var top: Int
    public var selectedRow: Int
    public var focused: Bool
    public var bookmarks: Set<Int>
    public var glyphs: Glyphs
    /// Shown when there are no rows.
    public var emptyText: String
    /// Text to highlight where it appears (the last plain-text search), case-insensitively.
    public var highlight: String?

    public init(rows: [EventRow], top: Int, selectedRow: Int, focused: Bool, bookmarks: Set<Int> = [],
                glyphs: Glyphs, emptyText: String = "(no events)") {
        self.rows = rows
        self.top = top
        self.selectedRow = selectedRow
        self.focused = focused
        self.bookmarks = bookmarks
        self.glyphs = glyphs
        self.emptyText = emptyText
    }

    struct Columns {
        var time: Int, cpu: Int, task: Int, event: Int
    }

    func columns(width: Int) -> Columns {
        let time = max(13, rows.map { $0.time.count }.max() ?? 13)
        let task = min(24, max(4, rows.map { CharacterWidth.of($0.task) }.max() ?? 4))
        let event = min(32, max(5, rows.map { CharacterWidth.of($0.event) }.max() ?? 5))
        return Columns(time: time, cpu: 3, task: width >= 100 ? task : min(task, 14), event: width >= 100 ? event : min(event, 18))
    }

    /// Renders the header on the first row of `area` and the events below.
    public func render(into buffer: inout CellBuffer, area: Rect) {
        guard area.height > 0 else { return }
        buffer.fill(area, with: Cell(" ", role: .normal))
        let c = columns(width: area.width)
        buffer.fill(area.row(0), with: Cell(" ", role: .header))
        var x = area.x + 1
        for (title, width, right) in [("Time", c.time, true), ("CPU", c.cpu, true), ("Task", c.task, false),
                                      ("Event", c.event, false)] {
            buffer.write(TextFit.pad(title, width, right: right), x: x, y: area.y, role: .header, maxX: area.maxX)
            x += width + 1
        }
        buffer.write(focused ? "Fields " + glyphs.arrowLeft : "Fields", x: x, y: area.y, role: .header, maxX: area.maxX)
        if rows.isEmpty {
            buffer.write(emptyText, x: area.x + 2, y: area.y + 1, role: .dim, maxX: area.maxX)
            return
        }
        for (i, row) in rows.enumerated() {
            let y = area.y + 1 + i
            guard y < area.maxY else { break }
            let selected = top + i == selectedRow
            let base: StyleRole? = selected ? (focused ? .selectedRow : .selectedRowUnfocused) : nil
            if let base { buffer.fill(area.row(1 + i), with: Cell(" ", role: base)) }
            if bookmarks.contains(row.ordinal) {
                buffer[area.x, y] = Cell(glyphs.bookmark, role: base ?? .bookmark)
            }
            var x = area.x + 1
            func put(_ text: String, _ width: Int, _ role: StyleRole, right: Bool = false) {
                let shown = TextFit.pad(text, width, right: right, ellipsis: glyphs.ellipsis)
                buffer.write(shown, x: x, y: y, role: base ?? role, maxX: area.maxX)
                mark(shown, x: x, y: y, in: &buffer, maxX: area.maxX)
                x += width + 1
            }
            put(row.time, c.time, .listTime, right: true)
            put(row.cpu, c.cpu, .listCPU, right: true)
            put(row.task, c.task, .listTask)
            put(row.event, c.event, row.isLost ? .lostEventRow : .eventName)
            if x < area.maxX {
                let shown = TextFit.truncate(row.summary, area.maxX - x, ellipsis: glyphs.ellipsis)
                buffer.write(shown, x: x, y: y, role: base ?? (row.isLost ? .lostEventRow : .fieldValue), maxX: area.maxX)
                mark(shown, x: x, y: y, in: &buffer, maxX: area.maxX)
            }
        }
    }

    /// Restyles the occurrences of `highlight` in `text`, drawn from column `x`.
    private func mark(_ text: String, x: Int, y: Int, in buffer: inout CellBuffer, maxX: Int) {
        guard let highlight, !highlight.isEmpty else { return }
        let hay = Array(text.lowercased().unicodeScalars)
        let needle = Array(highlight.lowercased().unicodeScalars)
        guard needle.count <= hay.count, hay.count == text.unicodeScalars.count else { return }
        var columns: [Int] = []
        var col = x
        for s in hay { columns.append(col); col += CharacterWidth.of(s) }
        var i = 0
        while i + needle.count <= hay.count {
            if Array(hay[i..<(i + needle.count)]) == needle {
                let end = i + needle.count < columns.count ? columns[i + needle.count] : col
                buffer.restyle(Rect(x: columns[i], y: y, width: min(end, maxX) - columns[i], height: 1), role: .match)
                i += needle.count
            } else {
                i += 1
            }
        }
    }
}
