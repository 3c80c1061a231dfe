/// What a cell means, for the theme to colour. Widgets name roles, never colours.
public enum StyleRole: UInt8, CaseIterable, Sendable {
    case normal
    case dim
    case title
    case header
    case border
    case statusBar
    case statusAccent
    case rulerText
    case rulerTick
    case laneLabel
    case laneIdle
    case laneText
    case density
    case lostBand
    case cursor
    case markerA
    case markerB
    case selectedRow
    case selectedRowUnfocused
    case listTime
    case listCPU
    case listTask
    case eventName
    case lostEventRow
    case fieldKey
    case fieldValue
    case bookmark
    case match
    case error
    case prompt
    case helpKey
    case progress
    case task0, task1, task2, task3, task4, task5, task6, task7

    /// Roles of the task colours, in order.
    public static let taskRoles: [StyleRole] = [.task0, .task1, .task2, .task3, .task4, .task5, .task6, .task7]

    /// The colour role of a task, stable across runs (from its pid).
    public static func task(pid: Int64) -> StyleRole {
        let mixed = UInt64(bitPattern: pid) &* 0x9E37_79B9_7F4A_7C15
        return taskRoles[Int((mixed >> 59) % UInt64(taskRoles.count))]
    }

    /// The name used in theme files (`lane.idle`, `task.3`).
    public var themeKey: String {
        switch self {
        case .normal: return "normal"
        case .dim: return "dim"
        case .title: return "title"
        case .header: return "header"
        case .border: return "border"
        case .statusBar: return "status"
        case .statusAccent: return "status.accent"
        case .rulerText: return "ruler.text"
        case .rulerTick: return "ruler.tick"
        case .laneLabel: return "lane.label"
        case .laneIdle: return "lane.idle"
        case .laneText: return "lane.text"
        case .density: return "lane.density"
        case .lostBand: return "lost"
        case .cursor: return "cursor"
        case .markerA: return "marker.a"
        case .markerB: return "marker.b"
        case .selectedRow: return "selected"
        case .selectedRowUnfocused: return "selected.unfocused"
        case .listTime: return "list.time"
        case .listCPU: return "list.cpu"
        case .listTask: return "list.task"
        case .eventName: return "event.name"
        case .lostEventRow: return "list.lost"
        case .fieldKey: return "field.key"
        case .fieldValue: return "field.value"
        case .bookmark: return "bookmark"
        case .match: return "match"
        case .error: return "error"
        case .prompt: return "prompt"
        case .helpKey: return "help.key"
        case .progress: return "progress"
        case .task0, .task1, .task2, .task3, .task4, .task5, .task6, .task7:
            return "task.\(rawValue - StyleRole.task0.rawValue)"
        }
    }

    public init?(themeKey: String) {
        guard let role = StyleRole.allCases.first(where: { $0.themeKey == themeKey }) else { return nil }
        self = role
    }
}
