import CNcursesw
import TerminalUI
#if canImport(Glibc)
import Glibc
#endif

/// A problem starting the terminal.
public struct TerminalUnavailable: Error, CustomStringConvertible {
    public var description: String
}

/// The ncursesw terminal: wide characters, colours degraded to what the terminal has, mouse, resize.
/// Only cells that changed since the last frame are written. The terminal is restored on `stop()`,
/// at exit, and on SIGINT, SIGTERM, SIGHUP, SIGQUIT and crash signals.
public final class CursesTerminal: TerminalBackend {
    public let renderOptions: RenderOptions
    private var lastFrame: CellBuffer?
    private var lastTheme: Theme?
    private var pairs: [PairKey: Int32] = [:]
    private var nextPair: Int32 = 1
    private let maxPairs: Int32
    private var stopped = false

    private struct PairKey: Hashable {
        var foreground: Int32
        var background: Int32
    }

    /// Starts curses on the controlling terminal.
    /// - Parameters:
    ///   - forceASCII: draw with ASCII even in a UTF-8 locale.
    ///   - colorMode: colours to use; nil detects them (and honours `NO_COLOR`).
    public init(forceASCII: Bool = false, colorMode: ColorMode? = nil, environment: [String: String]) throws {
        guard isatty(STDIN_FILENO) != 0, isatty(STDOUT_FILENO) != 0 else {
            throw TerminalUnavailable(description: "the viewer needs a terminal; use `ringside dump` to print events")
        }
        setlocale(LC_ALL, "")
        let unicode = !forceASCII && ringside_locale_is_utf8() != 0
        ringside_install_terminal_guards()
        guard newterm(nil, stdout, stdin) != nil else {
            throw TerminalUnavailable(description: "cannot start the terminal (TERM=\(environment["TERM"] ?? "unset"))")
        }
        cbreak()
        noecho()
        nonl()
        intrflush(stdscr, false)
        keypad(stdscr, true)
        curs_set(0)
        // Esc alone is told from escape sequences by waiting this long for more bytes.
        set_escdelay(10)
        mouseinterval(0)
        _ = mousemask(ringside_mouse_mask(), nil)
        var mode: ColorMode = .none
        if has_colors() {
            start_color()
            use_default_colors()
            mode = colorMode ?? ColorMode.detect(colors: Int(COLORS), environment: environment)
            if mode == .indexed256 && COLORS < 256 { mode = .basic16 }
            if mode == .basic16 && COLORS < 16 { mode = .basic8 }
        }
        maxPairs = max(1, Int32(COLOR_PAIRS))
        renderOptions = RenderOptions(unicode: unicode, colorMode: mode)
    }

    public var size: (width: Int, height: Int) {
        (Int(getmaxx(stdscr)), Int(getmaxy(stdscr)))
    }

    public func readInput(timeoutMilliseconds: Int) -> InputEvent? {
        wtimeout(stdscr, Int32(timeoutMilliseconds))
        var ch: wint_t = 0
        let status = wget_wch(stdscr, &ch)
        if status == ringside_err() { return nil }
        if status == ringside_key_code_yes() {
            return functionKey(Int32(ch))
        }
        return characterKey(UInt32(ch)).map { .key($0) }
    }

    private func characterKey(_ c: UInt32) -> Key? {
        switch c {
        case 0x1B: return .escape
        case 0x0D, 0x0A: return .enter
        case 0x09: return .tab
        case 0x7F, 0x08: return .backspace
        case 0x01...0x1A: return Unicode.Scalar(c + 0x60).map { .ctrl(Character($0)) }
        default: return Unicode.Scalar(c).map { .char(Character($0)) }
        }
    }

