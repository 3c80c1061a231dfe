import TraceKit

/// Applies input to the `AppState` (the reducer) and tells what must be redrawn. Keys go through the
/// keymap to `Action`s; prompts and overlays see keys first.
public final class ViewerController {
    public private(set) var state: AppState
    public let model: ViewerModel
    public var keymap: Keymap
    /// Keys handled around the viewer (the live viewer's), listed first by `?`.
    public var extraHelp: [HelpSection] = []
    public private(set) var themes: ThemeCatalog
    /// Drawn lanes kept between frames.
    public let timelineCache = TimelineCache()

    public init(model: ViewerModel, width: Int, height: Int, themes: ThemeCatalog = ThemeCatalog(directories: []),
                themeIndex: Int = 0, keymap: Keymap = .standard) {
        self.model = model
        self.themes = themes
        self.keymap = keymap
        state = AppState(width: width, height: height)
        state.themeIndex = max(0, min(themeIndex, themes.themes.count - 1))
        if let warning = themes.warnings.first { show(warning, error: true) }
        syncView()
        state.cursorTime = model.traceStart
    }

    public var theme: Theme { themes.themes[state.themeIndex] }

    public var layout: ScreenLayout {
        ScreenLayout(width: state.width, height: state.height, cpuCount: model.activity.laneCount,
                     showDetails: state.showDetails)
    }

    // MARK: - Input

    /// Handles one input event.
    @discardableResult
    public func handle(_ event: InputEvent) -> Redraw {
        switch event {
        case .resize(let w, let h):
            state.width = max(1, w)
            state.height = max(1, h)
            scrollSelectionIntoView()
            return [.all, .full]
        case .mouse(let m):
            return handleMouse(m)
        case .key(let key):
            if state.prompt != nil { return handlePromptKey(key) }
            if state.message != nil && key != .escape {
                state.message = nil
            }
            guard let action = keymap.action(for: key) else {
                show("\(key) is not bound; press ? for help", error: false)
                return .status
            }
            return perform(action)
        }
    }

