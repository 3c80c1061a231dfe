import TraceKit

/// The per-CPU timeline: a time ruler and one lane per CPU. Scheduler lanes colour each task (two
/// tasks per cell with half blocks) and write task names where they fit; traces without scheduler
/// events show event density with braille dots. Lost events are bands; the cursor and markers are
/// vertical lines.
public struct TimelineWidget {
    public var activity: ActivityIndex
    public var laneCount: Int
    public var labelWidth: Int
    public var viewStart: Int64
    public var viewEnd: Int64
    public var traceStart: Int64
    public var cursorTime: Int64?
    public var markerA: Int64?
    public var markerB: Int64?
    public var glyphs: Glyphs
    /// True when the theme and terminal can colour tasks; otherwise tasks are drawn with blocks.
    public var taskColors: Bool
    public var focused: Bool
    /// First lane shown (lanes scroll when there are more than rows).
    public var laneTop = 0
    /// Names lanes of streams without a CPU (the stream's name).
    public var streamNames: ((LaneKey) -> String?)?

    public init(activity: ActivityIndex, laneCount: Int, labelWidth: Int, viewStart: Int64, viewEnd: Int64,
                traceStart: Int64, cursorTime: Int64?, markerA: Int64? = nil, markerB: Int64? = nil,
                glyphs: Glyphs, taskColors: Bool, focused: Bool = false) {
        self.activity = activity
        self.laneCount = laneCount
        self.labelWidth = labelWidth
        self.viewStart = viewStart
        self.viewEnd = max(viewEnd, viewStart + 1)
        self.traceStart = traceStart
        self.cursorTime = cursorTime
        self.markerA = markerA
        self.markerB = markerB
        self.glyphs = glyphs
        self.taskColors = taskColors
        self.focused = focused
    }

    /// Keeps the drawn ruler and lanes between frames while the view does not change (moving in the
    /// list only moves the cursor line).
    public var cache: TimelineCache?

    /// Renders the ruler on the first row of `area` and the lanes below it.
    public func render(into buffer: inout CellBuffer, area: Rect) {
        guard area.height > 0, area.width > labelWidth else { return }
        let key = TimelineCache.Key(area: area, viewStart: viewStart, viewEnd: viewEnd, laneCount: laneCount,
                                    labelWidth: labelWidth + laneTop * 1000, records: activity.recordsNoted, taskColors: taskColors,
                                    unicode: glyphs.unicode, focused: focused)
        if let cache, cache.key == key, let cells = cache.cells, cells.count == area.width * area.height {
            buffer.paste(cells, into: area)
        } else {
            renderLanes(into: &buffer, area: area)
            if let cache {
                cache.key = key
                cache.cells = buffer.cells(in: area)
            }
        }
        renderMarks(into: &buffer, area: area)
    }

    private func renderLanes(into buffer: inout CellBuffer, area: Rect) {
        buffer.fill(area, with: Cell(" ", role: .normal))
        let time = Rect(x: area.x + labelWidth, y: area.y, width: area.width - labelWidth, height: area.height)
        renderRuler(into: &buffer, row: area.y, area: time)
        let label = focused ? glyphs.arrowRight + "time" : "time"
        buffer.write(TextFit.pad(label, labelWidth), x: area.x, y: area.y, role: focused ? .statusAccent : .rulerTick)
        let allLanes = activity.lanes
        let top = max(0, min(laneTop, allLanes.count - min(laneCount, area.height - 1)))
        let sortedLanes = Array(allLanes.dropFirst(top))
        let lanes = min(laneCount, area.height - 1, sortedLanes.count)
        if sortedLanes.isEmpty && area.height > 1 {
            buffer.write("(no events yet)", x: time.x + 1, y: area.y + 1, role: .dim, maxX: time.maxX)
        }
        for (row, lane) in sortedLanes.prefix(max(0, lanes)).enumerated() {
            let y = area.y + 1 + row
            buffer.write(TextFit.pad(laneLabel(lane), labelWidth, ellipsis: glyphs.ellipsis), x: area.x, y: y,
                         role: .laneLabel)
            if activity.hasScheduler {
                renderSchedulerLane(cpu: lane, into: &buffer, row: y, area: time)
            } else {
                renderDensityLane(cpu: lane, into: &buffer, row: y, area: time)
            }
            renderLost(lane: lane, into: &buffer, row: y, area: time)
        }
        if top > 0 && lanes > 0 {
            let more = "-\(top)"
            buffer.write(more, x: area.x + max(0, labelWidth - more.count - 1), y: area.y + 1, role: .dim)
        }
        if sortedLanes.count > lanes && lanes > 0 {
            let more = "+\(sortedLanes.count - lanes)"
            buffer.write(more, x: area.x + max(0, labelWidth - more.count - 1), y: area.y + lanes, role: .dim)
        }
    }

