import CursesBackend
import Dispatch
import Foundation
import Live
import TerminalUI
import TraceKit

/// The viewer on a growing live trace: the standard viewer (timeline, list, details, filter,
/// search ...) over `LiveEngine.trace`, fed between keystrokes. It follows new events (the list
/// keeps the newest selected) until `Space` pauses the view (reading goes on, into the bounded
/// window); moving in the list pauses too, `Space` resumes. `p` opens the control panel.
final class LiveViewer {
    let engine: LiveEngine
    let terminal: CursesTerminal
    private var controller: ViewerController
    private let themes: ThemeCatalog
    private var panel: LiveControlPanel?
    private var panelOpen = false
    private var panelPrompt: LiveControlPanelView.Prompt?
    private var panelPageSize = 10
    private var following = true
    private var dropGeneration = 0
    private let shouldStop: () -> Bool
    /// Draw at most this often while only new data arrives.
    private let dataRedrawNanoseconds: UInt64 = 100_000_000

    init(engine: LiveEngine, terminal: CursesTerminal, themes: ThemeCatalog, themeIndex: Int,
         notice: String? = nil, shouldStop: @escaping () -> Bool) throws {
        self.engine = engine
        self.terminal = terminal
        self.themes = themes
        self.shouldStop = shouldStop
        let size = terminal.size
        controller = ViewerController(model: try ViewerModel(set: TraceSet(traces: [engine.trace])),
                                      width: size.width, height: size.height, themes: themes, themeIndex: themeIndex)
        if let notice { controller.show(notice, error: true) }
        controller.extraHelp = Self.help(panel: engine.session != nil)
        if let session = engine.session {
            let panel = try LiveControlPanel(session: session)
            panel.onEventsChanged = { [engine] in engine.reloadFormats() }
            self.panel = panel
        }
    }

    /// The window dropped old pages: ordinals moved, so the view is rebuilt on what is held.
    private func rebuildModel() {
        guard let model = try? ViewerModel(set: TraceSet(traces: [engine.trace])) else { return }
        let state = controller.state
        controller = ViewerController(model: model, width: state.width, height: state.height, themes: themes,
                                      themeIndex: state.themeIndex)
        controller.extraHelp = Self.help(panel: panel != nil)
    }

    /// The live keys for the `?` screen.
    static func help(panel: Bool) -> [HelpSection] {
        var lines: [(keys: String, text: String)] = [
            ("Space", "Pause following new events (reading goes on); Space again resumes"),
            ("G", "Resume following at the newest event"),
            ("j k g PgUp ...", "Moving in the list pauses following"),
        ]
        if panel {
            lines.append(("p", "Events & probes panel: Space switch, Enter open, / search, f kernel filter,"))
            lines.append(("", "F push the view's filter to the kernel, a add probe, d remove, m marker, Esc close"))
        }
        return [HelpSection(title: "Live", lines: lines)]
    }

    private func draw(full: Bool) {
        var buffer = ScreenComposer.render(controller, options: terminal.renderOptions)
        writeLiveStatus(into: &buffer)
        if panelOpen, let panel {
            panelPageSize = LiveControlPanelView.render(panel, prompt: panelPrompt, into: &buffer,
                                                        glyphs: terminal.renderOptions.glyphs)
        }
        terminal.draw(buffer, theme: controller.theme, full: full)
    }

    /// Right end of the title row: follow state, events/s per CPU, what was lost.
    private func writeLiveStatus(into buffer: inout CellBuffer) {
        let trace = engine.trace
        var parts: [String] = [following ? "LIVE" : "PAUSED (Space resumes)"]
        let rates = engine.eventsPerSecond
        let total = rates.values.reduce(0, +)
        var rateText = Self.rate(total) + " ev/s"
        if rates.count > 1 {
            rateText += " (" + rates.keys.sorted().map { "cpu\($0) \(Self.rate(rates[$0] ?? 0))" }.joined(separator: " ") + ")"
        }
        parts.append(rateText)
        // Events the kernel lost (its buffer overran), per CPU; the timeline shows where.
        let lost = trace.kernelStats.filter { $0.value.lost > 0 }.sorted { $0.key < $1.key }
        if !lost.isEmpty {
            parts.append("lost " + lost.map { "cpu\($0.key) \($0.value.lost)" }.joined(separator: " "))
        }
        let dropped = trace.windowDropped.values.reduce(0) { $0 + $1.events }
        if dropped > 0 { parts.append("window dropped \(dropped)") }
        if panel != nil { parts.append("p: events & probes") }
        let text = " " + parts.joined(separator: " │ ") + " "
        let x = max(0, buffer.width - text.count)
        buffer.write(text, x: x, y: 0, role: following ? .statusAccent : .error)
    }