    /// Applies one action.
    @discardableResult
    public func perform(_ action: Action) -> Redraw {
        if let overlay = state.overlay, let redraw = performInOverlay(overlay, action) { return redraw }
        switch action {
        case .quit:
            state.shouldQuit = true
            return .none
        case .help:
            state.overlay = .help
            state.overlayScroll = 0
            return .overlay
        case .cancel:
            // Esc closes the nearest thing: a running search, a message, then the details pane.
            if model.search?.isRunning == true {
                model.cancelSearch()
                show("search cancelled", error: false)
                return .status
            }
            if state.message != nil {
                state.message = nil
                return .status
            }
            if state.showDetails {
                state.showDetails = false
                if state.focus == .details { state.focus = .list }
                scrollSelectionIntoView()
                return .all
            }
            return .none
        case .down: return state.focus == .details ? scrollDetails(1) : select(row: state.selectedRow + 1)
        case .up: return state.focus == .details ? scrollDetails(-1) : select(row: state.selectedRow - 1)
        case .pageDown:
            if state.focus == .details { return scrollDetails(max(1, layout.details.height - 2)) }
            let page = max(1, layout.list.height - 2)
            state.listTop += page
            return select(row: state.selectedRow + page)
        case .pageUp:
            if state.focus == .details { return scrollDetails(-max(1, layout.details.height - 2)) }
            let page = max(1, layout.list.height - 2)
            state.listTop = max(0, state.listTop - page)
            return select(row: state.selectedRow - page)
        case .first: return select(row: 0)
        case .last:
            let redraw = select(row: model.rowCount - 1)
            if !model.index.isComplete {
                // The end is not known yet: stay on the last row as the index grows.
                state.followTail = true
                show("last event indexed so far (\(indexedShare)); following the end while indexing", error: false)
            }
            return redraw
        case .panLeft, .panRight:
            let direction: Int64 = action == .panLeft ? -1 : 1
            if state.focus == .timeline { return moveCursor(columns: direction) }
            return pan(by: direction * max(1, (state.viewEnd - state.viewStart) / 4))
        case .zoomIn: return zoom(by: 0.5, around: state.cursorTime)
        case .zoomOut: return zoom(by: 2, around: state.cursorTime)
        case .lanesDown, .lanesUp:
            let hidden = max(0, model.activity.laneCount - layout.laneCount)
            state.laneTop = max(0, min(hidden, state.laneTop + (action == .lanesDown ? 1 : -1)))
            return .timeline
        case .fit:
            state.fitted = true
            syncView()
            if !model.index.isComplete {
                show("whole trace; lanes fill in as indexing goes on (\(indexedShare))", error: false)
            }
            return [.timeline, .status]
        case .focusNext, .focusPrevious:
            var panes: [AppState.Pane] = [.list, .timeline]
            if state.showDetails { panes.append(.details) }
            let i = panes.firstIndex(of: state.focus) ?? 0
            let step = action == .focusNext ? 1 : panes.count - 1
            state.focus = panes[(i + step) % panes.count]
            return .all
        case .toggleDetails:
            state.showDetails.toggle()
            if !state.showDetails && state.focus == .details { state.focus = .list }
            state.detailsScroll = 0
            scrollSelectionIntoView()
            return .all
        case .filter:
            openPrompt(.filter, text: state.filterText ?? "")
            return .status
        case .clearFilter:
            guard state.filterText != nil else { return .none }
            applyFilter(nil)
            show("filter removed", error: false)
            return .all
        case .search:
            openPrompt(.search, text: "")
            return .status
        case .searchNext, .searchPrevious:
            guard let text = state.searchText else {
                show("no search yet; press / to search", error: false)
                return .status
            }
            let forward = (action == .searchNext) == state.searchForward
            model.startSearch(SearchQuery(text), fromRow: state.selectedRow, forward: forward)
            return .status
        case .gotoTime:
            openPrompt(.gotoTime, text: "")
            return .status
        case .markerA:
            state.markerA = state.cursorTime
            return [.timeline, .status]
        case .markerB:
            state.markerB = state.cursorTime
            return [.timeline, .status]
        case .clearMarkers:
            state.markerA = nil
            state.markerB = nil
            return [.timeline, .status]
        case .bookmark:
            guard let ordinal = model.ordinal(ofRow: state.selectedRow) else { return .none }
            if state.bookmarks.remove(ordinal) == nil { state.bookmarks.insert(ordinal) }
            return [.list, .status]
        case .nextBookmark, .previousBookmark:
            return jumpToBookmark(forward: action == .nextBookmark)
        case .statistics:
            state.overlay = .statistics
            state.overlayScroll = 0
            startStatistics()
            return .overlay
        case .nextTheme:
            state.themeIndex = (state.themeIndex + 1) % max(1, themes.themes.count)
            show("theme: \(theme.name)", error: false)
            return [.all, .full]
        case .redraw:
            return [.all, .full]
        case .reload:
            state.reloadRequested = true
            return .status
        case .sortStatistics, .statisticsRange:
            return .none
        }
    }

    /// Keys while help or statistics cover the screen: scrolling, closing, statistics options.
    private func performInOverlay(_ overlay: AppState.Overlay, _ action: Action) -> Redraw? {
        switch action {
        case .cancel, .quit:
            state.overlay = nil
            return .all
        case .help:
            if overlay == .help { state.overlay = nil; return .all }
            state.overlay = .help
            state.overlayScroll = 0
            return .overlay
        case .statistics:
            if overlay == .statistics { state.overlay = nil; return .all }
            return nil
        case .down: state.overlayScroll += 1; return .overlay
        case .up: state.overlayScroll = max(0, state.overlayScroll - 1); return .overlay
        case .pageDown: state.overlayScroll += max(1, state.height - 6); return .overlay
        case .pageUp: state.overlayScroll = max(0, state.overlayScroll - max(1, state.height - 6)); return .overlay
        case .first: state.overlayScroll = 0; return .overlay
        case .sortStatistics where overlay == .statistics:
            let all = TraceStatistics.SortOrder.allCases
            state.statisticsSort = all[((all.firstIndex(of: state.statisticsSort) ?? 0) + 1) % all.count]
            return .overlay
        case .statisticsRange where overlay == .statistics:
            state.statisticsWholeTrace.toggle()
            startStatistics()
            return .overlay
        case .nextTheme, .redraw:
            return nil
        default:
            return Redraw.none
        }
    }

