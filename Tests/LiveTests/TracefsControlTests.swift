import Foundation
import XCTest
@testable import Live

/// Control of the real tracefs: every test in its own instance, everything removed afterwards.
final class TracefsControlTests: TracefsTestCase {
    func testSessionCreatesConfiguresAndRemovesItsInstance() throws {
        let name = instanceName()
        let journal = try sessionJournal()
        let session = try TracingSession(tracefs: tracefs, choice: .named(name),
                                         settings: InstanceSettings(bufferSizeKB: 256, clock: "mono", bufferPercent: 10),
                                         journal: journal)
        let instance = session.instance
        XCTAssertTrue(instance.exists)
        // The kernel rounds the size up to whole sub-buffers.
        let size = try instance.bufferSizeKB()
        XCTAssertTrue((256..<272).contains(size), "\(size)")
        XCTAssertEqual(try instance.clocks().current, "mono")
        XCTAssertEqual(try instance.read("buffer_percent"), "10")
        XCTAssertFalse(instance.cpus().isEmpty)
        XCTAssertEqual(try journal.resources(), [.instance(name: name)])
        let outcomes = session.close()
        XCTAssertEqual(outcomes.map(\.result), [.undone])
        XCTAssertFalse(instance.exists)
        XCTAssertFalse(FileManager.default.fileExists(atPath: journal.path), "journal deleted after a clean close")
        XCTAssertThrowsError(try session.setEnabled([EventName(system: "sched", name: "sched_switch")], true))
    }

    func testBadSettingsUndoWhatWasDone() throws {
        let name = instanceName()
        XCTAssertThrowsError(try TracingSession(tracefs: tracefs, choice: .named(name),
                                                settings: InstanceSettings(bufferSizeKB: 128, clock: "no-such-clock"),
                                                journal: try sessionJournal())) { error in
            XCTAssertTrue("\(error)".contains("unknown trace clock"), "\(error)")
        }
        assertNothingLeft([name])
    }

    func testExistingInstancesNotCreatedByRingsideAreLeftAlone() throws {
        let name = instanceName()
        try tracefs.instance(named: name).create()
        XCTAssertThrowsError(try TracingSession(tracefs: tracefs, choice: .named(name), journal: try sessionJournal())) { error in
            XCTAssertTrue("\(error)".contains("did not create"), "\(error)")
        }
        XCTAssertTrue(tracefs.instance(named: name).exists)
    }

    func testEnableDisableEventsAndSubsystems() throws {
        let name = instanceName()
        let session = try TracingSession(tracefs: tracefs, choice: .named(name), journal: try sessionJournal())
        defer { session.close() }
        let catalogue = try AvailableEvents(tracefs: tracefs)
        XCTAssertFalse(catalogue.subsystems.isEmpty)
        let sched = try catalogue.resolve("sched:*")
        XCTAssertTrue(sched.contains(EventName(system: "sched", name: "sched_switch")))
        try session.setEnabled(sched, true)
        XCTAssertEqual(try session.instance.enabledEvents(), Set(sched))
        XCTAssertEqual(try session.instance.read("events/sched/enable"), "1")
        let switchEvent = EventName(system: "sched", name: "sched_switch")
        try session.setEnabled([switchEvent], false)
        XCTAssertFalse(try session.instance.isEnabled(switchEvent))
        XCTAssertEqual(try session.instance.read("events/sched/enable"), "X", "mixed subsystem state")
        // The top-level buffer is untouched.
        XCTAssertEqual(try tracefs.topLevel.isEnabled(switchEvent), try tracefs.topLevel.isEnabled(switchEvent))
        XCTAssertThrowsError(try session.setEnabled([EventName(system: "sched", name: "no_such_event")], true))
        session.close()
        assertNothingLeft([name])
    }

    func testFiltersAcceptedAndRejectedWithKernelMessage() throws {
        let name = instanceName()
        let session = try TracingSession(tracefs: tracefs, choice: .named(name), journal: try sessionJournal())
        defer { session.close() }
        let event = EventName(system: "sched", name: "sched_switch")
        try session.setFilter("prev_pid > 0 && prev_comm ~ \"ksoft*\"", of: event)
        XCTAssertEqual(try session.instance.filter(of: event), "prev_pid > 0 && prev_comm ~ \"ksoft*\"")
        XCTAssertThrowsError(try session.setFilter("no_such_field == 1", of: event)) { error in
            guard let live = error as? LiveError else { return XCTFail("\(error)") }
            XCTAssertTrue(live.message.contains("rejected"), live.message)
            let kernel = live.kernelMessage ?? ""
            XCTAssertTrue(kernel.contains("Field not found"), "error_log message: \(kernel)")
            XCTAssertTrue(kernel.contains("no_such_field == 1"), kernel)
            XCTAssertTrue(kernel.contains("^"), kernel)
        }
        // A rejected filter leaves the previous one in place.
        XCTAssertEqual(try session.instance.filter(of: event), "prev_pid > 0 && prev_comm ~ \"ksoft*\"")
        // Injection never reaches the kernel.
        XCTAssertThrowsError(try session.setFilter("prev_pid > 0\n0", of: event))
        try session.setFilter(nil, of: event)
        XCTAssertNil(try session.instance.filter(of: event))
    }