    private func functionKey(_ code: Int32) -> InputEvent? {
        switch code {
        case KEY_UP: return .key(.up)
        case KEY_DOWN: return .key(.down)
        case KEY_LEFT: return .key(.left)
        case KEY_RIGHT: return .key(.right)
        case KEY_PPAGE: return .key(.pageUp)
        case KEY_NPAGE: return .key(.pageDown)
        case KEY_HOME: return .key(.home)
        case KEY_END: return .key(.end)
        case KEY_ENTER: return .key(.enter)
        case KEY_BACKSPACE: return .key(.backspace)
        case KEY_DC: return .key(.delete)
        case KEY_BTAB: return .key(.backTab)
        case KEY_RESIZE:
            lastFrame = nil
            return .resize(width: size.width, height: size.height)
        case KEY_MOUSE:
            var event = MEVENT()
            guard getmouse(&event) == OK else { return nil }
            let x = Int(event.x), y = Int(event.y)
            if ringside_mouse_wheel_up(event.bstate) != 0 { return .mouse(MouseEvent(.wheelUp, x: x, y: y)) }
            if ringside_mouse_wheel_down(event.bstate) != 0 { return .mouse(MouseEvent(.wheelDown, x: x, y: y)) }
            if ringside_mouse_button1(event.bstate) != 0 { return .mouse(MouseEvent(.press(button: 1), x: x, y: y)) }
            if ringside_mouse_button3(event.bstate) != 0 { return .mouse(MouseEvent(.press(button: 3), x: x, y: y)) }
            return nil
        default:
            if code >= KEY_F0 && code <= KEY_F0 + 24 { return .key(.function(Int(code - KEY_F0))) }
            return nil
        }
    }

    private func pair(_ style: ResolvedStyle) -> Int32 {
        let key = PairKey(foreground: Int32(style.foreground ?? -1), background: Int32(style.background ?? -1))
        if key.foreground == -1 && key.background == -1 { return 0 }
        if let p = pairs[key] { return p }
        guard nextPair < maxPairs else { return 0 }
        let p = nextPair
        nextPair += 1
        init_extended_pair(p, key.foreground, key.background)
        pairs[key] = p
        return p
    }

    private func attributes(_ a: TextAttributes) -> attr_t {
        var out = ringside_attr_normal()
        if a.contains(.bold) { out |= ringside_attr_bold() }
        if a.contains(.dim) { out |= ringside_attr_dim() }
        if a.contains(.underline) { out |= ringside_attr_underline() }
        if a.contains(.reverse) { out |= ringside_attr_reverse() }
        if a.contains(.italic) { out |= ringside_attr_italic() }
        return out
    }

    public func draw(_ buffer: CellBuffer, theme: Theme, full: Bool) {
        let mode = renderOptions.colorMode
        var repaint = full || lastFrame == nil || lastFrame?.width != buffer.width
            || lastFrame?.height != buffer.height || lastTheme != theme
        if repaint {
            // Colour pairs are rebuilt for a new theme.
            if lastTheme != theme { pairs.removeAll(); nextPair = 1 }
            werase(stdscr)
            if full { clearok(stdscr, true) }
        }
        // Resolved styles per (role, background role) pair, built on first use in this frame.
        let roles = StyleRole.allCases.count + 1
        var styles = [(attr_t, Int32)?](repeating: nil, count: roles * roles)
        let width = buffer.width
        let previous = repaint ? nil : lastFrame
        buffer.cells.withUnsafeBufferPointer { new in
            let old = previous?.cells ?? []
            old.withUnsafeBufferPointer { old in
                for i in 0..<new.count {
                    let cell = new[i]
                    if cell.isContinuation { continue }
                    if !old.isEmpty && old[i] == cell {
                        // A wide character replaced just before this cell may have covered it.
                        let x = i % width
                        if x == 0 || old[i - 1] == new[i - 1] || CharacterWidth.of(old[i - 1].scalar) != 2 { continue }
                    }
                    let slot = Int(cell.role.rawValue) * roles + Int(cell.background.map { $0.rawValue + 1 } ?? 0)
                    let style: (attr_t, Int32)
                    if let known = styles[slot] {
                        style = known
                    } else {
                        let resolved = theme.resolve(cell, mode: mode)
                        style = (attributes(resolved.attributes), pair(resolved))
                        styles[slot] = style
                    }
                    let scalar = cell.scalar.value < 0x20 ? 0x3F : cell.scalar.value
                    _ = ringside_put_cell(Int32(i / width), Int32(i % width), wchar_t(scalar), style.0, style.1)
                }
            }
        }
        repaint = false
        wnoutrefresh(stdscr)
        doupdate()
        lastFrame = buffer
        lastTheme = theme
    }

    public func stop() {
        guard !stopped else { return }
        stopped = true
        ringside_restore_terminal()
    }

    deinit { stop() }
}
