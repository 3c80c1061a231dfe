/// The bottom line: segments separated by bars, a message, and the help hint on the right.
public struct StatusBarWidget {
    public var segments: [String]
    public var message: String?
    public var messageIsError: Bool
    public var progress: String?
    public var glyphs: Glyphs

    public init(segments: [String], message: String? = nil, messageIsError: Bool = false, progress: String? = nil,
                glyphs: Glyphs) {
        self.segments = segments
        self.message = message
        self.messageIsError = messageIsError
        self.progress = progress
        self.glyphs = glyphs
    }

    public func render(into buffer: inout CellBuffer, area: Rect) {
        guard area.height > 0 else { return }
        buffer.fill(area.row(0), with: Cell(" ", role: .statusBar))
        let hint = "? help  q quit"
        let right = area.maxX - hint.count - 1
        var x = area.x + 1
        let separator = " " + String(glyphs.vertical) + " "
        if let progress {
            x = buffer.write(progress, x: x, y: area.y, role: .progress, maxX: right)
            x = buffer.write(" ", x: x, y: area.y, role: .statusBar, maxX: right)
        }
        if let message {
            x = buffer.write(" " + message + " ", x: x, y: area.y, role: messageIsError ? .error : .statusAccent, maxX: right)
            x = buffer.write(separator, x: x, y: area.y, role: .statusBar, maxX: right)
        }
        for (i, segment) in segments.enumerated() {
            if i > 0 { x = buffer.write(separator, x: x, y: area.y, role: .statusBar, maxX: right) }
            x = buffer.write(segment, x: x, y: area.y, role: i == 0 ? .statusAccent : .statusBar, maxX: right)
        }
        if right > x { buffer.write(hint, x: right, y: area.y, role: .statusBar) }
    }
}

/// A one-line prompt (filter, search, go to) with the cursor and, for bad filters, a caret line
/// pointing at the offending column.
public struct PromptWidget {
    public var prompt: AppState.Prompt
    public var glyphs: Glyphs

    public init(prompt: AppState.Prompt, glyphs: Glyphs) {
        self.prompt = prompt
        self.glyphs = glyphs
    }

    /// Draws the prompt on the last row of `area` and the error on the row above it.
    public func render(into buffer: inout CellBuffer, area: Rect) {
        guard area.height > 0 else { return }
        let y = area.maxY - 1
        buffer.fill(area.row(area.height - 1), with: Cell(" ", role: .prompt))
        let label = prompt.label
        let textX = area.x + label.count
        buffer.write(label, x: area.x, y: y, role: .prompt)
        let chars = Array(prompt.text)
        // Scroll the text so the cursor stays visible.
        let room = max(1, area.width - label.count - 1)
        let offset = max(0, prompt.cursor - room + 1)
        let shown = String(chars.dropFirst(offset).prefix(room))
        buffer.write(shown, x: textX, y: y, role: .prompt, maxX: area.maxX)
        let cursorX = textX + prompt.cursor - offset
        let under: Unicode.Scalar = prompt.cursor < chars.count ? (chars[prompt.cursor].unicodeScalars.first ?? " ") : " "
        buffer[cursorX, y] = Cell(under, role: .selectedRow)
        if let error = prompt.error, area.height >= 2 {
            let ey = y - 1
            buffer.fill(area.row(area.height - 2), with: Cell(" ", role: .error))
            var caretX = area.x
            if let column = prompt.errorColumn {
                caretX = max(area.x, min(area.maxX - 1, textX + column - 1 - offset))
                buffer[caretX, ey] = Cell("^", role: .error)
            }
            let message = (prompt.errorColumn.map { "column \($0): " } ?? "") + error
            let messageX = caretX + 2 + CharacterWidth.of(message) <= area.maxX ? caretX + 2
                : max(area.x, caretX - 2 - CharacterWidth.of(message))
            buffer.write(message, x: messageX, y: ey, role: .error, maxX: area.maxX)
        }
    }
}