    static func rate(_ value: Double) -> String {
        if value >= 1_000_000 { return String(format: "%.1fM", value / 1_000_000) }
        if value >= 1_000 { return String(format: "%.1fk", value / 1_000) }
        return String(format: "%.0f", value)
    }

    /// Keys that move in the trace: while following they pause the view first.
    private func isNavigation(_ key: Key) -> Bool {
        switch key {
        case .up, .down, .pageUp, .pageDown, .home, .left, .right: return true
        case .char(let c): return "jkhlg".contains(c)
        default: return false
        }
    }

    /// Runs until `q` or a stop request; returns the exit status.
    func run() -> Int32 {
        engine.pump()
        controller.model.traceGrew()
        controller.tick(until: MonotonicClock.now() + 20_000_000)
        draw(full: true)
        var lastDraw = MonotonicClock.now()
        var pending = false
        var grew = false
        while !controller.state.shouldQuit && !shouldStop() {
            let busy = controller.model.hasBackgroundWork
            if let event = terminal.readInput(timeoutMilliseconds: busy ? 0 : 20) {
                var full = false
                if case .resize = event { full = true }
                if panelOpen, case .key(let key) = event, let panel {
                    panelOpen = LiveControlPanelView.handle(key, panel: panel, prompt: &panelPrompt, pageSize: panelPageSize,
                                                            viewerFilter: controller.state.filterText)
                } else if case .key(.char(" ")) = event, controller.state.prompt == nil, controller.state.overlay == nil {
                    following.toggle()
                    if following {
                        controller.model.traceGrew()
                        controller.perform(.last)
                    }
                } else if case .key(.char("p")) = event, panel != nil, controller.state.prompt == nil {
                    panelOpen = true
                    try? panel?.reload()
                } else {
                    if case .key(let key) = event, following, controller.state.prompt == nil, isNavigation(key) {
                        following = false
                    }
                    if case .key(.char("G")) = event, controller.state.prompt == nil, !following {
                        following = true
                        controller.model.traceGrew()
                    }
                    let redraw = controller.handle(event)
                    full = full || redraw.contains(.full)
                }
                draw(full: full)
                lastDraw = MonotonicClock.now()
                continue
            }
            // New pages: index them (the model continues where it stopped). While paused the
            // model does not look: the view stays as it is and reading goes on into the window.
            if engine.pump().changed { grew = true }
            if grew && following {
                grew = false
                if engine.trace.dropGeneration != dropGeneration {
                    dropGeneration = engine.trace.dropGeneration
                    rebuildModel()
                    controller.perform(.last)
                } else {
                    controller.model.traceGrew()
                }
                pending = true
            }
            let redraw = controller.tick(until: MonotonicClock.now() + 8_000_000)
            if !redraw.isEmpty { pending = true }
            if pending && MonotonicClock.now() - lastDraw >= dataRedrawNanoseconds {
                // Following: the newest record is selected and the timeline pans to keep it in
                // view. Done only when a frame is drawn: finding the row reads records from the
                // nearest checkpoint, so once per frame rather than once per page.
                if following && controller.state.prompt == nil && controller.state.overlay == nil
                    && controller.model.rowCount > 0 && controller.state.cursorTime != controller.model.traceEnd {
                    controller.setCursor(time: controller.model.traceEnd)
                }
                draw(full: false)
                lastDraw = MonotonicClock.now()
                pending = false
            }
        }
        return 0
    }
}
