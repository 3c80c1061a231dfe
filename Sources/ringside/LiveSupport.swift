import ArgumentParser
import Live
import TraceIO

/// What the live-tracing subcommands share: finding tracefs, the journals, the instance choice.
enum LiveSupport {
    /// The instance the scriptable commands (`probes`, `mark`) use unless told otherwise: a
    /// persistent instance called `ringside`, created on first use and recorded in the persistent
    /// journal (watch it with `ringside live --instance ringside`; `ringside live --cleanup` removes
    /// it).
    static let persistentInstanceName = "ringside"

    static func tracefs() throws -> Tracefs {
        try Tracefs.locate()
    }

    static var stateDirectory: String { OwnershipJournal.stateDirectory() }

    /// Prints `message` on standard error as `ringside: message`.
    static func warn(_ message: String) {
        var stderr = StandardError()
        print("ringside: " + message, to: &stderr)
    }

    /// The instance named by `--instance` for a scriptable command (default: the persistent one).
    static func scriptableInstanceChoice(_ option: String?) throws -> InstanceChoice {
        try InstanceChoice(option: option ?? persistentInstanceName)
    }

    /// Resolves event patterns against the catalogue; all patterns are checked before anything
    /// changes, so a bad one changes nothing.
    static func resolve(_ patterns: [String], in catalogue: AvailableEvents) throws -> [EventName] {
        var result: [EventName] = []
        var seen = Set<EventName>()
        for pattern in patterns {
            for event in try catalogue.resolve(pattern) where seen.insert(event).inserted {
                result.append(event)
            }
        }
        return result
    }

    /// Instances ringside owns right now (recorded in a journal and present).
    static func ownedInstances(tracefs: Tracefs) -> [TracingInstance] {
        var names = Set<String>()
        for journal in OwnershipJournal.all(in: stateDirectory) {
            for resource in (try? journal.resources()) ?? [] {
                if case .instance(let name) = resource { names.insert(name) }
            }
        }
        return names.sorted().map { tracefs.instance(named: $0) }.filter(\.exists)
    }
}

/// Standard error as a `TextOutputStream`.
struct StandardError: TextOutputStream {
    mutating func write(_ string: String) {
        var text = string
        text.withUTF8 { bytes in
            try? FileOutput.writeAll(UnsafeRawBufferPointer(bytes), to: 2)
        }
    }
}

/// Process-wide output settings for the live commands.
enum FileOutputSupport {
    static func ignoreBrokenPipe() {
        FileOutput.ignoreBrokenPipeSignal()
    }
}