    /// How much of the trace is indexed, for messages.
    private var indexedShare: String {
        if let fraction = model.indexProgress.fraction { return "\(Int(fraction * 100))% indexed" }
        return "\(model.index.recordCount) events indexed"
    }

    private func startStatistics() {
        model.startStatistics(range: state.statisticsWholeTrace ? nil : state.viewStart...state.viewEnd)
    }

    // MARK: - Reloading

    /// True once after the reload action (the app does the reading).
    public func takeReloadRequest() -> Bool {
        defer { state.reloadRequested = false }
        return state.reloadRequested
    }

    /// Takes over the state of the viewer this one replaces (the same traces read again): view,
    /// markers, bookmarks, theme, panes and filter; the selection goes back to the same time once
    /// the new index reaches it, or follows the end if it did.
    public func adopt(_ old: AppState) {
        var s = old
        s.prompt = nil
        s.anchorOrdinal = nil
        s.shouldQuit = false
        s.reloadRequested = false
        s.message = nil
        s.filterText = nil
        state = s
        if let text = old.filterText, let filter = try? EventFilter(text) {
            try? model.apply(filter: filter)
            state.filterText = text
        }
        state.selectedRow = 0
        state.listTop = 0
        state.pendingCursorTime = old.followTail ? nil : old.cursorTime
        if old.followTail { select(row: model.rowCount - 1) }
        syncView()
        if old.overlay == .statistics { startStatistics() }
    }

    // MARK: - Selection and scrolling

    /// Selects `row` (clamped), scrolls it into view, moves the time cursor to its event and the
    /// timeline to the cursor.
    @discardableResult
    public func select(row: Int) -> Redraw {
        let count = model.rowCount
        state.anchorOrdinal = nil
        guard count > 0 else {
            state.selectedRow = 0
            state.listTop = 0
            return .all
        }
        state.selectedRow = max(0, min(row, count - 1))
        state.followTail = row >= count - 1 && count > 1
        state.detailsScroll = 0
        scrollSelectionIntoView()
        if let ordinal = model.ordinal(ofRow: state.selectedRow), let record = model.record(atOrdinal: ordinal) {
            state.cursorTime = SaturatingTime.clampForView(record.timestamp)
            keepCursorVisible()
        }
        return .all
    }

    private func scrollSelectionIntoView() {
        let height = max(1, layout.list.height - 1)
        let count = model.rowCount
        if state.selectedRow < state.listTop { state.listTop = state.selectedRow }
        if state.selectedRow >= state.listTop + height { state.listTop = state.selectedRow - height + 1 }
        state.listTop = max(0, min(state.listTop, max(0, count - height)))
    }

    private func scrollDetails(_ delta: Int) -> Redraw {
        state.detailsScroll = max(0, state.detailsScroll + delta)
        return .details
    }

    // MARK: - Timeline

    /// Keeps the view on the trace while it is fitted (the index grows in the background).
    private func syncView() {
        if state.fitted {
            state.viewStart = model.traceStart
            state.viewEnd = max(model.traceEnd, model.traceStart + 1)
        }
    }

    private func keepCursorVisible() {
        let t = state.cursorTime
        guard t < state.viewStart || t >= state.viewEnd else { return }
        let span = state.viewEnd - state.viewStart
        state.viewStart = t - span / 2
        state.viewEnd = state.viewStart + span
        state.fitted = false
        clampView()
    }

    private func clampView() {
        let span = state.viewEnd - state.viewStart
        let traceSpan = model.traceEnd - model.traceStart
        if span >= traceSpan {
            // Zoomed out past the trace: keep it centred.
            let middle = model.traceStart + traceSpan / 2
            state.viewStart = middle - span / 2
            state.viewEnd = state.viewStart + span
            return
        }
        if state.viewStart < model.traceStart {
            state.viewStart = model.traceStart
            state.viewEnd = state.viewStart + span
        }
        if state.viewEnd > model.traceEnd {
            state.viewEnd = model.traceEnd
            state.viewStart = state.viewEnd - span
        }
    }

    private func pan(by delta: Int64) -> Redraw {
        state.viewStart += delta
        state.viewEnd += delta
        state.fitted = false
        clampView()
        return [.timeline, .status]
    }

