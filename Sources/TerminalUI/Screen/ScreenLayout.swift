import TraceKit

/// Where each pane sits for a terminal size and state.
public struct ScreenLayout: Sendable, Equatable {
    public var title: Rect
    public var ruler: Rect
    /// One row per shown CPU lane (labels included).
    public var lanes: Rect
    /// Columns of lane labels at the left of the ruler and lanes.
    public var labelWidth: Int
    public var listHeader: Rect
    public var list: Rect
    public var details: Rect
    public var status: Rect
    /// CPUs shown (the first `laneCount` CPUs).
    public var laneCount: Int

    /// The time area of the ruler and lanes (without labels).
    public var timeArea: Rect {
        Rect(x: lanes.x + labelWidth, y: ruler.y, width: lanes.width - labelWidth, height: lanes.maxY - ruler.y)
    }

    public init(width: Int, height: Int, cpuCount: Int, showDetails: Bool) {
        let w = max(1, width), h = max(1, height)
        title = Rect(x: 0, y: 0, width: w, height: 1)
        // Lanes take at most a third of the screen; the list keeps at least 5 rows.
        let lanesWanted = max(1, cpuCount)
        let laneBudget = max(1, min(lanesWanted, (h - 8) / 3))
        laneCount = min(lanesWanted, laneBudget)
        labelWidth = min(8, max(0, w / 4))
        ruler = Rect(x: 0, y: 1, width: w, height: 1)
        lanes = Rect(x: 0, y: 2, width: w, height: laneCount)
        listHeader = Rect(x: 0, y: lanes.maxY, width: w, height: 1)
        status = Rect(x: 0, y: h - 1, width: w, height: 1)
        let below = listHeader.maxY
        let available = max(0, status.y - below)
        let detailsHeight = showDetails && available >= 10 ? min(14, max(5, available / 3)) : 0
        list = Rect(x: 0, y: below, width: w, height: available - detailsHeight)
        details = Rect(x: 0, y: list.maxY, width: w, height: detailsHeight)
    }

    /// Timeline column → time, for a view `[start, end)`.
    public func time(atColumn column: Int, start: Int64, end: Int64) -> Int64 {
        let width = max(1, timeArea.width)
        let span = Double(max(1, end - start))
        return SaturatingTime.sum(start, SaturatingTime.int64((Double(column - timeArea.x) * span / Double(width)).rounded(.down)))
    }

    /// The column showing `time` (may be outside the area).
    public func column(ofTime time: Int64, start: Int64, end: Int64) -> Int {
        let width = max(1, timeArea.width)
        let span = Double(max(1, end - start))
        return timeArea.x + Int((Double(time - start) * Double(width) / span).rounded(.down))
    }
}
