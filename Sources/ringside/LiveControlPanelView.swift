import Live
import TerminalUI

/// Draws the live control panel (`p`) over the viewer and turns keys into panel actions.
struct LiveControlPanelView {
    /// A one-line prompt inside the panel.
    struct Prompt {
        enum Kind: String {
            case search = "search"
            case filter = "kernel filter"
            case probe = "add probe"
            case marker = "marker"
        }
        var kind: Kind
        var text: String
    }

    static let footer = "Space toggle  Enter open  / search  f filter  F push view filter  a add probe  d remove  m marker  Esc close"

    /// Handles a key; returns false when the panel should close.
    static func handle(_ key: Key, panel: LiveControlPanel, prompt: inout Prompt?, pageSize: Int,
                       viewerFilter: String?) -> Bool {
        if var current = prompt {
            switch key {
            case .escape:
                if current.kind == .search { panel.search = "" }
                prompt = nil
            case .enter:
                prompt = nil
                switch current.kind {
                case .search: panel.search = current.text
                case .filter: panel.setFilter(current.text)
                case .probe: panel.addProbe(current.text)
                case .marker: panel.writeMarker(current.text)
                }
            case .backspace:
                if !current.text.isEmpty { current.text.removeLast() }
                prompt = current
                if current.kind == .search { panel.search = current.text }
            case .char(let c):
                current.text.append(c)
                prompt = current
                if current.kind == .search { panel.search = current.text }
            default:
                break
            }
            return true
        }
        switch key {
        case .escape, .char("p"), .char("q"): return false
        case .down, .char("j"): panel.selection += 1
        case .up, .char("k"): panel.selection -= 1
        case .pageDown: panel.selection += pageSize
        case .pageUp: panel.selection -= pageSize
        case .home, .char("g"): panel.selection = 0
        case .end, .char("G"): panel.selection = panel.rows.count - 1
        case .enter, .right, .left, .char("l"), .char("h"): panel.toggleExpanded()
        case .char(" "): panel.toggleSelected()
        case .char("/"): prompt = Prompt(kind: .search, text: panel.search)
        case .char("f"):
            if panel.selectedEvent != nil {
                var current = ""
                if case .event(_, _, let filter?, _)? = panel.selectedRow { current = filter }
                prompt = Prompt(kind: .filter, text: current)
            }
        case .char("F"): panel.pushDown(viewerFilter: viewerFilter)
        case .char("a"): prompt = Prompt(kind: .probe, text: "")
        case .char("d"): panel.removeSelectedProbe()
        case .char("m"): prompt = Prompt(kind: .marker, text: "")
        default: break
        }
        return true
    }

    /// Draws the panel in the middle of `buffer`.
    static func render(_ panel: LiveControlPanel, prompt: Prompt?, into buffer: inout CellBuffer, glyphs: Glyphs) -> Int {
        let width = min(buffer.width - 2, max(60, buffer.width * 4 / 5))
        let height = min(buffer.height - 2, max(12, buffer.height * 4 / 5))
        let area = Rect(x: (buffer.width - width) / 2, y: (buffer.height - height) / 2, width: width, height: height)
        let inside = BoxWidget(title: "events and probes in \(panel.session.instance.displayName)",
                               footer: footer, glyphs: glyphs).render(into: &buffer, area: area)
        guard inside.height > 2 else { return 1 }
        // Bottom lines: the prompt, then the last message (with the kernel's explanation).
        var messageLines: [(String, StyleRole)] = []
        switch panel.message {
        case .info(let text)?: messageLines.append((text, .dim))
        case .error(let text, let detail)?:
            messageLines.append((text, .error))
            for line in (detail ?? "").split(separator: "\n").prefix(3) { messageLines.append((String(line), .error)) }
        case nil: break
        }
        let reserved = messageLines.count + (prompt == nil ? 0 : 1)
        let listHeight = max(1, inside.height - reserved)
        let top = max(0, min(panel.selection - listHeight / 2, panel.rows.count - listHeight))
        for (i, row) in panel.rows.dropFirst(top).prefix(listHeight).enumerated() {
            let y = inside.y + i
            let selected = top + i == panel.selection
            let text: String
            switch row {
            case .subsystem(let name, let on, let total, let open):
                text = (open ? "▾ " : "▸ ").replacingASCII(glyphs.unicode) + name + "  (\(on)/\(total) on)"
            case .event(let event, let on, let filter, let dynamic):
                var line = "   [" + (on ? "x" : " ") + "] " + event.description
                if dynamic { line += "  (probe)" }
                if let filter { line += "  filter: " + filter }
                text = line
            }
            let role: StyleRole = selected ? .selectedRow : .normal
            if selected { buffer.fill(Rect(x: inside.x, y: y, width: inside.width, height: 1), with: Cell(" ", role: role)) }
            buffer.write(text, x: inside.x, y: y, role: role, maxX: inside.maxX)
        }
        var y = inside.y + listHeight
        if let prompt {
            buffer.write(prompt.kind.rawValue + ": " + prompt.text + "▏", x: inside.x, y: y, role: .prompt, maxX: inside.maxX)
            y += 1
        }
        for (text, role) in messageLines {
            buffer.write(text, x: inside.x, y: y, role: role, maxX: inside.maxX)
            y += 1
        }
        return listHeight
    }
}

private extension String {
    func replacingASCII(_ unicode: Bool) -> String {
        unicode ? self : (self == "▾ " ? "v " : "> ")
    }
}
