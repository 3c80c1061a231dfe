import Ftrace
import TraceKit

/// The control panel of the live view (key `p`), without any drawing: every available event
/// grouped by subsystem with its state in the session's instance, a search, toggling events and
/// whole subsystems, per-event kernel filters (with the kernel's `error_log` message when one is
/// refused), adding and removing probes, and writing markers. The viewer renders `rows` and
/// `message`; every change goes through the session, so it is journaled and undone at the end.
public final class LiveControlPanel {
    /// One line of the panel.
    public enum Row: Equatable, Sendable {
        /// A subsystem heading: how many of its events are on.
        case subsystem(name: String, enabled: Int, total: Int, expanded: Bool)
        /// An event under its subsystem.
        case event(EventName, enabled: Bool, filter: String?, dynamic: Bool)

        public var label: String {
            switch self {
            case .subsystem(let name, _, _, _): return name
            case .event(let event, _, _, _): return event.description
            }
        }
    }

    /// What the last action did, for the panel's status line.
    public enum Message: Equatable, Sendable {
        case info(String)
        /// A refusal; `detail` holds the kernel's `error_log` explanation when there is one.
        case error(String, detail: String?)
    }

    public let session: TracingSession
    /// Called after probes were added or removed, so the view can load their formats.
    public var onEventsChanged: (() -> Void)?
    public private(set) var rows: [Row] = []
    public private(set) var message: Message?
    /// Index in `rows` of the selected line.
    public var selection = 0 {
        didSet { selection = rows.isEmpty ? 0 : min(max(0, selection), rows.count - 1) }
    }
    /// Rows show events whose `system:name` contains this text (case-insensitive); subsystems
    /// open by themselves while searching.
    public var search = "" {
        didSet { rebuildRows() }
    }

    private var available: AvailableEvents
    private var enabled: Set<EventName> = []
    private var filters: [EventName: String] = [:]
    private var dynamic: Set<EventName> = []
    private var expanded: Set<String> = []

    public init(session: TracingSession) throws {
        self.session = session
        available = try AvailableEvents(tracefs: session.tracefs)
        try reload()
    }

    /// Reads the available events and their state again.
    public func reload() throws {
        available = try AvailableEvents(tracefs: session.tracefs)
        enabled = session.instance.exists ? try session.instance.enabledEvents() : []
        dynamic = Set(DynamicEvents(tracefs: session.tracefs).list().map(\.event))
        filters = [:]
        for event in enabled {
            if let filter = try? session.instance.filter(of: event) { filters[event] = filter }
        }
        rebuildRows()
    }

    private func rebuildRows() {
        let needle = search.lowercased()
        var result: [Row] = []
        for group in available.subsystems {
            let events = needle.isEmpty ? group.events : group.events.filter { $0.description.lowercased().contains(needle) }
            if events.isEmpty { continue }
            let open = expanded.contains(group.name) || !needle.isEmpty
            result.append(.subsystem(name: group.name, enabled: group.events.filter { enabled.contains($0) }.count,
                                     total: group.events.count, expanded: open))
            if open {
                for event in events {
                    result.append(.event(event, enabled: enabled.contains(event), filter: filters[event],
                                         dynamic: dynamic.contains(event)))
                }
            }
        }
        rows = result
        if selection >= rows.count { selection = max(0, rows.count - 1) }
    }

    /// The selected row.
    public var selectedRow: Row? { rows.indices.contains(selection) ? rows[selection] : nil }

    /// The event of the selected row (nil on a subsystem heading).
    public var selectedEvent: EventName? {
        if case .event(let event, _, _, _)? = selectedRow { return event }
        return nil
    }

    /// Opens or closes the selected subsystem.
    public func toggleExpanded() {
        guard case .subsystem(let name, _, _, _)? = selectedRow else { return }
        if expanded.contains(name) { expanded.remove(name) } else { expanded.insert(name) }
        rebuildRows()
    }

    /// `Space`: switches the selected event, or the whole selected subsystem (on when any of its
    /// events is off, else off), in the instance at once.
    public func toggleSelected() {
        guard let row = selectedRow else { return }
        let events: [EventName]
        let turnOn: Bool
        switch row {
        case .event(let event, let isOn, _, _):
            events = [event]
            turnOn = !isOn
        case .subsystem(let name, let on, let total, _):
            events = available.subsystems.first { $0.name == name }?.events ?? []
            turnOn = on < total
        }
        _ = attempt {
            try session.setEnabled(events, turnOn)
            message = .info("\(turnOn ? "enabled" : "disabled") \(events.count == 1 ? events[0].description : "\(events.count) events")")
        }
        try? reload()
    }

