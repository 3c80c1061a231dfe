/// Help: every action with its keys, grouped, then a summary of the filter language.
public struct HelpWidget {
    public var keymap: Keymap
    public var scroll: Int
    public var glyphs: Glyphs
    /// Keys of the program around the viewer (e.g. the live viewer's), shown first.
    public var extra: [HelpSection]

    public init(keymap: Keymap, scroll: Int, glyphs: Glyphs, extra: [HelpSection] = []) {
        self.keymap = keymap
        self.scroll = scroll
        self.glyphs = glyphs
        self.extra = extra
    }

    /// The help text as (keys, description) lines; a nil key column marks a group title.
    public func lines() -> [(keys: String?, text: String)] {
        var out: [(String?, String)] = []
        for section in extra {
            out.append((nil, section.title))
            for line in section.lines { out.append((line.keys, line.text)) }
            out.append(("", ""))
        }
        var group = ""
        var groups: [String] = []
        for action in Action.allCases where !groups.contains(action.group) { groups.append(action.group) }
        let ordered = Action.allCases.enumerated().sorted {
            let (a, b) = (groups.firstIndex(of: $0.element.group) ?? 0, groups.firstIndex(of: $1.element.group) ?? 0)
            return a != b ? a < b : $0.offset < $1.offset
        }.map(\.element)
        for action in ordered {
            if action.group != group {
                if !group.isEmpty { out.append(("", "")) }
                group = action.group
                out.append((nil, group))
            }
            let keys = keymap.keys(for: action).map(\.description).joined(separator: ", ")
            out.append((keys.isEmpty ? "(unbound)" : keys, action.help))
        }
        out.append(("", ""))
        out.append((nil, "Mouse"))
        out.append(("click", "Select an event in the list, or a time in the timeline"))
        out.append(("wheel", "Scroll the list or details; zoom the timeline around the pointer"))
        out.append(("", ""))
        out.append((nil, "Filter language (f, /, and ringside dump --filter)"))
        for (example, meaning) in [
            ("event == \"sched_switch\"", "event name (also sched:sched_switch)"),
            ("event =~ \"sched_*\"", "glob; =~ /regex/ for a regular expression; !~ negates"),
            ("prev_pid == 42", "any payload or context field by name; $name for a field named like a built-in"),
            ("cpu, pid, comm (task), time, elapsed, trace", "built-ins"),
            ("== != < <= > >=", "comparisons; numbers decimal or 0x hex"),
            ("time > 173.8 && elapsed < 1.5ms", "times with units: ns us ms s m h; 22:50:11.5 for a time of day"),
            ("&& || ! ( )", "combine; also and, or, not"),
        ] {
            out.append((example, meaning))
        }
        return out
    }

    public func render(into buffer: inout CellBuffer, area: Rect) {
        let box = BoxWidget(title: "Help", footer: "Esc or ? closes  j/k scroll", glyphs: glyphs)
        let inside = box.render(into: &buffer, area: area)
        guard !inside.isEmpty else { return }
        let all = lines()
        let keyWidth = min(inside.width / 2, max(12, all.compactMap { $0.keys?.count }.filter { $0 < 30 }.max() ?? 12))
        let first = max(0, min(scroll, all.count - inside.height))
        for (i, line) in all.dropFirst(first).prefix(inside.height).enumerated() {
            let y = inside.y + i
            guard let keys = line.keys else {
                buffer.write(line.text, x: inside.x + 1, y: y, role: .header, maxX: inside.maxX)
                continue
            }
            let end = buffer.write(keys, x: inside.x + 2, y: y, role: .helpKey, maxX: inside.maxX)
            let textX = max(end + 2, inside.x + 2 + keyWidth + 2)
            buffer.write(line.text, x: textX, y: y, role: .normal, maxX: inside.maxX)
        }
    }
}

/// A group of keys for the help screen that the keymap does not know (handled around the viewer).
public struct HelpSection: Equatable {
    public var title: String
    public var lines: [(keys: String, text: String)]

    public init(title: String, lines: [(keys: String, text: String)]) {
        self.title = title
        self.lines = lines
    }

    public static func == (a: HelpSection, b: HelpSection) -> Bool {
        a.title == b.title && a.lines.elementsEqual(b.lines) { $0.keys == $1.keys && $0.text == $1.text }
    }
}
