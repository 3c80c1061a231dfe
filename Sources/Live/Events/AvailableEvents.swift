#if canImport(Glibc)
import Glibc
#endif

/// Every event the kernel offers (`available_events`), grouped by subsystem.
public struct AvailableEvents: Sendable {
    /// All events, sorted by subsystem then name.
    public let events: [EventName]
    /// Subsystem names, sorted, with their events.
    public let subsystems: [(name: String, events: [EventName])]

    public init(events: [EventName]) {
        let sorted = Array(Set(events)).sorted()
        self.events = sorted
        var groups: [(name: String, events: [EventName])] = []
        for event in sorted {
            if groups.last?.name == event.system {
                groups[groups.count - 1].events.append(event)
            } else {
                groups.append((event.system, [event]))
            }
        }
        subsystems = groups
    }

    /// Reads `available_events` (one `system:event` per line).
    public init(tracefs: Tracefs) throws {
        let text: String
        do {
            text = try ControlFile.read(tracefs.path("available_events"))
        } catch let failure as ControlFile.Failure {
            throw LiveError(failure.description)
        }
        self.init(events: text.split(separator: "\n").compactMap { EventName(parsing: String($0)) })
    }

    public func contains(_ event: EventName) -> Bool {
        var low = 0, high = events.count
        while low < high {
            let mid = (low + high) / 2
            if events[mid] < event { low = mid + 1 } else { high = mid }
        }
        return low < events.count && events[low] == event
    }

    /// The events a user's pattern names:
    /// - `system:event` or `system/event`, either part a glob (`sched:*`, `*:sys_enter_open*`);
    /// - a bare word: the subsystem of that name (all its events), else the events of that name.
    /// Throws when the pattern is malformed or names nothing.
    public func resolve(_ pattern: String) throws -> [EventName] {
        try ControlText.requireSingleLine(pattern, what: "the event pattern", maximumBytes: 512)
        let allowed: (Unicode.Scalar) -> Bool = { c in
            (c >= "a" && c <= "z") || (c >= "A" && c <= "Z") || (c >= "0" && c <= "9")
                || "_-.*?[]!:/".unicodeScalars.contains(c)
        }
        if let bad = pattern.unicodeScalars.first(where: { !allowed($0) }) {
            throw LiveError("\"\(pattern)\" is not an event pattern (unexpected \"\(bad)\"); write SYSTEM:EVENT, SYSTEM:* or EVENT")
        }
        let matches: [EventName]
        if let separator = pattern.firstIndex(where: { $0 == ":" || $0 == "/" }) {
            let system = String(pattern[..<separator])
            let name = String(pattern[pattern.index(after: separator)...])
            guard !system.isEmpty, !name.isEmpty else {
                throw LiveError("\"\(pattern)\": both the subsystem and the event name are needed (SYSTEM:EVENT, SYSTEM:*)")
            }
            matches = events.filter { Self.glob(system, matches: $0.system) && Self.glob(name, matches: $0.name) }
        } else {
            let bySystem = events.filter { Self.glob(pattern, matches: $0.system) }
            matches = bySystem.isEmpty ? events.filter { Self.glob(pattern, matches: $0.name) } : bySystem
        }
        guard !matches.isEmpty else { throw LiveError("no event matches \"\(pattern)\"") }
        return matches
    }

    /// Shell-style matching (`*`, `?`, `[...]`).
    public static func glob(_ pattern: String, matches text: String) -> Bool {
        if !pattern.contains(where: { $0 == "*" || $0 == "?" || $0 == "[" }) { return pattern == text }
        return fnmatch(pattern, text, 0) == 0
    }
}
