import Foundation

/// Which buffer a session works in.
public enum InstanceChoice: Sendable, Equatable {
    /// A new private instance `ringside-<pid>`, removed at the end.
    case privateInstance
    /// The instance of this name: created (and owned) when missing; when it exists it must be one
    /// ringside created (listed in a journal).
    case named(String)
    /// The top-level buffer: only when the user asks for it. Every change is recorded with its
    /// previous value and put back.
    case top

    /// Parses `--instance` values: `top`, or an instance name.
    public init(option: String?) throws {
        guard let option else { self = .privateInstance; return }
        if option == "top" { self = .top; return }
        guard TracingInstance.isValidRingsideName(option) else {
            throw LiveError("instance \"\(option)\": ringside works only in instances named ringside or ringside-NAME (letters, digits, _ - .), or in the top-level buffer with --instance top")
        }
        self = .named(option)
    }
}

/// Buffer settings for a session's instance; nil leaves the kernel's value.
public struct InstanceSettings: Sendable, Equatable {
    public var bufferSizeKB: Int?
    public var clock: String?
    public var bufferPercent: Int?

    public init(bufferSizeKB: Int? = nil, clock: String? = nil, bufferPercent: Int? = nil) {
        self.bufferSizeKB = bufferSizeKB
        self.clock = clock
        self.bufferPercent = bufferPercent
    }
}

/// Changes tracefs on ringside's behalf, recording each change in an ownership journal in the same
/// step, so `close()` (or `ringside live --cleanup` after a crash) puts everything back.
///
/// All methods are thread-safe; once closed, further changes are refused.
public final class TracingSession: @unchecked Sendable {
    public let tracefs: Tracefs
    public let instance: TracingInstance
    public let journal: OwnershipJournal
    /// True when this session created its instance.
    public let createdInstance: Bool

    private let lock = NSRecursiveLock()
    private var closed = false
    private var closers: [() -> Void] = []
    /// What this session recorded, for undoing only its own part of a shared journal.
    private var recorded: [OwnedResource] = []

    /// Opens a session on `choice`, creating the instance if needed and applying `settings`. If
    /// anything fails half-way, what was already done is undone before the error is thrown.
    public init(tracefs: Tracefs, choice: InstanceChoice, settings: InstanceSettings = InstanceSettings(),
                journal: OwnershipJournal) throws {
        self.tracefs = tracefs
        self.journal = journal
        let stateDirectory = (journal.path as NSString).deletingLastPathComponent
        switch choice {
        case .top:
            instance = tracefs.topLevel
            createdInstance = false
        case .privateInstance:
            instance = tracefs.instance(named: "ringside-\(getpid())")
            createdInstance = true
        case .named(let name):
            instance = tracefs.instance(named: name)
            if instance.exists {
                guard Leftovers.isOwnedByRingside(instanceNamed: name, stateDirectory: stateDirectory) else {
                    throw LiveError("instance \(name) exists but ringside did not create it (it is in no ownership journal); ringside leaves it alone")
                }
                createdInstance = false
            } else {
                createdInstance = true
            }
        }
        if createdInstance {
            try TerminationSignals.deferring {
                try instance.create()
                try record(.instance(name: instance.name!))
            }
        }
        do {
            try apply(settings)
        } catch {
            _ = close()
            throw error
        }
    }

    /// Registers work to do before the instance is removed (readers closing their files).
    public func onClose(_ closer: @escaping () -> Void) {
        lock.lock()
        defer { lock.unlock() }
        closers.append(closer)
    }

    private func record(_ resource: OwnedResource) throws {
        try journal.record(resource)
        recorded.append(resource)
    }

    private func checkOpen() throws {
        if closed { throw LiveError("the tracing session has ended") }
    }

    /// Runs one change and its journal record together.
    private func change<T>(_ body: () throws -> T) throws -> T {
        lock.lock()
        defer { lock.unlock() }
        try checkOpen()
        return try TerminationSignals.deferring(body)
    }

    // MARK: settings