    /// Zooms by `factor` (0.5: in) keeping `time` at the same column.
    @discardableResult
    public func zoom(by factor: Double, around time: Int64) -> Redraw {
        let span = Double(state.viewEnd - state.viewStart)
        let minimum = Double(max(10, layout.timeArea.width))
        let maximum = min(Double(SaturatingTime.viewLimit), Double(model.traceEnd - model.traceStart) * 4)
        let newSpan = max(minimum, min(max(minimum, maximum), span * factor))
        guard newSpan != span else { return .none }
        let anchor = min(max(time, state.viewStart), state.viewEnd)
        let ratio = span > 0 ? Double(anchor - state.viewStart) / span : 0.5
        state.viewStart = anchor - SaturatingTime.int64(newSpan * ratio)
        state.viewEnd = state.viewStart + SaturatingTime.int64(newSpan)
        state.fitted = false
        clampView()
        return [.timeline, .status]
    }

    /// Moves the time cursor by whole timeline columns and selects the nearest event.
    private func moveCursor(columns: Int64) -> Redraw {
        let width = Int64(max(1, layout.timeArea.width))
        let step = max(1, (state.viewEnd - state.viewStart) / width)
        return setCursor(time: SaturatingTime.sum(state.cursorTime, columns * step))
    }

    /// Puts the time cursor at `time` and selects the event nearest to it.
    @discardableResult
    public func setCursor(time: Int64) -> Redraw {
        let row = model.row(nearestTime: time)
        if model.rowCount > 0 {
            state.selectedRow = row
            state.detailsScroll = 0
            scrollSelectionIntoView()
        }
        state.cursorTime = SaturatingTime.clampForView(time)
        keepCursorVisible()
        return .all
    }

    // MARK: - Bookmarks

    private func jumpToBookmark(forward: Bool) -> Redraw {
        guard !state.bookmarks.isEmpty else {
            show("no bookmarks; press b to bookmark the selected event", error: false)
            return .status
        }
        let current = model.ordinal(ofRow: state.selectedRow) ?? -1
        let sorted = state.bookmarks.sorted()
        let target = forward ? (sorted.first(where: { $0 > current }) ?? sorted[0])
            : (sorted.last(where: { $0 < current }) ?? sorted[sorted.count - 1])
        if forward ? target <= current : target >= current { show("bookmarks wrapped", error: false) }
        return select(row: model.row(nearestOrdinal: target))
    }

    // MARK: - Prompts

    private func openPrompt(_ kind: AppState.PromptKind, text: String) {
        state.prompt = AppState.Prompt(kind: kind, text: text, cursor: text.count)
        state.message = nil
        validatePrompt()
    }

    private func handlePromptKey(_ key: Key) -> Redraw {
        guard var prompt = state.prompt else { return .none }
        var chars = Array(prompt.text)
        switch key {
        case .escape:
            state.prompt = nil
            return .all
        case .enter:
            return submit(prompt)
        case .char(let c):
            chars.insert(c, at: min(prompt.cursor, chars.count))
            prompt.cursor += 1
        case .backspace:
            if prompt.cursor > 0 {
                chars.remove(at: prompt.cursor - 1)
                prompt.cursor -= 1
            } else if chars.isEmpty {
                state.prompt = nil
                return .all
            }
        case .delete, .ctrl("d"):
            if prompt.cursor < chars.count { chars.remove(at: prompt.cursor) }
        case .left, .ctrl("b"): prompt.cursor = max(0, prompt.cursor - 1)
        case .right, .ctrl("f"): prompt.cursor = min(chars.count, prompt.cursor + 1)
        case .home, .ctrl("a"): prompt.cursor = 0
        case .end, .ctrl("e"): prompt.cursor = chars.count
        case .ctrl("u"):
            chars.removeFirst(min(prompt.cursor, chars.count))
            prompt.cursor = 0
        case .ctrl("k"):
            chars.removeLast(max(0, chars.count - prompt.cursor))
        default:
            return .none
        }
        prompt.text = String(chars)
        state.prompt = prompt
        validatePrompt()
        return .status
    }

    /// Shows filter errors while typing.
    private func validatePrompt() {
        guard var prompt = state.prompt else { return }
        prompt.error = nil
        prompt.errorColumn = nil
        if prompt.kind == .filter, !prompt.text.trimmingCharacters(in: " ").isEmpty {
            do {
                _ = try EventFilter(prompt.text)
            } catch let e as FilterError {
                prompt.error = e.message
                prompt.errorColumn = e.column
            } catch {
                prompt.error = String(describing: error)
            }
        }
        state.prompt = prompt
    }

