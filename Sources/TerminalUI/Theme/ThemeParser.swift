/// A theme file that could not be read, naming the file and line.
public struct ThemeError: Error, CustomStringConvertible, Equatable {
    public var file: String
    public var line: Int
    public var message: String
    public var description: String { line > 0 ? "\(file):\(line): \(message)" : "\(file): \(message)" }
}

/// Reads theme files: one `role = FOREGROUND [on BACKGROUND] [bold|dim|underline|reverse|italic]...`
/// per line, `name = TEXT` for the theme's name, `#` comments. Colours are `default`, basic names
/// (`red`, `bright-blue`), `0`...`255`, or `#rrggbb`.
///
///     name = light
///     selected = black on 153 bold
///     task.0 = 25 on 25
public enum ThemeParser {
    public static func parse(_ text: String, file: String, base: Theme = BuiltinThemes.default) throws -> Theme {
        var name = file.split(separator: "/").last.map { String($0.split(separator: ".").first ?? $0) } ?? file
        var styles: [StyleRole: TextStyle] = [:]
        for (n, rawLine) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let trimmed = stripComment(String(rawLine)).trimmingCharacters(in: " \t\r")
            if trimmed.isEmpty { continue }
            guard let eq = trimmed.firstIndex(of: "=") else {
                throw ThemeError(file: file, line: n + 1, message: "expected 'role = colours'")
            }
            let key = String(trimmed[..<eq]).trimmingCharacters(in: " \t")
            let value = String(trimmed[trimmed.index(after: eq)...]).trimmingCharacters(in: " \t")
            if key == "name" { name = value; continue }
            guard let role = StyleRole(themeKey: key) else {
                throw ThemeError(file: file, line: n + 1, message: "unknown role '\(key)'")
            }
            styles[role] = try parseStyle(value, file: file, line: n + 1)
        }
        return Theme(name: name, styles: styles, base: base)
    }

    /// The line without its comment: `#` at the start, or `#` after a blank and followed by a blank
    /// or the end (so `#rrggbb` colours are not comments).
    static func stripComment(_ line: String) -> String {
        let chars = Array(line)
        for (i, c) in chars.enumerated() where c == "#" {
            let before = chars[..<i].allSatisfy { $0 == " " || $0 == "\t" } || chars[i - 1] == " " || chars[i - 1] == "\t"
            let after = i + 1 == chars.count || chars[i + 1] == " " || chars[i + 1] == "\t"
            if chars[..<i].allSatisfy({ $0 == " " || $0 == "\t" }) || (before && after) {
                return String(chars[..<i])
            }
        }
        return line
    }

    static func parseStyle(_ text: String, file: String, line: Int) throws -> TextStyle {
        var words = text.split(whereSeparator: { $0 == " " || $0 == "\t" }).map(String.init)
        var style = TextStyle()
        var attributes: TextAttributes = []
        let attributeNames: [String: TextAttributes] = [
            "bold": .bold, "dim": .dim, "underline": .underline, "reverse": .reverse, "italic": .italic,
        ]
        var colours: [Color] = []
        var sawOn = false
        while !words.isEmpty {
            let w = words.removeFirst()
            if let a = attributeNames[w.lowercased()] { attributes.insert(a); continue }
            if w.lowercased() == "on" {
                if colours.isEmpty { colours.append(.terminalDefault) }
                sawOn = true
                continue
            }
            guard let c = Color(parsing: w) else {
                throw ThemeError(file: file, line: line, message: "unknown colour or attribute '\(w)'")
            }
            if colours.count == (sawOn ? 1 : 0) {
                colours.append(c)
            } else {
                throw ThemeError(file: file, line: line, message: "unexpected '\(w)'; write 'FG on BG'")
            }
        }
        if colours.count > 0 { style.foreground = colours[0] }
        if colours.count > 1 { style.background = colours[1] }
        style.attributes = attributes
        return style
    }
}

extension String {
    func trimmingCharacters(in set: String) -> String {
        var s = Substring(self)
        while let f = s.first, set.contains(f) { s = s.dropFirst() }
        while let l = s.last, set.contains(l) { s = s.dropLast() }
        return String(s)
    }
}