    private func apply(_ settings: InstanceSettings) throws {
        if let kb = settings.bufferSizeKB {
            guard kb > 0 && kb <= 4 * 1024 * 1024 else { throw LiveError("buffer size \(kb) KiB is out of range (1 KiB to 4 GiB per CPU)") }
            try setSetting("buffer_size_kb", String(kb))
        }
        if let clock = settings.clock {
            let available = try instance.clocks().available
            guard available.contains(clock) else {
                throw LiveError("unknown trace clock \"\(clock)\"; this kernel offers: \(available.joined(separator: " "))")
            }
            try setSetting("trace_clock", clock)
        }
        if let percent = settings.bufferPercent {
            guard (0...100).contains(percent) else { throw LiveError("buffer percent \(percent) is not between 0 and 100") }
            try setSetting("buffer_percent", String(percent))
        }
    }

    /// Writes a setting, recording its previous value unless the instance is ringside's own.
    public func setSetting(_ file: String, _ value: String) throws {
        try change {
            let previous = try instance.settingValue(file)
            if previous == value { return }
            if !createdInstance {
                try record(.setting(instance: instance.name, file: file, previous: previous))
            }
            try instance.write(file, value)
        }
    }

    // MARK: events

    /// Enables or disables `events`, recording each one's previous state.
    public func setEnabled(_ events: [EventName], _ enabled: Bool) throws {
        for event in events {
            try change {
                let previous = try instance.isEnabled(event)
                if previous == enabled { return }
                try record(.eventState(instance: instance.name, event: event, previouslyEnabled: previous))
                try instance.setEnabled(event, enabled)
            }
        }
    }

    /// Sets (nil: clears) `event`'s kernel filter, recording the previous filter.
    public func setFilter(_ expression: String?, of event: EventName) throws {
        if let expression { try KernelFilterSyntax.validate(expression) }
        try change {
            let previous = try instance.filter(of: event)
            if previous == expression { return }
            try record(.filter(instance: instance.name, event: event, previous: previous))
            try instance.setFilter(expression, of: event)
        }
    }

    /// Writes a user marker into the instance.
    public func writeMarker(_ text: String) throws {
        lock.lock()
        defer { lock.unlock() }
        try checkOpen()
        try instance.writeMarker(text)
    }

    // MARK: probes

    /// Defines `probe` (global to the kernel) and records it.
    public func addProbe(_ probe: ProbeDefinition) throws {
        try change {
            try DynamicEvents(tracefs: tracefs).add(probe)
            try record(.probe(group: ProbeDefinition.group, name: probe.name, definition: probe.definitionLine))
        }
    }

    /// Removes a probe of ringside's group, first disabling it in this session's instance.
    public func removeProbe(_ event: EventName) throws {
        try change {
            if instance.exists, ControlFile.exists(instance.path("events/\(event.directory)/enable")),
               try instance.isEnabled(event) {
                try instance.setEnabled(event, false)
            }
            try DynamicEvents(tracefs: tracefs).remove(event)
            try journal.forget { resource in
                if case .probe(let group, let name, _) = resource { return group == event.system && name == event.name }
                if case .eventState(_, let e, _) = resource { return e == event }
                if case .filter(_, let e, _) = resource { return e == event }
                return false
            }
        }
    }

    // MARK: ending

    /// Undoes the session's changes and returns what was done: for a session journal everything in
    /// it (then the journal is deleted), for the persistent journal only what this session
    /// recorded (the scriptable commands call this when they fail half-way). What cannot be undone
    /// stays in the journal for `ringside live --cleanup`. Safe to call more than once and from the
    /// signal thread.
    @discardableResult
    public func close() -> [CleanupOutcome] {
        lock.lock()
        defer { lock.unlock() }
        guard !closed else { return [] }
        closed = true
        for closer in closers.reversed() { closer() }
        closers.removeAll()
        let isSession: Bool
        if case .session = journal.owner { isSession = true } else { isSession = false }
        let resources = isSession ? ((try? journal.resources()) ?? recorded) : recorded
        let outcomes = Cleanup.undo(resources, tracefs: tracefs)
        let undone = outcomes.filter { if case .failed = $0.result { return false } else { return true } }.map(\.resource)
        if isSession && undone.count == outcomes.count {
            journal.delete()
        } else {
            try? journal.forget { undone.contains($0) }
        }
        recorded.removeAll()
        return outcomes
    }

    /// Ends the session leaving every change in place (the scriptable commands: changes persist
    /// in the persistent journal until removed or cleaned up).
    public func detach() {
        lock.lock()
        defer { lock.unlock() }
        closed = true
        for closer in closers.reversed() { closer() }
        closers.removeAll()
    }

}
