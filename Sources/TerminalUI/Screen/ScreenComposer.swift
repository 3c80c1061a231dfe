import TraceKit

/// How the terminal draws: character set and colours.
public struct RenderOptions: Sendable, Equatable {
    public var glyphs: Glyphs
    public var colorMode: ColorMode

    public init(unicode: Bool, colorMode: ColorMode) {
        glyphs = unicode ? .unicode : .ascii
        self.colorMode = colorMode
    }
}

/// Builds the whole screen from the controller's state and model into a `CellBuffer`.
public enum ScreenComposer {
    public static func render(_ controller: ViewerController, options: RenderOptions) -> CellBuffer {
        let state = controller.state
        let model = controller.model
        var buffer = CellBuffer(width: state.width, height: state.height)
        let layout = controller.layout
        let glyphs = options.glyphs
        let domain = model.set.timeDomain
        let dash = glyphs.unicode ? " – " : " - "

        // Title: what is shown and where the cursor is.
        buffer.fill(layout.title, with: Cell(" ", role: .title))
        let span = state.viewEnd - state.viewStart
        var title = " ringside " + String(glyphs.vertical) + " " + model.set.name
        title += "  " + String(glyphs.vertical) + " view " + TimeFormatting.clock(state.viewStart, domain: domain)
            + dash + TimeFormatting.clock(state.viewEnd, domain: domain) + " (" + TimeFormatting.duration(span) + ")"
        title += "  " + String(glyphs.vertical) + " cursor " + TimeFormatting.clock(state.cursorTime, domain: domain)
            + " (+" + TimeFormatting.duration(state.cursorTime - model.traceStart) + ")"
        buffer.write(title, x: 0, y: 0, role: .title)

        // Timeline.
        let timelineArea = Rect(x: 0, y: layout.ruler.y, width: state.width, height: layout.lanes.maxY - layout.ruler.y)
        var timeline = TimelineWidget(activity: model.activity, laneCount: layout.laneCount, labelWidth: layout.labelWidth,
                                      viewStart: state.viewStart, viewEnd: state.viewEnd, traceStart: model.traceStart,
                                      cursorTime: state.cursorTime, markerA: state.markerA, markerB: state.markerB,
                                      glyphs: glyphs, taskColors: controller.theme.hasTaskColors(in: options.colorMode),
                                      focused: state.focus == .timeline)
        timeline.streamNames = { [set = model.set] key in
            guard set.traces.indices.contains(Int(key.trace)) else { return nil }
            let streams = set.traces[Int(key.trace)].streams
            return streams.indices.contains(Int(key.stream)) ? streams[Int(key.stream)].name : nil
        }
        timeline.cache = controller.timelineCache
        timeline.laneTop = state.laneTop
        timeline.render(into: &buffer, area: timelineArea)

        // Event list.
        let listArea = Rect(x: 0, y: layout.listHeader.y, width: state.width, height: layout.list.maxY - layout.listHeader.y)
        let rows = model.rows(from: state.listTop, count: max(0, listArea.height - 1))
        let emptyText: String
        if model.rowCount == 0 {
            if let progress = model.filterProgress, !progress.complete {
                emptyText = "(filtering… no match yet)"
            } else if state.filterText != nil {
                emptyText = "(no event matches the filter)"
            } else {
                emptyText = model.index.isComplete ? "(the trace has no events)" : "(reading…)"
            }
        } else {
            emptyText = ""
        }
        var list = EventListWidget(rows: rows, top: state.listTop, selectedRow: state.selectedRow,
                                   focused: state.focus == .list, bookmarks: state.bookmarks, glyphs: glyphs,
                                   emptyText: emptyText)
        // Plain-text searches light up where they match; filter-expression searches do not.
        if let text = state.searchText, SearchQuery(text).filter == nil { list.highlight = text }
        list.render(into: &buffer, area: listArea)

        // Details.
        if layout.details.height > 0 {
            let lines = model.ordinal(ofRow: state.selectedRow).map { model.details(ofOrdinal: $0) } ?? []
            DetailsWidget(lines: lines, scroll: state.detailsScroll, focused: state.focus == .details, glyphs: glyphs)
                .render(into: &buffer, area: layout.details)
        }

        // Status bar or prompt.
        if let prompt = state.prompt {
            PromptWidget(prompt: prompt, glyphs: glyphs)
                .render(into: &buffer, area: Rect(x: 0, y: max(0, layout.status.y - 1), width: state.width,
                                                  height: min(2, state.height)))
        } else {
            StatusBarWidget(segments: statusSegments(controller), message: state.message,
                            messageIsError: state.messageIsError, progress: progressText(model, glyphs: glyphs),
                            glyphs: glyphs)
                .render(into: &buffer, area: layout.status)
        }

        // Overlays.
        if let overlay = state.overlay {
            let area = Rect(x: 2, y: 1, width: state.width - 4, height: state.height - 2)
            switch overlay {
            case .help:
                HelpWidget(keymap: controller.keymap, scroll: state.overlayScroll, glyphs: glyphs,
                           extra: controller.extraHelp)
                    .render(into: &buffer, area: area)
            case .statistics:
                if let job = model.statisticsJob, let statistics = model.statisticsToShow {
                    let rangeText: String
                    if let r = model.statisticsRange {
                        rangeText = TimeFormatting.clock(r.lowerBound, domain: domain) + dash
                            + TimeFormatting.clock(r.upperBound, domain: domain)
                            + " (" + TimeFormatting.duration(r.upperBound - r.lowerBound) + ", visible range)"
                    } else {
                        rangeText = "whole trace " + TimeFormatting.clock(model.traceStart, domain: domain) + dash
                            + TimeFormatting.clock(model.traceEnd, domain: domain)
                            + (model.statisticsArePartial
                                ? " (indexed so far: " + (model.indexProgress.fraction.map { "\(Int($0 * 100))%" } ?? "\(model.index.recordCount) events") + ", completing)"
                                : "")
                    }
                    StatisticsWidget(statistics: statistics, set: model.set, rangeText: rangeText,
                                     filterText: state.filterText, sort: state.statisticsSort, progress: job.progress,
                                     scroll: state.overlayScroll, glyphs: glyphs)
                        .render(into: &buffer, area: area)
                }
            }
        }
        return buffer
    }