    /// Cursor and marker lines over the ruler and lanes.
    private func renderMarks(into buffer: inout CellBuffer, area: Rect) {
        let time = Rect(x: area.x + labelWidth, y: area.y, width: area.width - labelWidth, height: area.height)
        let lanes = min(laneCount, area.height - 1, activity.laneCount)
        let bottom = area.y + max(0, lanes)
        for (t, role) in [(markerA, StyleRole.markerA), (markerB, .markerB), (cursorTime, .cursor)] {
            guard let t, let column = column(of: t, in: time) else { continue }
            for y in (area.y + 1)...max(area.y + 1, bottom) where y <= bottom && y < area.maxY {
                buffer[column, y] = Cell(glyphs.vertical, role: role)
            }
            // On the ruler the cursor gives way to the time labels (the lanes still show it);
            // markers always show their letter.
            let under = buffer[column, area.y].scalar
            if role == .cursor && (under.properties.isAlphabetic || ("0"..."9").contains(under) || under == ".") {
                continue
            }
            let mark: Unicode.Scalar = role == .markerA ? "A" : (role == .markerB ? "B" : glyphs.vertical)
            buffer[column, area.y] = Cell(mark, role: role)
        }
    }

    /// `CPU 3`, or the stream's name for lanes of records without a CPU.
    private func laneLabel(_ lane: Int) -> String {
        guard let key = activity.key(ofLane: lane) else { return "?" }
        if key.isCPU { return labelWidth >= 6 ? "CPU \(key.cpu)" : "\(key.cpu)" }
        return streamNames?(key) ?? "s\(key.stream)"
    }

    // MARK: - Geometry

    private var span: Double { Double(viewEnd - viewStart) }

    /// The start time of column `c` (fractions allowed) of `area`.
    private func time(_ c: Double, _ area: Rect) -> Int64 {
        viewStart + SaturatingTime.int64((c * span / Double(max(1, area.width))).rounded(.down))
    }

    private func column(of t: Int64, in area: Rect) -> Int? {
        guard t >= viewStart, t < viewEnd else { return nil }
        let c = Int(Double(t - viewStart) * Double(area.width) / span)
        return area.x + min(area.width - 1, max(0, c))
    }

    // MARK: - Ruler

    /// Tick spacing (1-2-5 steps) whose labels fit, and the unit and decimals labels use.
    static func rulerScale(span: Int64, width: Int, maxOffset: Int64) -> (step: Int64, unit: Int64, unitName: String, decimals: Int) {
        let units: [(Int64, String)] = [(1_000_000_000, "s"), (1_000_000, "ms"), (1_000, "us"), (1, "ns")]
        let magnitude = max(1, maxOffset.magnitude > UInt64(Int64.max) ? Int64.max : Int64(maxOffset.magnitude))
        let (unit, unitName) = units.first(where: { $0.0 <= magnitude }) ?? (1, "ns")
        var step: Int64 = 1
        var candidates: [Int64] = []
        while step < Int64.max / 10 {
            candidates += [step, step * 2, step * 5]
            step *= 10
        }
        let nsPerColumn = Double(max(1, span)) / Double(max(1, width))
        for s in candidates {
            // Decimals that show the step in the unit: log10(unit) - floor(log10(step)).
            let decimals = s >= unit ? 0 : String(unit).count - String(s).count
            let digits = String(magnitude / unit).count + (decimals > 0 ? decimals + 1 : 0) + unitName.count + 1
            if Double(s) >= Double(digits + 3) * nsPerColumn { return (s, unit, unitName, decimals) }
        }
        return (Int64.max / 10, unit, unitName, 0)
    }

    static func label(_ offset: Int64, unit: Int64, unitName: String, decimals: Int) -> String {
        let sign = offset < 0 ? "-" : ""
        let m = offset.magnitude
        let u = UInt64(unit)
        var text = sign + String(m / u)
        if decimals > 0 {
            var fraction = String(m % u)
            let width = String(u).count - 1
            if fraction.count < width { fraction = String(repeating: "0", count: width - fraction.count) + fraction }
            text += "." + fraction.prefix(decimals)
        }
        return text + " " + unitName
    }

    private func renderRuler(into buffer: inout CellBuffer, row y: Int, area: Rect) {
        let (step, unit, unitName, decimals) = Self.rulerScale(span: viewEnd - viewStart, width: area.width,
                                                              maxOffset: max(abs(viewEnd - traceStart), abs(viewStart - traceStart)))
        let firstOffset = viewStart - traceStart
        var tick = (firstOffset / step) * step
        if tick < firstOffset { tick += step }
        var lastEnd = area.x - 1
        while traceStart + tick < viewEnd {
            guard let c = column(of: traceStart + tick, in: area) else { tick += step; continue }
            buffer[c, y] = Cell(glyphs.tick, role: .rulerTick)
            let text = Self.label(tick, unit: unit, unitName: unitName, decimals: decimals)
            if c + 1 > lastEnd && c + 1 + text.count <= area.maxX {
                lastEnd = buffer.write(text, x: c + 1, y: y, role: .rulerText, maxX: area.maxX)
            }
            tick += step
        }
    }

    // MARK: - Lanes