    func testMarkersArriveInTheInstance() throws {
        let name = instanceName()
        let session = try TracingSession(tracefs: tracefs, choice: .named(name), journal: try sessionJournal())
        defer { session.close() }
        let text = "ringside test marker ✓ \(name)"
        try session.writeMarker(text)
        let trace = try session.instance.read("trace")
        XCTAssertTrue(trace.contains("tracing_mark_write: " + text), trace)
        XCTAssertThrowsError(try session.writeMarker("two\nlines"))
        XCTAssertFalse(try tracefs.topLevel.read("trace").contains(text), "marker must not reach the top-level buffer")
    }

    func testUprobeOnTestBinaryIsHitWithArguments() throws {
        let directory = try LiveTestSupport.temporaryDirectory("uprobe")
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let binary = try LiveTestSupport.compile("probe-target.c", into: directory, output: "probe-target")
        guard tracefs.capabilities.uprobes else { throw XCTSkip("kernel without uprobes") }
        let name = instanceName()
        let entryName = probeName("entry")
        let exitName = probeName("exit")
        let session = try TracingSession(tracefs: tracefs, choice: .named(name), journal: try sessionJournal())
        defer { session.close() }
        let entry = try ProbeRequest(target: binary + ":probe_target", name: entryName,
                                     arguments: ["value=$arg1:s64", "text=+0($arg2):string"])
            .resolve(capabilities: tracefs.capabilities)
        let exit = try ProbeRequest(target: binary + ":probe_target", isReturn: true, name: exitName,
                                    arguments: ["result=$retval:s64"])
            .resolve(capabilities: tracefs.capabilities)
        try session.addProbe(entry)
        try session.addProbe(exit)
        XCTAssertThrowsError(try session.addProbe(entry)) { XCTAssertTrue("\($0)".contains("exists already"), "\($0)") }
        try session.setEnabled([entry.event, exit.event], true)
        let result = try LiveTestSupport.run(binary, ["3"])
        XCTAssertEqual(result.status, 0)
        let trace = try session.instance.read("trace")
        for i in 0..<3 {
            XCTAssertTrue(trace.contains("\(entryName): (") && trace.contains("value=\(40 + i) text=\"hello\""), trace)
            XCTAssertTrue(trace.contains("result=\((40 + i) * 2 + 104)"), trace)
        }
        let outcomes = session.close()
        XCTAssertTrue(outcomes.allSatisfy { !$0.isFailure }, "\(outcomes)")
        assertNothingLeft([name], probes: [entry.event, exit.event])
    }

    func testKernelRejectionOfProbeShowsErrorLog() throws {
        guard tracefs.capabilities.uprobes else { throw XCTSkip("kernel without uprobes") }
        let directory = try LiveTestSupport.temporaryDirectory("uprobe-bad")
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let binary = try LiveTestSupport.compile("probe-target.c", into: directory, output: "probe-target")
        let name = probeName("bad")
        // An unknown register passes ringside's syntax check; the kernel refuses it.
        let probe = try ProbeRequest(target: binary + ":probe_target", name: name, arguments: ["x=%nosuchreg:u64"])
            .resolve(capabilities: tracefs.capabilities)
        XCTAssertThrowsError(try DynamicEvents(tracefs: tracefs).add(probe)) { error in
            guard let live = error as? LiveError else { return XCTFail("\(error)") }
            XCTAssertNotNil(live.kernelMessage, live.description)
            XCTAssertTrue(live.kernelMessage?.contains("nosuchreg") ?? false, live.description)
        }
        XCTAssertNil(DynamicEvents(tracefs: tracefs).entry(for: probe.event))
    }

    func testRemovingForeignProbesIsRefused() throws {
        XCTAssertThrowsError(try DynamicEvents(tracefs: tracefs).remove(EventName(system: "uprobes", name: "whatever"))) { error in
            XCTAssertTrue("\(error)".contains("only the probes it made"), "\(error)")
        }
    }

    func testKprobeSupportIsDetected() {
        let capabilities = tracefs.capabilities
        XCTAssertEqual(capabilities.kprobes, FileManager.default.fileExists(atPath: tracefs.path("kprobe_events")))
        if !capabilities.kprobes {
            XCTAssertThrowsError(try ProbeRequest(target: "vfs_read").resolve(capabilities: capabilities)) { error in
                XCTAssertTrue("\(error)".contains("CONFIG_KPROBES"), "\(error)")
            }
        }
    }
}
