import ArgumentParser
import Live

/// `ringside probes ...`: scriptable control of tracepoints and dynamic probes.
struct ProbesCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "probes",
        abstract: "List, enable, disable and filter tracepoints; add and remove dynamic probes.",
        discussion: """
            Events are enabled in an instance, never in the top-level buffer unless --instance top \
            is given. By default the instance is "ringside": a persistent instance created on first \
            use, which stays until `ringside live --cleanup` (watch it with \
            `ringside live --instance ringside`). A running `ringside live` works in its own \
            instance ringside-<pid>: pass --instance ringside-<pid> to change what it shows. \
            Dynamic probes are global to the kernel and live in the event group "ringside".
            """,
        subcommands: [List.self, Enable.self, Disable.self, Filter.self, Add.self, Remove.self])

    struct InstanceOption: ParsableArguments {
        @Option(name: .long, help: "Instance to act on: ringside (default), ringside-NAME, or top.")
        var instance: String?
    }

    struct List: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "List available events with their state in the instance.")

        @Flag(name: .long, help: "Only events enabled in the instance.")
        var enabled = false

        @Flag(name: .long, help: "Only dynamic events (probes), with their definitions.")
        var dynamic = false

        @OptionGroup var target: InstanceOption

        @Argument(help: "Events to list: SYSTEM:EVENT with globs (sched:*), a subsystem, or an event name.")
        var pattern: String?

        func run() throws {
            let tracefs = try LiveSupport.tracefs()
            let choice = try LiveSupport.scriptableInstanceChoice(target.instance)
            let instance: TracingInstance
            switch choice {
            case .top: instance = tracefs.topLevel
            case .named(let name): instance = tracefs.instance(named: name)
            case .privateInstance: instance = tracefs.topLevel
            }
            let catalogue = try AvailableEvents(tracefs: tracefs)
            var events = try pattern.map { try catalogue.resolve($0) } ?? catalogue.events
            let enabledSet = instance.exists ? try instance.enabledEvents() : []
            let dynamicEntries = Dictionary(DynamicEvents(tracefs: tracefs).list().map { ($0.event, $0) },
                                            uniquingKeysWith: { a, _ in a })
            if dynamic { events = events.filter { dynamicEntries[$0] != nil } }
            if enabled { events = events.filter { enabledSet.contains($0) } }
            let width = min(60, events.map { $0.description.count }.max() ?? 0)
            var out = ""
            for event in events {
                var line = event.description.padding(toLength: width) + "  " + (enabledSet.contains(event) ? "on " : "off")
                if instance.exists, let filter = try? instance.filter(of: event) {
                    line += "  filter: " + filter
                }
                if let entry = dynamicEntries[event] { line += "  " + entry.definition }
                out += line + "\n"
            }
            print(out, terminator: "")
            if events.isEmpty && (enabled || dynamic) {
                LiveSupport.warn("no \(enabled ? "enabled " : "")\(dynamic ? "dynamic " : "")events\(pattern.map { " match \"\($0)\"" } ?? "") in \(instance.displayName)")
            }
        }
    }

    struct Enable: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Enable events (sched:sched_switch, sched:*, sched).")

        @OptionGroup var target: InstanceOption

        @Argument(help: "Events: SYSTEM:EVENT, globs such as sched:*, or a subsystem name.")
        var events: [String]

        func run() throws {
            try ProbesCommand.changeEnableState(patterns: events, enable: true, instanceOption: target.instance)
        }
    }

    struct Disable: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Disable events.")

        @OptionGroup var target: InstanceOption

        @Argument(help: "Events: SYSTEM:EVENT, globs such as sched:*, or a subsystem name.")
        var events: [String]

        func run() throws {
            try ProbesCommand.changeEnableState(patterns: events, enable: false, instanceOption: target.instance)
        }
    }

    /// Enables or disables events through a session on the persistent journal; on failure half-way
    /// the session undoes what this command did.
    static func changeEnableState(patterns: [String], enable: Bool, instanceOption: String?) throws {
        guard !patterns.isEmpty else { throw ValidationFailure("name at least one event") }
        let tracefs = try LiveSupport.tracefs()
        let catalogue = try AvailableEvents(tracefs: tracefs)
        let events = try LiveSupport.resolve(patterns, in: catalogue)
        let choice = try LiveSupport.scriptableInstanceChoice(instanceOption)
        if !enable, case .named(let name) = choice, !tracefs.instance(named: name).exists {
            throw LiveError("instance \(name) does not exist: nothing is enabled there")
        }
        let session = try TracingSession(tracefs: tracefs, choice: choice,
                                         journal: OwnershipJournal.persistent(directory: LiveSupport.stateDirectory))
        do {
            try session.setEnabled(events, enable)
        } catch {
            session.close()
            throw error
        }
        session.detach()
        print("\(enable ? "enabled" : "disabled") \(events.count) event\(events.count == 1 ? "" : "s") in \(session.instance.displayName)")
    }

    struct Filter: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Set an event's kernel filter (an empty EXPR or 0 clears it).",
            discussion: "The kernel's syntax: prev_pid == 42 && prev_comm ~ \"bash*\". A rejected filter shows the kernel's error_log message.")

        @OptionGroup var target: InstanceOption

        @Argument(help: "The event (SYSTEM:EVENT; a glob applies the filter to every match).")
        var event: String

        @Argument(help: "The filter expression.")
        var expression: String

        func run() throws {
            let tracefs = try LiveSupport.tracefs()
            let catalogue = try AvailableEvents(tracefs: tracefs)
            let events = try catalogue.resolve(event)
            let clearing = expression.trimmingCharacters(in: " ").isEmpty || expression == "0"
            if !clearing { try KernelFilterSyntax.validate(expression) }
            let choice = try LiveSupport.scriptableInstanceChoice(target.instance)
            let session = try TracingSession(tracefs: tracefs, choice: choice,
                                             journal: OwnershipJournal.persistent(directory: LiveSupport.stateDirectory))
            do {
                for event in events { try session.setFilter(clearing ? nil : expression, of: event) }
            } catch {
                session.close()
                throw error
            }
            session.detach()
            print("\(clearing ? "cleared the filter of" : "filtered") \(events.count == 1 ? events[0].description : "\(events.count) events") in \(session.instance.displayName)")
        }
    }

    struct Add: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Add a dynamic probe in the event group ringside.",
            discussion: """
                TARGET is PATH:SYMBOL[+OFFSET] or PATH:0xFILEOFFSET for a user-space probe (symbols \
                from .symtab/.dynsym; the path must contain a /, e.g. ./prog:main), or \
                SYMBOL[+OFFSET] / MODULE:SYMBOL for a kernel probe where the kernel has kprobes. \
                ARGs use the kernel's fetcharg syntax, NAME=FETCHARG[:TYPE]: %REG, $argN (translated \
                to the argument register for user-space probes), $retval (--return), $comm, $stackN, \
                @ADDR, +OFFSET(FETCHARG), with types s/u/x8..64, string, ustring, symbol, TYPE[N]. \
                The probe starts disabled: enable it with `ringside probes enable ringside:NAME`.
                """)

        @Flag(name: .customLong("return"), help: "Probe the function's return instead of its entry.")
        var isReturn = false

        @Option(name: .long, help: "Event name (default: from the symbol).")
        var name: String?

        @Argument(help: "Where to probe.")
        var target: String

        @Argument(parsing: .allUnrecognized, help: "Fetch arguments.")
        var arguments: [String] = []

        func run() throws {
            let tracefs = try LiveSupport.tracefs()
            let request = ProbeRequest(target: target, isReturn: isReturn, name: name, arguments: arguments)
            let probe = try request.resolve(capabilities: tracefs.capabilities)
            let journal = try OwnershipJournal.persistent(directory: LiveSupport.stateDirectory)
            try TerminationSignals.deferring {
                try DynamicEvents(tracefs: tracefs).add(probe)
                try journal.record(.probe(group: ProbeDefinition.group, name: probe.name, definition: probe.definitionLine))
            }
            var line = "added \(probe.event): \(probe.definitionLine)"
            if let from = probe.resolvedFrom { line += "  (\(from))" }
            print(line)
        }
    }

    struct Remove: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Remove a dynamic probe of the ringside group (disabling it in ringside's instances first).")

        @Argument(help: "The probe as GROUP:NAME (the group must be ringside).")
        var probes: [String]

        func run() throws {
            guard !probes.isEmpty else { throw ValidationFailure("name the probe to remove, as ringside:NAME") }
            let tracefs = try LiveSupport.tracefs()
            let events = try probes.map { text -> EventName in
                guard let event = EventName(parsing: text) else {
                    throw LiveError("\"\(text)\" is not GROUP:NAME")
                }
                guard event.system == ProbeDefinition.group else {
                    throw LiveError("\(event) is not in the \(ProbeDefinition.group) group; ringside removes only its own probes")
                }
                guard DynamicEvents(tracefs: tracefs).entry(for: event) != nil else {
                    throw LiveError("no dynamic event \(event)")
                }
                return event
            }
            let journal = try OwnershipJournal.persistent(directory: LiveSupport.stateDirectory)
            for event in events {
                try TerminationSignals.deferring {
                    // The kernel refuses to remove a probe still enabled somewhere: disable it in the
                    // instances ringside owns; anywhere else is the user's to change.
                    for instance in LiveSupport.ownedInstances(tracefs: tracefs)
                    where (try? instance.isEnabled(event)) == true {
                        try instance.setEnabled(event, false)
                    }
                    try DynamicEvents(tracefs: tracefs).remove(event)
                    try journal.forget { resource in
                        switch resource {
                        case .probe(let group, let name, _): return group == event.system && name == event.name
                        case .eventState(_, let e, _), .filter(_, let e, _): return e == event
                        default: return false
                        }
                    }
                }
                print("removed \(event)")
            }
        }
    }
}

extension String {
    func padding(toLength length: Int) -> String {
        count >= length ? self : self + String(repeating: " ", count: length - count)
    }

    func trimmingCharacters(in set: Character) -> String {
        String(drop(while: { $0 == set }).reversed().drop(while: { $0 == set }).reversed())
    }
}