    private func submit(_ prompt: AppState.Prompt) -> Redraw {
        let text = prompt.text.trimmingCharacters(in: " ")
        switch prompt.kind {
        case .filter:
            if text.isEmpty {
                state.prompt = nil
                applyFilter(nil)
                return .all
            }
            do {
                let filter = try EventFilter(text)
                state.prompt = nil
                applyFilter(filter)
            } catch let e as FilterError {
                var p = prompt
                p.error = e.message
                p.errorColumn = e.column
                state.prompt = p
                return .status
            } catch {
                return .status
            }
            return .all
        case .search:
            state.prompt = nil
            guard !text.isEmpty else { return .all }
            state.searchText = text
            state.searchForward = true
            model.startSearch(SearchQuery(text), fromRow: state.selectedRow, forward: true)
            return .all
        case .gotoTime:
            state.prompt = nil
            guard !text.isEmpty else { return .all }
            switch GotoTarget.parse(text, cursor: state.cursorTime, traceStart: model.traceStart,
                                    domain: model.set.timeDomain) {
            case .event(let n)?:
                guard n >= 1, n <= model.index.recordCount else {
                    show("no event #\(n): the trace has \(model.index.recordCount) events", error: true)
                    return .all
                }
                let redraw = select(row: model.row(nearestOrdinal: n - 1))
                if !model.isShown(n - 1) { show("event #\(n) is hidden by the filter; showing the next match", error: false) }
                return redraw
            case .time(let t)?:
                return setCursor(time: t)
            case nil:
                show("cannot read '\(text)' as a time (173.8, 22:50:11.5, +1.5ms) or event number (#42)", error: true)
                return .all
            }
        }
    }

    private func applyFilter(_ filter: EventFilter?) {
        let ordinal = model.ordinal(ofRow: state.selectedRow) ?? 0
        do {
            try model.apply(filter: filter)
        } catch {
            show("cannot filter: \(error)", error: true)
            return
        }
        state.filterText = filter?.text
        state.anchorOrdinal = ordinal
        state.listTop = 0
        state.selectedRow = model.row(nearestOrdinal: ordinal)
        scrollSelectionIntoView()
    }

    public func show(_ message: String, error: Bool) {
        state.message = message
        state.messageIsError = error
    }

    // MARK: - Mouse

    private func handleMouse(_ m: MouseEvent) -> Redraw {
        let l = layout
        if state.overlay != nil {
            switch m.kind {
            case .wheelDown: return perform(.down)
            case .wheelUp: return perform(.up)
            default: return .none
            }
        }
        let inTimeline = m.y >= l.ruler.y && m.y < l.lanes.maxY
        switch m.kind {
        case .wheelUp, .wheelDown:
            let up = m.kind == .wheelUp
            if inTimeline {
                let t = m.x >= l.timeArea.x ? l.time(atColumn: m.x, start: state.viewStart, end: state.viewEnd)
                    : state.cursorTime
                return zoom(by: up ? 0.5 : 2, around: t)
            }
            if l.details.contains(x: m.x, y: m.y) { return scrollDetails(up ? -3 : 3) }
            return select(row: state.selectedRow + (up ? -3 : 3))
        case .press(let button) where button == 1:
            if inTimeline && m.x >= l.timeArea.x {
                state.focus = .timeline
                return setCursor(time: l.time(atColumn: m.x, start: state.viewStart, end: state.viewEnd))
            }
            if l.list.contains(x: m.x, y: m.y) {
                state.focus = .list
                return select(row: state.listTop + (m.y - l.list.y))
            }
            if l.details.contains(x: m.x, y: m.y) {
                state.focus = .details
                return .all
            }
            return .none
        default:
            return .none
        }
    }

    // MARK: - Background work

    /// Runs background work until `deadline` and follows its results (new rows, found matches,
    /// the view growing with the index).
    @discardableResult
    public func tick(until deadline: UInt64) -> Redraw {
        guard model.hasBackgroundWork else { return .none }
        let progress = model.doBackgroundWork(until: deadline)
        return follow(progress)
    }

