/// The dynamic events defined in the kernel (`dynamic_events`, `uprobe_events`, `kprobe_events`):
/// listing, adding and removing. ringside only ever adds or removes events of its own group.
public struct DynamicEvents {
    /// One defined dynamic event as the kernel lists it.
    public struct Entry: Sendable, Hashable {
        /// `p`, `r` (probes), `e` (event probes), `f`/`t` (fprobes), `s` (synthetic), ...
        public var kind: String
        public var event: EventName
        /// The whole definition line as the kernel shows it.
        public var definition: String

        public var isReturnProbe: Bool { kind.hasPrefix("r") }

        /// Whether the place is in user space (a `PATH:0xOFFSET` place).
        public var isUserProbe: Bool {
            let fields = definition.split(separator: " ")
            guard fields.count > 1 else { return false }
            return fields[1].hasPrefix("/") && fields[1].contains(":")
        }
    }

    public let tracefs: Tracefs

    public init(tracefs: Tracefs) {
        self.tracefs = tracefs
    }

    /// Parses the listing of a dynamic events file.
    public static func parse(_ text: String) -> [Entry] {
        text.split(separator: "\n").compactMap { line in
            let head = line.prefix(while: { $0 != " " })
            guard let colon = head.firstIndex(of: ":"), let slash = head.firstIndex(of: "/"), colon < slash else { return nil }
            let kind = String(head[..<colon])
            let group = String(head[head.index(after: colon)..<slash])
            let name = String(head[head.index(after: slash)...])
            guard !group.isEmpty, !name.isEmpty else { return nil }
            return Entry(kind: kind, event: EventName(system: group, name: name), definition: String(line))
        }
    }

    /// Every dynamic event now defined.
    public func list() -> [Entry] {
        if let text = try? ControlFile.read(tracefs.path("dynamic_events")) { return Self.parse(text) }
        var entries: [Entry] = []
        for file in ["uprobe_events", "kprobe_events"] {
            if let text = try? ControlFile.read(tracefs.path(file)) { entries += Self.parse(text) }
        }
        return entries
    }

    /// The defined dynamic event `event`, if any.
    public func entry(for event: EventName) -> Entry? {
        list().first { $0.event == event }
    }

    private func controlFile(for kind: ProbeDefinition.Kind) -> String {
        tracefs.path(kind == .uprobe ? "uprobe_events" : "kprobe_events")
    }

    /// Defines `probe`. Fails if an event of that name exists, or with the kernel's `error_log`
    /// message when the kernel refuses the definition.
    public func add(_ probe: ProbeDefinition) throws {
        let line = probe.definitionLine
        try ControlText.requireSingleLine(line, what: "the probe definition")
        if entry(for: probe.event) != nil || ControlFile.exists(tracefs.path("events/\(probe.event.directory)")) {
            throw LiveError("a dynamic event \(probe.event) exists already; choose another name with --name")
        }
        let file = controlFile(for: probe.kind)
        guard ControlFile.exists(file) else {
            throw LiveError(probe.kind == .uprobe
                ? "this kernel has no uprobe support (no uprobe_events in tracefs)"
                : "this kernel has no kprobe support (no kprobe_events in tracefs; CONFIG_KPROBES is off)")
        }
        let mark = ErrorLog.Mark(paths: [tracefs.path("error_log")])
        do {
            try ControlFile.write(file, line, append: true)
        } catch let failure as ControlFile.Failure {
            throw LiveError("the kernel rejected the probe \(probe.event) (\(failure.description))",
                            kernelMessage: mark.newEntry(forCommand: line)?.explanation)
        }
    }

    /// Removes the dynamic event `event` of ringside's group.
    public func remove(_ event: EventName) throws {
        guard event.system == ProbeDefinition.group else {
            throw LiveError("\(event) is not in the \(ProbeDefinition.group) group; ringside removes only the probes it made")
        }
        guard let entry = entry(for: event) else { throw LiveError("no dynamic event \(event)") }
        let file: String
        if ControlFile.exists(tracefs.path("dynamic_events")) {
            file = tracefs.path("dynamic_events")
        } else {
            file = tracefs.path(entry.isUserProbe ? "uprobe_events" : "kprobe_events")
        }
        do {
            try ControlFile.write(file, "-:\(event.system)/\(event.name)", append: true)
        } catch let failure as ControlFile.Failure {
            if failure.code == 16 { // EBUSY
                throw LiveError("cannot remove \(event): it is still enabled in an instance (disable it there first)")
            }
            throw LiveError("cannot remove \(event): \(failure.description)")
        }
    }
}