    /// Sets the kernel filter of the selected event (an empty text clears it). Returns true when
    /// the kernel took it; otherwise `message` holds the reason and the kernel's explanation.
    @discardableResult
    public func setFilter(_ expression: String) -> Bool {
        guard let event = selectedEvent else {
            message = .error("select an event to filter", detail: nil)
            return false
        }
        let text = expression.trimmingWhitespace()
        return attempt {
            try session.setFilter(text.isEmpty ? nil : text, of: event)
            message = .info(text.isEmpty ? "cleared the filter of \(event)" : "filter set on \(event)")
            try? reload()
        }
    }

    /// Adds a probe from a command line such as `/usr/bin/bash:readline ret=$retval:s64` or
    /// `--return /bin/true:main` (the same words as `ringside probes add`), enables it, and selects it.
    @discardableResult
    public func addProbe(_ commandLine: String) -> Bool {
        var words = commandLine.split(separator: " ").map(String.init)
        var isReturn = false
        var name: String?
        while let first = words.first, first.hasPrefix("--") {
            words.removeFirst()
            if first == "--return" { isReturn = true } else if first == "--name", !words.isEmpty { name = words.removeFirst() } else {
                message = .error("unknown option \(first) (use --return, --name NAME)", detail: nil)
                return false
            }
        }
        guard let target = words.first else {
            message = .error("give the probe as PATH:SYMBOL[+OFFSET] or PATH:0xOFFSET, then arguments", detail: nil)
            return false
        }
        return attempt {
            let probe = try ProbeRequest(target: target, isReturn: isReturn, name: name, arguments: Array(words.dropFirst()))
                .resolve(capabilities: session.tracefs.capabilities)
            try session.addProbe(probe)
            onEventsChanged?()
            try session.setEnabled([probe.event], true)
            message = .info("added and enabled \(probe.event)")
            expanded.insert(ProbeDefinition.group)
            try reload()
            if let index = rows.firstIndex(where: { $0.label == probe.event.description }) { selection = index }
        }
    }

    /// Removes the selected probe (only probes of the `ringside` group).
    @discardableResult
    public func removeSelectedProbe() -> Bool {
        guard let event = selectedEvent, event.system == ProbeDefinition.group else {
            message = .error("select a probe of the \(ProbeDefinition.group) group to remove", detail: nil)
            return false
        }
        return attempt {
            try session.removeProbe(event)
            onEventsChanged?()
            message = .info("removed \(event)")
            try reload()
        }
    }

    /// Pushes the viewer's filter down to the kernel where it can be said in the kernel's filter
    /// language: each enabled event the filter chooses gets the kernel filter, so the kernel
    /// drops what the viewer would hide. Returns true when at least one filter was set.
    @discardableResult
    public func pushDown(viewerFilter text: String?) -> Bool {
        guard let text, !text.trimmingWhitespace().isEmpty else {
            message = .error("no viewer filter to push down (set one with f in the viewer)", detail: nil)
            return false
        }
        return attempt(failurePrefix: "cannot push the filter down: ") {
            let expression = try FilterParser.parse(text)
            let instance = session.instance
            let plan = try KernelFilterPushDown.plan(expression, events: enabled.sorted()) { event in
                guard let format = try? EventFormat.parse(instance.format(of: event), system: event.system) else { return nil }
                return (format.commonFields + format.fields).map { .init(name: $0.name, isString: $0.isString) }
            }
            for (event, filter) in plan.filters.sorted(by: { $0.key < $1.key }) {
                try session.setFilter(filter, of: event)
            }
            var summary = "kernel filter set on \(plan.filters.count) event\(plan.filters.count == 1 ? "" : "s")"
            if let example = plan.filters.sorted(by: { $0.key < $1.key }).first { summary += " (\(example.key): \(example.value))" }
            message = .info(summary + (plan.skipped.isEmpty ? "" : "; not on \(plan.skipped.keys.sorted().map(\.description).joined(separator: ", "))"))
            try? reload()
        }
    }

    /// Writes a marker into the instance.
    @discardableResult
    public func writeMarker(_ text: String) -> Bool {
        return attempt {
            try session.writeMarker(text)
            message = .info("marker written")
        }
    }

    /// Runs `body`; a failure becomes the panel's error message (the kernel's own words as the
    /// detail). Returns whether `body` succeeded.
    private func attempt(failurePrefix: String = "", _ body: () throws -> Void) -> Bool {
        do {
            try body()
            return true
        } catch let error as LiveError {
            message = .error(failurePrefix + error.message, detail: error.kernelMessage)
        } catch {
            message = .error(failurePrefix + "\(error)", detail: nil)
        }
        return false
    }
}
