import TraceIO

/// What undoing one recorded change did.
public struct CleanupOutcome: Sendable, CustomStringConvertible {
    public enum Result: Sendable, Equatable {
        /// Removed (instances, probes) or put back as it was (events, filters, settings).
        case undone
        /// Already gone or already as it was: nothing to do.
        case nothingToDo
        /// Taken care of by another step (a change inside an instance that was removed, a later
        /// change to something whose oldest record was restored).
        case covered
        case failed(String)
    }

    public var resource: OwnedResource
    public var result: Result

    /// Whether the outcome is worth telling the user (not `covered`).
    public var isReportable: Bool { result != .covered }

    public var isFailure: Bool {
        if case .failed = result { return true }
        return false
    }

    public var description: String {
        switch result {
        case .undone:
            switch resource {
            case .instance, .probe: return "removed \(resource)"
            default: return "restored \(resource)"
            }
        case .nothingToDo: return "already gone: \(resource)"
        case .covered: return "covered: \(resource)"
        case .failed(let message): return "could not undo \(resource): \(message)"
        }
    }
}

/// Undoes recorded changes in an order the kernel accepts: first restore events, filters and
/// settings in buffers that stay (the top level, instances ringside did not create), then remove
/// ringside's instances (which drops everything enabled in them), then remove probes (which the
/// kernel refuses while any instance still has them enabled).
public enum Cleanup {
    public static func undo(_ resources: [OwnedResource], tracefs: Tracefs) -> [CleanupOutcome] {
        var outcomes: [CleanupOutcome] = []
        let removedInstances = Set(resources.compactMap { r -> String? in
            if case .instance(let name) = r { return name }
            return nil
        })
        // Only the oldest record of each target holds the state before ringside touched it.
        var oldest: [OwnedResource] = []
        for resource in resources {
            switch resource {
            case .eventState, .filter, .setting:
                if let instance = resource.instanceName, removedInstances.contains(instance) {
                    outcomes.append(CleanupOutcome(resource: resource, result: .covered))
                } else if oldest.contains(where: { $0.isSameTarget(as: resource) }) {
                    outcomes.append(CleanupOutcome(resource: resource, result: .covered))
                } else {
                    oldest.append(resource)
                }
            default:
                continue
            }
        }
        for resource in oldest.reversed() {
            outcomes.append(CleanupOutcome(resource: resource, result: restore(resource, tracefs: tracefs)))
        }
        for resource in resources.reversed() {
            guard case .instance(let name) = resource else { continue }
            let instance = tracefs.instance(named: name)
            guard instance.exists else {
                outcomes.append(CleanupOutcome(resource: resource, result: .nothingToDo))
                continue
            }
            do {
                try instance.remove()
                outcomes.append(CleanupOutcome(resource: resource, result: .undone))
            } catch {
                outcomes.append(CleanupOutcome(resource: resource, result: .failed("\(error)")))
            }
        }
        let probes = DynamicEvents(tracefs: tracefs)
        for resource in resources.reversed() {
            guard case .probe(let group, let name, _) = resource else { continue }
            let event = EventName(system: group, name: name)
            guard probes.entry(for: event) != nil else {
                outcomes.append(CleanupOutcome(resource: resource, result: .nothingToDo))
                continue
            }
            do {
                try probes.remove(event)
                outcomes.append(CleanupOutcome(resource: resource, result: .undone))
            } catch {
                outcomes.append(CleanupOutcome(resource: resource, result: .failed("\(error)")))
            }
        }
        return outcomes
    }

    private static func restore(_ resource: OwnedResource, tracefs: Tracefs) -> CleanupOutcome.Result {
        let instanceName = resource.instanceName
        let instance = instanceName.map { tracefs.instance(named: $0) } ?? tracefs.topLevel
        guard instance.exists else { return .nothingToDo }
        do {
            switch resource {
            case .eventState(_, let event, let previouslyEnabled):
                guard ControlFile.exists(instance.path("events/\(event.directory)/enable")) else { return .nothingToDo }
                if try instance.isEnabled(event) == previouslyEnabled { return .nothingToDo }
                try instance.setEnabled(event, previouslyEnabled)
            case .filter(_, let event, let previous):
                guard ControlFile.exists(instance.path("events/\(event.directory)/filter")) else { return .nothingToDo }
                if try instance.filter(of: event) == previous { return .nothingToDo }
                try instance.setFilter(previous, of: event)
            case .setting(_, let file, let previous):
                if try instance.settingValue(file) == previous { return .nothingToDo }
                try instance.write(file, previous)
            default:
                return .nothingToDo
            }
            return .undone
        } catch {
            return .failed("\(error)")
        }
    }
}
