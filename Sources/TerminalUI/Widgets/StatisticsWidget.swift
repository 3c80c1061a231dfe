import TraceKit

/// Statistics: counts per event, per CPU and per task side by side, with the time range they cover.
public struct StatisticsWidget {
    public var statistics: TraceStatistics
    public var set: TraceSet
    public var rangeText: String
    public var filterText: String?
    public var sort: TraceStatistics.SortOrder
    public var progress: Double
    public var scroll: Int
    public var glyphs: Glyphs

    public init(statistics: TraceStatistics, set: TraceSet, rangeText: String, filterText: String?,
                sort: TraceStatistics.SortOrder, progress: Double, scroll: Int, glyphs: Glyphs) {
        self.statistics = statistics
        self.set = set
        self.rangeText = rangeText
        self.filterText = filterText
        self.sort = sort
        self.progress = progress
        self.scroll = scroll
        self.glyphs = glyphs
    }

    public func render(into buffer: inout CellBuffer, area: Rect) {
        let box = BoxWidget(title: "Statistics", footer: "o: sort by \(sort == .countDescending ? "name" : "count")  r: visible range / whole trace  Esc closes",
                            glyphs: glyphs)
        let inside = box.render(into: &buffer, area: area)
        guard inside.height >= 3 else { return }
        var summary = "\(rangeText)  \(statistics.eventTotal) events"
        if statistics.lostRecords > 0 {
            summary += ", \(statistics.lostEvents) lost in \(statistics.lostRecords) records"
        }
        if let filterText { summary += "  filter: \(filterText)" }
        summary += "  sorted by \(sort.rawValue)"
        if progress < 1 { summary += "  counting \(Int(progress * 100))%" }
        buffer.write(summary, x: inside.x + 1, y: inside.y, role: progress < 1 ? .progress : .statusAccent, maxX: inside.maxX)
        let tables = TraceStatistics.Table.allCases
        // Event and task names are long, CPU labels short.
        let cpuWidth = min(26, inside.width / 3)
        let wide = max(0, (inside.width - cpuWidth) / 2)
        let widths = [wide, cpuWidth, wide]
        let total = max(1, statistics.eventTotal)
        var x = inside.x + 1
        for (n, table) in tables.enumerated() {
            let width = widths[n] - 2
            defer { x += width + 2 }
            let rows = statistics.rows(table, in: set, sortedBy: sort)
            let header = TextFit.pad(table.rawValue + " (\(rows.count))", max(0, width - 16)) + TextFit.pad("count", 9, right: true)
                + TextFit.pad("%", 7, right: true)
            buffer.write(header, x: x, y: inside.y + 2, role: .header, maxX: x + width)
            let visible = inside.height - 3
            let first = max(0, min(scroll, rows.count - visible))
            for (i, row) in rows.dropFirst(first).prefix(visible).enumerated() {
                let tenths = Int((Double(row.count) * 1000 / Double(total)).rounded())
                let pct = String(tenths / 10) + "." + String(tenths % 10)
                let line = TextFit.pad(row.label, max(0, width - 16), ellipsis: glyphs.ellipsis)
                    + TextFit.pad(String(row.count), 9, right: true) + TextFit.pad(pct, 7, right: true)
                buffer.write(line, x: x, y: inside.y + 3 + i, role: .normal, maxX: x + width)
            }
        }
    }
}
