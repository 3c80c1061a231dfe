/// A terminal the viewer draws on and reads input from. `CursesBackend` is the real one; tests use
/// scripted backends.
public protocol TerminalBackend: AnyObject {
    /// Columns and rows.
    var size: (width: Int, height: Int) { get }
    /// Character set and colours the terminal supports.
    var renderOptions: RenderOptions { get }
    /// The next input event, waiting at most `timeoutMilliseconds` (0: do not wait); nil on timeout.
    func readInput(timeoutMilliseconds: Int) -> InputEvent?
    /// Shows `buffer`, writing only the cells that changed since the last call unless `full`.
    func draw(_ buffer: CellBuffer, theme: Theme, full: Bool)
    /// Restores the terminal.
    func stop()
}