    static func statusSegments(_ controller: ViewerController) -> [String] {
        let state = controller.state
        let model = controller.model
        var segments: [String] = []
        // The trace and the visible range, short: the title has them in full.
        let span = state.viewEnd - state.viewStart
        segments.append(TextFit.truncate(model.set.name, 24, ellipsis: "~"))
        segments.append("view +" + TimeFormatting.duration(state.viewStart - model.traceStart) + " to +"
                        + TimeFormatting.duration(state.viewEnd - model.traceStart) + " (" + TimeFormatting.duration(span) + ")")
        let total = model.index.recordCount
        let position = model.rowCount == 0 ? 0 : state.selectedRow + 1
        if let filter = state.filterText {
            segments.append("match \(position) of \(model.rowCount) (\(total) events)")
            segments.append("filter: " + filter)
        } else {
            segments.append("event \(position) of \(total)\(model.index.isComplete ? "" : "+")")
        }
        switch (state.markerA, state.markerB) {
        case (let a?, let b?): segments.append("B-A: " + TimeFormatting.duration(b - a))
        case (let a?, nil): segments.append("A: +" + TimeFormatting.duration(a - model.traceStart))
        case (nil, let b?): segments.append("B: +" + TimeFormatting.duration(b - model.traceStart))
        default: break
        }
        if !state.bookmarks.isEmpty { segments.append("\(state.bookmarks.count) bookmark\(state.bookmarks.count == 1 ? "" : "s")") }
        if let error = model.index.errors.first { segments.append("read error: " + error) }
        return segments
    }

    static func progressText(_ model: ViewerModel, glyphs: Glyphs = .unicode) -> String? {
        if let job = model.search, job.isRunning { return " searching… \(job.scanned) events " }
        if let f = model.filterProgress, !f.complete {
            let total = max(1, model.index.recordCount)
            return " filtering \(min(100, f.scanned * 100 / total))% "
        }
        if !model.index.isComplete {
            let progress = model.indexProgress
            var text = " indexing"
            if let fraction = progress.fraction {
                let width = 10
                let filled = min(width, Int((fraction * Double(width)).rounded(.down)))
                let bar = String(repeating: glyphs.unicode ? "█" : "#", count: filled)
                    + String(repeating: glyphs.unicode ? "░" : "-", count: width - filled)
                text += " " + bar + " \(Int(fraction * 100))%"
            } else {
                text += " \(model.index.recordCount) events"
            }
            text += " " + compactCount(progress.recordsPerSecond) + " ev/s"
            if let left = progress.secondsLeft { text += " " + compactSeconds(left) + " left" }
            return text + " "
        }
        return nil
    }

    /// `950`, `12.3k`, `4.5M`.
    static func compactCount(_ n: Double) -> String {
        if n >= 1e9 { return String(format1(n / 1e9)) + "G" }
        if n >= 1e6 { return String(format1(n / 1e6)) + "M" }
        if n >= 1e3 { return String(format1(n / 1e3)) + "k" }
        return String(Int(n))
    }

    /// `42s`, `3m05s`.
    static func compactSeconds(_ s: Double) -> String {
        let whole = Int(max(0, min(s, 359_999)).rounded(.up))
        if whole < 60 { return "\(whole)s" }
        let m = whole / 60, r = whole % 60
        return "\(m)m" + (r < 10 ? "0" : "") + "\(r)s"
    }

    private static func format1(_ v: Double) -> String {
        let tenths = Int((v * 10).rounded())
        return "\(tenths / 10).\(tenths % 10)"
    }
}
