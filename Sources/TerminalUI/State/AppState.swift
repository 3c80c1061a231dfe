import TraceKit

/// Everything the viewer shows that is not trace data: selection, scroll offsets, zoom, focus,
/// prompts, overlays, markers. One value, changed only by `ViewerController`.
public struct AppState: Sendable, Equatable {
    public enum Pane: String, Sendable { case list, timeline, details }
    public enum Overlay: Sendable, Equatable { case help, statistics }
    public enum PromptKind: String, Sendable { case filter, search, gotoTime }

    /// A one-line text prompt at the bottom of the screen.
    public struct Prompt: Sendable, Equatable {
        public var kind: PromptKind
        public var text: String
        /// Cursor position in characters.
        public var cursor: Int
        /// A problem with the text, and the 1-based column it points at.
        public var error: String?
        public var errorColumn: Int?

        public var label: String {
            switch kind {
            case .filter: return "filter: "
            case .search: return "search: "
            case .gotoTime: return "go to: "
            }
        }
    }

    public var width: Int
    public var height: Int
    public var focus: Pane = .list
    public var selectedRow = 0
    public var listTop = 0
    /// True when the selection sits on the last row and should stay there as rows are added.
    public var followTail = false
    /// Ordinal the selection should stay on while the rows are being recomputed (new filter).
    public var anchorOrdinal: Int?
    /// Visible time range of the timeline, `[viewStart, viewEnd)`.
    public var viewStart: Int64 = 0
    public var viewEnd: Int64 = 1
    /// True while the view shows the whole trace (it grows with the index until the user zooms).
    public var fitted = true
    /// First lane shown when there are more lanes than rows for them.
    public var laneTop = 0
    public var cursorTime: Int64 = 0
    public var markerA: Int64?
    public var markerB: Int64?
    /// Bookmarked records (ordinals).
    public var bookmarks: Set<Int> = []
    public var showDetails = true
    public var detailsScroll = 0
    public var overlay: Overlay?
    public var overlayScroll = 0
    public var statisticsSort: TraceStatistics.SortOrder = .countDescending
    public var statisticsWholeTrace = false
    public var prompt: Prompt?
    public var filterText: String?
    public var searchText: String?
    public var searchForward = true
    public var message: String?
    public var messageIsError = false
    public var themeIndex = 0
    public var shouldQuit = false
    /// Set by the reload action: the app reads the trace again from disk.
    public var reloadRequested = false
    /// A time to put the cursor at once the index reaches it (after a reload).
    public var pendingCursorTime: Int64?

    public init(width: Int, height: Int) {
        self.width = width
        self.height = height
    }
}

/// What must be drawn again after a change (htop-style reaction flags).
public struct Redraw: OptionSet, Sendable, Hashable {
    public let rawValue: UInt8
    public init(rawValue: UInt8) { self.rawValue = rawValue }
    public static let status = Redraw(rawValue: 1)
    public static let list = Redraw(rawValue: 2)
    public static let timeline = Redraw(rawValue: 4)
    public static let details = Redraw(rawValue: 8)
    public static let overlay = Redraw(rawValue: 16)
    /// Repaint every cell (after a resize, a theme change or Ctrl-L).
    public static let full = Redraw(rawValue: 32)
    /// Background work produced something the user waits for (a search result): draw at once.
    public static let urgent = Redraw(rawValue: 64)
    public static let none: Redraw = []
    public static let all: Redraw = [.status, .list, .timeline, .details, .overlay]
}