    private enum SubCell: Equatable {
        case idle(light: Bool)
        case task(Int32)
    }

    /// Times of the half-column boundaries of `area`: 2 * width + 1 values.
    private func halfColumnBounds(_ area: Rect) -> [Int64] {
        (0...(2 * area.width)).map { time(Double($0) / 2, area) }
    }

    private func subCell(_ s: LaneSample, span: Int64) -> SubCell {
        if let task = s.task, task != TaskTable.idle, s.busyFraction >= 0.3 || (span <= 1 && s.busyFraction > 0) {
            return .task(task)
        }
        return .idle(light: s.busyFraction > 0)
    }

    private func renderSchedulerLane(cpu: Int, into buffer: inout CellBuffer, row y: Int, area: Rect) {
        var cellTasks: [Int32?] = Array(repeating: nil, count: area.width)
        let bounds = halfColumnBounds(area)
        let samples = activity.samples(lane: cpu, bounds: bounds)
        guard samples.count == 2 * area.width else { return }
        for c in 0..<area.width {
            let left = subCell(samples[2 * c], span: bounds[2 * c + 1] - bounds[2 * c])
            let right = subCell(samples[2 * c + 1], span: bounds[2 * c + 2] - bounds[2 * c + 1])
            let x = area.x + c
            switch (left, right) {
            case (.idle(let a), .idle(let b)):
                buffer[x, y] = Cell(a || b ? glyphs.lightActivity : " ", role: .laneIdle)
            case (.task(let a), .task(let b)) where a == b:
                cellTasks[c] = a
                buffer[x, y] = taskColors ? Cell(" ", role: .laneText, background: role(a))
                    : Cell(glyphs.full, role: .normal)
            case (.task(let a), .task(let b)):
                buffer[x, y] = taskColors
                    ? (glyphs.unicode ? Cell(glyphs.leftHalf, role: role(a), background: role(b))
                        : Cell(" ", role: .laneText, background: role(a)))
                    : Cell(glyphs.full, role: .normal)
            case (.task(let a), .idle):
                buffer[x, y] = taskColors ? Cell(glyphs.leftHalf, role: role(a), background: .laneIdle)
                    : Cell(glyphs.leftHalf, role: .normal)
            case (.idle, .task(let b)):
                buffer[x, y] = taskColors ? Cell(glyphs.rightHalf, role: role(b), background: .laneIdle)
                    : Cell(glyphs.rightHalf, role: .normal)
            }
        }
        // Task names over runs of cells where one task runs, when the name fits.
        var c = 0
        while c < area.width {
            guard let task = cellTasks[c] else { c += 1; continue }
            var end = c
            while end < area.width && cellTasks[end] == task { end += 1 }
            if let ref = activity.tasks.task(task) {
                let name = ref.comm.isEmpty ? String(ref.pid) : ref.comm
                let runLength = end - c
                if runLength >= min(CharacterWidth.of(name), 6) + 2 {
                    let text = TextFit.truncate(name, runLength - 2, ellipsis: glyphs.ellipsis)
                    buffer.write(text, x: area.x + c + 1, y: y, role: .laneText,
                                 background: taskColors ? role(task) : nil, maxX: area.x + end - 1)
                }
            }
            c = end
        }
    }

    private func role(_ task: Int32) -> StyleRole {
        StyleRole.task(pid: activity.tasks.task(task)?.pid ?? Int64(task))
    }

    private func renderDensityLane(cpu: Int, into buffer: inout CellBuffer, row y: Int, area: Rect) {
        let counts = activity.eventCounts(lane: cpu, bounds: halfColumnBounds(area))
        guard counts.count == 2 * area.width else { return }
        let peak = counts.max() ?? 0
        func level(_ n: Int) -> Int {
            guard n > 0 else { return 0 }
            guard peak > 1 else { return 4 }
            return 1 + Int((3 * log2(Double(n)) / log2(Double(peak))).rounded())
        }
        for c in 0..<area.width {
            let l = level(counts[2 * c]), r = level(counts[2 * c + 1])
            buffer[area.x + c, y] = Cell(glyphs.density(left: l, right: r), role: .density)
        }
    }

    private func renderLost(lane: Int, into buffer: inout CellBuffer, row y: Int, area: Rect) {
        for range in activity.lostRanges(lane: lane, from: viewStart, to: viewEnd) {
            let start = column(of: max(range.since, viewStart), in: area) ?? area.x
            let end = column(of: min(range.until, viewEnd - 1), in: area) ?? (area.maxX - 1)
            for x in start...max(start, end) {
                buffer[x, y] = Cell(glyphs.lost, role: .lostBand)
            }
        }
    }
}

/// The last drawn ruler and lanes, reused while nothing they show has changed.
public final class TimelineCache {
    struct Key: Equatable {
        var area: Rect
        var viewStart: Int64, viewEnd: Int64
        var laneCount: Int, labelWidth: Int
        var records: Int
        var taskColors: Bool, unicode: Bool, focused: Bool
    }

    var key: Key?
    var cells: [Cell]?

    public init() {}
}

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