    /// Updates the state after background progress.
    public func follow(_ progress: BackgroundProgress) -> Redraw {
        var redraw: Redraw = .status
        if progress.indexed || progress.filtered {
            // A selection on the last row follows new records (live traces, growing index).
            if state.followTail && state.anchorOrdinal == nil && model.rowCount > 0 {
                state.selectedRow = model.rowCount - 1
                scrollSelectionIntoView()
            }
        }
        if progress.indexed, let t = state.pendingCursorTime,
           model.index.isComplete || (model.index.lastTimestamp ?? .min) >= t {
            state.pendingCursorTime = nil
            setCursor(time: t)
        }
        if progress.indexed {
            let wasEmpty = state.viewEnd - state.viewStart <= 1
            syncView()
            if wasEmpty && model.index.recordCount > 0 && state.cursorTime < model.traceStart {
                state.cursorTime = model.traceStart
            }
            redraw.formUnion([.timeline, .list, .details])
        }
        if progress.filtered || progress.indexed, let anchor = state.anchorOrdinal {
            state.selectedRow = model.row(nearestOrdinal: anchor)
            scrollSelectionIntoView()
            if model.filterProgress?.complete ?? true, model.index.isComplete {
                state.anchorOrdinal = nil
                if let ordinal = model.ordinal(ofRow: state.selectedRow), let r = model.record(atOrdinal: ordinal) {
                    state.cursorTime = SaturatingTime.clampForView(r.timestamp)
                    keepCursorVisible()
                }
                redraw.formUnion(.urgent)
            }
            redraw.formUnion(.all)
        }
        if progress.searched, let job = model.search, !job.isRunning {
            if let found = job.found {
                if job.wrapped { show("search wrapped around", error: false) }
                select(row: model.row(nearestOrdinal: found))
            } else {
                show("not found: \(job.query.text)", error: true)
            }
            model.cancelSearch()
            redraw.formUnion([.all, .urgent])
        }
        if progress.counted { redraw.formUnion(.overlay) }
        return redraw
    }
}

/// Where `t` goes: an event number or a time.
public enum GotoTarget: Equatable {
    case event(Int)
    case time(Int64)

    /// `#N` or a plain integer: event N (1-based). `+1.5ms` / `-2us`: relative to the cursor.
    /// `22:50:11.5`: time of day (epoch clocks) or hours:minutes:seconds. Otherwise a time as the
    /// list shows it (seconds by default): absolute on boot-time clocks, from the trace start on epoch
    /// clocks.
    public static func parse(_ text: String, cursor: Int64, traceStart: Int64, domain: TimeDomain) -> GotoTarget? {
        var t = text.trimmingCharacters(in: " ")
        if t.hasPrefix("#") {
            t.removeFirst()
            return Int(t.filter { $0 != "," && $0 != "_" }).map { .event($0) }
        }
        if !t.isEmpty, t.allSatisfy({ $0.isASCII && ($0.isNumber || $0 == "," || $0 == "_") }) {
            return Int(t.filter { $0 != "," && $0 != "_" }).map { .event($0) }
        }
        if t.hasPrefix("+") || t.hasPrefix("-") {
            return DurationParser.nanoseconds(t).map { .time(SaturatingTime.sum(cursor, $0)) }
        }
        if t.contains(":") {
            let parts = t.split(separator: ":", omittingEmptySubsequences: false)
            guard parts.count >= 2, parts.count <= 3 else { return nil }
            let numbers = parts.dropLast().compactMap { Int64($0) }
            guard numbers.count == parts.count - 1, numbers.allSatisfy({ $0 >= 0 }) else { return nil }
            guard let seconds = DurationParser.nanoseconds(parts[parts.count - 1]) else { return nil }
            var ns = seconds
            for (i, v) in numbers.reversed().enumerated() { ns += v * (i == 0 ? 60_000_000_000 : 3_600_000_000_000) }
            if domain == .unixEpoch {
                let day: Int64 = 86_400_000_000_000
                var dayStart = traceStart - ((traceStart % day) + day) % day
                if dayStart + ns < traceStart - day / 2 { dayStart += day }
                return .time(SaturatingTime.sum(dayStart, ns))
            }
            return .time(ns)
        }
        guard let ns = DurationParser.nanoseconds(t) else { return nil }
        return .time(domain == .unixEpoch ? SaturatingTime.sum(traceStart, ns) : ns)
    }
}
