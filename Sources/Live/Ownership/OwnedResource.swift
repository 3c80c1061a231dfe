/// Something ringside changed in tracefs and must put back: the ownership journal holds these.
public enum OwnedResource: Codable, Hashable, Sendable, CustomStringConvertible {
    /// An instance directory ringside created (removing it frees its buffers and its event state).
    case instance(name: String)
    /// An event whose enable state ringside changed; `previouslyEnabled` is what it was before.
    case eventState(instance: String?, event: EventName, previouslyEnabled: Bool)
    /// An event filter ringside changed; `previous` is the filter before (nil: none).
    case filter(instance: String?, event: EventName, previous: String?)
    /// A setting file ringside changed (`buffer_size_kb`, `trace_clock`, ...) and its old value.
    case setting(instance: String?, file: String, previous: String)
    /// A dynamic event (uprobe, kprobe) ringside defined.
    case probe(group: String, name: String, definition: String)

    public var description: String {
        switch self {
        case .instance(let name): return "instance \(name)"
        case .eventState(let instance, let event, let previous):
            return "event \(event) in \(instance ?? "top") (was \(previous ? "enabled" : "disabled"))"
        case .filter(let instance, let event, let previous):
            return "filter of \(event) in \(instance ?? "top") (was \(previous.map { "\"\($0)\"" } ?? "none"))"
        case .setting(let instance, let file, let previous):
            return "\(file) of \(instance ?? "top") (was \(previous))"
        case .probe(let group, let name, _): return "dynamic event \(group):\(name)"
        }
    }

    /// The instance this change lives in (nil for the top level and for probes, which are global).
    var instanceName: String? {
        switch self {
        case .instance(let name): return name
        case .eventState(let instance, _, _), .filter(let instance, _, _), .setting(let instance, _, _): return instance
        case .probe: return nil
        }
    }

    /// Two records about the same thing (the same event's state, the same filter, ...).
    func isSameTarget(as other: OwnedResource) -> Bool {
        switch (self, other) {
        case (.instance(let a), .instance(let b)): return a == b
        case (.eventState(let ia, let ea, _), .eventState(let ib, let eb, _)): return ia == ib && ea == eb
        case (.filter(let ia, let ea, _), .filter(let ib, let eb, _)): return ia == ib && ea == eb
        case (.setting(let ia, let fa, _), .setting(let ib, let fb, _)): return ia == ib && fa == fb
        case (.probe(let ga, let na, _), .probe(let gb, let nb, _)): return ga == gb && na == nb
        default: return false
        }
    }
}
