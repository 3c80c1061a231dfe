/// What earlier ringside processes left in tracefs: changes recorded in the journals of processes
/// that are gone (killed with `kill -9`, crashed), the persistent changes of the scriptable
/// commands, and ringside-looking things no journal claims (reported, never touched).
public struct Leftovers: Sendable {
    /// The journal of a session whose process is gone, with the changes still in place.
    public struct DeadSession: Sendable {
        public var journalPath: String
        public var pid: Int32
        public var command: String
        public var resources: [OwnedResource]
    }

    public var deadSessions: [DeadSession] = []
    /// Changes of the scriptable commands (`ringside probes ...`) still in place.
    public var persistent: [OwnedResource] = []
    /// Instances called `ringside-<pid>` whose process is gone, in no journal.
    public var unclaimedInstances: [String] = []
    /// Dynamic events in the `ringside` group in no journal.
    public var unclaimedProbes: [EventName] = []

    public var isEmpty: Bool {
        deadSessions.isEmpty && persistent.isEmpty && unclaimedInstances.isEmpty && unclaimedProbes.isEmpty
    }

    /// Looks at every journal in `stateDirectory` and at tracefs.
    public static func scan(tracefs: Tracefs, stateDirectory: String) -> Leftovers {
        var result = Leftovers()
        var claimedInstances = Set<String>()
        var claimedProbes = Set<EventName>()
        for journal in OwnershipJournal.all(in: stateDirectory) {
            let resources = (try? journal.resources()) ?? []
            for resource in resources {
                if case .instance(let name) = resource { claimedInstances.insert(name) }
                if case .probe(let group, let name, _) = resource { claimedProbes.insert(EventName(system: group, name: name)) }
            }
            let present = resources.filter { stillPresent($0, tracefs: tracefs) }
            switch journal.owner {
            case .session(let identity, let command):
                if !identity.isRunning {
                    result.deadSessions.append(DeadSession(journalPath: journal.path, pid: identity.pid,
                                                           command: command, resources: present))
                }
            case .persistent:
                result.persistent += present
            }
        }
        for name in tracefs.instanceNames() where !claimedInstances.contains(name) && name.hasPrefix("ringside-") {
            if let pid = Int32(name.dropFirst("ringside-".count)), ProcessIdentity.startTicks(of: pid) == nil {
                result.unclaimedInstances.append(name)
            }
        }
        for entry in DynamicEvents(tracefs: tracefs).list()
        where entry.event.system == ProbeDefinition.group && !claimedProbes.contains(entry.event) {
            result.unclaimedProbes.append(entry.event)
        }
        return result
    }

    /// Whether a change is still visible in tracefs (instances and probes that exist; state changes
    /// in buffers that exist).
    static func stillPresent(_ resource: OwnedResource, tracefs: Tracefs) -> Bool {
        switch resource {
        case .instance(let name): return tracefs.instance(named: name).exists
        case .probe(let group, let name, _): return DynamicEvents(tracefs: tracefs).entry(for: EventName(system: group, name: name)) != nil
        default:
            let instance = resource.instanceName.map { tracefs.instance(named: $0) } ?? tracefs.topLevel
            return instance.exists
        }
    }

    /// Whether instance `name` was created by ringside (some journal records it).
    public static func isOwnedByRingside(instanceNamed name: String, stateDirectory: String) -> Bool {
        OwnershipJournal.all(in: stateDirectory).contains { journal in
            ((try? journal.resources()) ?? []).contains(.instance(name: name))
        }
    }

    /// A report for the user, one line per item, or nil when there is nothing.
    public func report() -> String? {
        guard !isEmpty else { return nil }
        var lines: [String] = []
        for session in deadSessions where !session.resources.isEmpty {
            lines.append("left by ringside \(session.command) (pid \(session.pid), no longer running):")
            lines += session.resources.map { "  \($0)" }
        }
        if !persistent.isEmpty {
            lines.append("kept by ringside probes/mark (persistent until removed):")
            lines += persistent.map { "  \($0)" }
        }
        if !unclaimedInstances.isEmpty {
            lines.append("instances that look like ringside's but are in no journal (left alone; remove with rmdir if they are yours):")
            lines += unclaimedInstances.map { "  \($0)" }
        }
        if !unclaimedProbes.isEmpty {
            lines.append("dynamic events in the ringside group that are in no journal (left alone; remove with `ringside probes remove`):")
            lines += unclaimedProbes.map { "  \($0)" }
        }
        return lines.isEmpty ? nil : lines.joined(separator: "\n")
    }

    /// Whether the report concerns processes that were killed (the case worth warning about at
    /// start-up).
    public var hasDeadSessions: Bool { deadSessions.contains { !$0.resources.isEmpty } }

    /// Undoes the dead sessions' changes and (with `includePersistent`) the persistent ones;
    /// deletes journals that become empty.
    public func cleanUp(tracefs: Tracefs, stateDirectory: String, includePersistent: Bool) -> [CleanupOutcome] {
        var outcomes: [CleanupOutcome] = []
        for session in deadSessions {
            guard let journal = try? OwnershipJournal(existingAt: session.journalPath) else { continue }
            let resources = (try? journal.resources()) ?? []
            let done = Cleanup.undo(resources, tracefs: tracefs)
            outcomes += done
            if done.allSatisfy({ !$0.isFailure }) {
                journal.delete()
            } else {
                let undone = done.filter { !$0.isFailure }.map(\.resource)
                try? journal.forget { undone.contains($0) }
            }
        }
        if includePersistent, let journal = try? OwnershipJournal(existingAt: OwnershipJournal.persistentPath(in: stateDirectory)) {
            let resources = (try? journal.resources()) ?? []
            let done = Cleanup.undo(resources, tracefs: tracefs)
            outcomes += done
            let undone = done.filter { !$0.isFailure }.map(\.resource)
            try? journal.forget { undone.contains($0) }
        }
        return outcomes
    }
}
