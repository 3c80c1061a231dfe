/// A user command. Actions are data: each has a name, help text and default keys, and help lists
/// them all from this table.
public enum Action: String, CaseIterable, Sendable {
    case quit, help, cancel
    case down, up, pageDown, pageUp, first, last
    case panLeft, panRight, zoomIn, zoomOut, fit, lanesDown, lanesUp
    case focusNext, focusPrevious
    case toggleDetails
    case filter, clearFilter
    case search, searchNext, searchPrevious
    case gotoTime
    case markerA, markerB, clearMarkers
    case bookmark, nextBookmark, previousBookmark
    case statistics, nextTheme, redraw, reload
    case sortStatistics, statisticsRange

    /// Which group help lists the action under.
    public var group: String {
        switch self {
        case .quit, .help, .cancel, .redraw, .nextTheme, .reload: return "General"
        case .down, .up, .pageDown, .pageUp, .first, .last, .focusNext, .focusPrevious, .toggleDetails:
            return "Event list and panes"
        case .panLeft, .panRight, .zoomIn, .zoomOut, .fit, .lanesDown, .lanesUp: return "Timeline"
        case .filter, .clearFilter, .search, .searchNext, .searchPrevious, .gotoTime: return "Filter, search, go to"
        case .markerA, .markerB, .clearMarkers, .bookmark, .nextBookmark, .previousBookmark: return "Markers and bookmarks"
        case .statistics, .sortStatistics, .statisticsRange: return "Statistics"
        }
    }

    public var help: String {
        switch self {
        case .quit: return "Quit ringside"
        case .help: return "Show or hide this help"
        case .cancel: return "Close the prompt, help, statistics or details pane"
        case .down: return "Next event (details pane: scroll down)"
        case .up: return "Previous event (details pane: scroll up)"
        case .pageDown: return "One page of events down"
        case .pageUp: return "One page of events up"
        case .first: return "First event"
        case .last: return "Last event"
        case .panLeft: return "Pan the timeline left (timeline focus: move the cursor one column)"
        case .panRight: return "Pan the timeline right (timeline focus: move the cursor one column)"
        case .zoomIn: return "Zoom in around the cursor"
        case .zoomOut: return "Zoom out around the cursor"
        case .fit: return "Fit the whole trace in the timeline"
        case .lanesDown: return "Scroll the CPU lanes down (when there are more than fit)"
        case .lanesUp: return "Scroll the CPU lanes up"
        case .focusNext: return "Focus the next pane (list, timeline, details)"
        case .focusPrevious: return "Focus the previous pane"
        case .toggleDetails: return "Show or hide the details of the selected event"
        case .filter: return "Filter events: event == \"sched_switch\" && prev_pid == 42"
        case .clearFilter: return "Remove the filter"
        case .search: return "Search forward: text, or a filter expression"
        case .searchNext: return "Next match of the search"
        case .searchPrevious: return "Previous match of the search"
        case .gotoTime: return "Go to a time (173.8, 22:50:11.5), relative (+1.5ms, -2us) or event #N"
        case .markerA: return "Set marker A at the cursor"
        case .markerB: return "Set marker B at the cursor (status shows B-A)"
        case .clearMarkers: return "Clear markers A and B"
        case .bookmark: return "Toggle a bookmark on the selected event"
        case .nextBookmark: return "Jump to the next bookmark"
        case .previousBookmark: return "Jump to the previous bookmark"
        case .statistics: return "Statistics per event, CPU and task"
        case .nextTheme: return "Next colour theme"
        case .redraw: return "Redraw the screen"
        case .reload: return "Read the trace again from disk (data appended since, e.g. a session still running)"
        case .sortStatistics: return "Statistics: sort by count or by name"
        case .statisticsRange: return "Statistics: whole trace or visible range"
        }
    }

    /// The keys bound to the action by default.
    public var defaultKeys: [Key] {
        switch self {
        case .quit: return [.char("q")]
        case .help: return [.char("?"), .function(1)]
        case .cancel: return [.escape]
        case .down: return [.char("j"), .down]
        case .up: return [.char("k"), .up]
        case .pageDown: return [.pageDown, .ctrl("f"), .char(" ")]
        case .pageUp: return [.pageUp, .ctrl("b")]
        case .first: return [.char("g"), .home]
        case .last: return [.char("G"), .end]
        case .panLeft: return [.char("h"), .left]
        case .panRight: return [.char("l"), .right]
        case .zoomIn: return [.char("+"), .char("=")]
        case .zoomOut: return [.char("-"), .char("_")]
        case .fit: return [.char("0")]
        case .lanesDown: return [.char("J")]
        case .lanesUp: return [.char("K")]
        case .focusNext: return [.tab]
        case .focusPrevious: return [.backTab]
        case .toggleDetails: return [.enter, .char("d")]
        case .filter: return [.char("f")]
        case .clearFilter: return [.char("F")]
        case .search: return [.char("/")]
        case .searchNext: return [.char("n")]
        case .searchPrevious: return [.char("N")]
        case .gotoTime: return [.char("t")]
        case .markerA: return [.char("m")]
        case .markerB: return [.char("M")]
        case .clearMarkers: return [.char("c")]
        case .bookmark: return [.char("b")]
        case .nextBookmark: return [.char("'")]
        case .previousBookmark: return [.char("\"")]
        case .statistics: return [.char("s")]
        case .nextTheme: return [.char("T")]
        case .redraw: return [.ctrl("l")]
        case .reload: return [.char("R")]
        case .sortStatistics: return [.char("o")]
        case .statisticsRange: return [.char("r")]
        }
    }
}

/// Maps keys to actions.
public struct Keymap: Sendable {
    public private(set) var bindings: [Key: Action] = [:]

    public init(_ bindings: [Key: Action]) { self.bindings = bindings }

    /// Every action on its default keys.
    public static let standard: Keymap = {
        var map: [Key: Action] = [:]
        for action in Action.allCases {
            for key in action.defaultKeys { map[key] = action }
        }
        return Keymap(map)
    }()

    public func action(for key: Key) -> Action? { bindings[key] }

    /// The keys bound to `action`, in the order of its defaults first.
    public func keys(for action: Action) -> [Key] {
        let defaults = action.defaultKeys.filter { bindings[$0] == action }
        let others = bindings.filter { $0.value == action && !defaults.contains($0.key) }.map(\.key)
        return defaults + others.sorted { $0.description < $1.description }
    }
}
