/// Maps every style role to a style. Loaded from a theme file; roles a file leaves out keep the
/// built-in default's style.
public struct Theme: Sendable, Equatable {
    public var name: String
    public private(set) var styles: [TextStyle]

    public init(name: String, styles: [StyleRole: TextStyle], base: Theme? = nil) {
        self.name = name
        var all = base?.styles ?? Array(repeating: TextStyle(), count: StyleRole.allCases.count)
        for (role, style) in styles { all[Int(role.rawValue)] = style }
        self.styles = all
    }

    public subscript(role: StyleRole) -> TextStyle {
        get { styles[Int(role.rawValue)] }
        set { styles[Int(role.rawValue)] = newValue }
    }

    /// The colours and attributes to draw a cell with on a terminal with `mode`.
    public func resolve(_ cell: Cell, mode: ColorMode) -> ResolvedStyle {
        let fgStyle = self[cell.role]
        let bgStyle = cell.background.map { self[$0] } ?? fgStyle
        var attributes = fgStyle.attributes
        if mode == .none {
            // Without colours, roles set apart by a background stand out in reverse video.
            if bgStyle.background != .terminalDefault && !bgStyle.attributes.contains(.reverse)
                && StyleRole.taskRoles.firstIndex(of: cell.role) == nil {
                attributes.insert(.reverse)
            }
            return ResolvedStyle(foreground: nil, background: nil, attributes: attributes)
        }
        return ResolvedStyle(foreground: fgStyle.foreground.index(for: mode),
                             background: bgStyle.background.index(for: mode), attributes: attributes)
    }
}

/// A cell style ready for a terminal: colour numbers (nil: the terminal default) and attributes.
public struct ResolvedStyle: Sendable, Hashable {
    public var foreground: Int?
    public var background: Int?
    public var attributes: TextAttributes
}
