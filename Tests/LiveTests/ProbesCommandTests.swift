import Foundation
import XCTest
@testable import Live

/// The scriptable commands end to end: the built binary on the real tracefs, with a private state
/// directory and a private persistent instance name.
final class ProbesCommandTests: TracefsTestCase {
    private func ringside(_ arguments: [String]) throws -> (status: Int32, output: String) {
        var env = ProcessInfo.processInfo.environment
        env["RINGSIDE_STATE_DIR"] = stateDirectory
        return try LiveTestSupport.run(try LiveTestSupport.ringsideBinary(), arguments, environment: env)
    }

    func testEnableFilterListMarkDisableAndCleanup() throws {
        let name = instanceName()
        let instance = tracefs.instance(named: name)
        var result = try ringside(["probes", "enable", "--instance", name, "sched:sched_switch", "sched:sched_wakeup*"])
        XCTAssertEqual(result.status, 0, result.output)
        XCTAssertTrue(result.output.contains("enabled"), result.output)
        XCTAssertTrue(try instance.isEnabled(EventName(system: "sched", name: "sched_switch")))

        result = try ringside(["probes", "filter", "--instance", name, "sched:sched_switch", "prev_pid > 0"])
        XCTAssertEqual(result.status, 0, result.output)
        XCTAssertEqual(try instance.filter(of: EventName(system: "sched", name: "sched_switch")), "prev_pid > 0")

        result = try ringside(["probes", "filter", "--instance", name, "sched:sched_switch", "nope == 1"])
        XCTAssertNotEqual(result.status, 0)
        XCTAssertTrue(result.output.contains("Field not found"), result.output)
        XCTAssertEqual(try instance.filter(of: EventName(system: "sched", name: "sched_switch")), "prev_pid > 0",
                       "a rejected filter keeps the previous one")

        result = try ringside(["probes", "list", "--instance", name, "--enabled"])
        XCTAssertEqual(result.status, 0, result.output)
        let lines = result.output.split(separator: "\n")
        XCTAssertTrue(lines.contains { $0.hasPrefix("sched:sched_switch") && $0.contains(" on ") && $0.contains("filter: prev_pid > 0") }, result.output)
        XCTAssertFalse(lines.contains { $0.hasPrefix("sched:sched_process_exec") }, result.output)

        result = try ringside(["mark", "--instance", name, "scripted", "marker", "✓"])
        XCTAssertEqual(result.status, 0, result.output)
        XCTAssertTrue(try instance.read("trace").contains("tracing_mark_write: scripted marker ✓"))
        // Without --instance the marker goes to every instance ringside owns (this one included).
        result = try ringside(["mark", "second"])
        XCTAssertEqual(result.status, 0, result.output)
        XCTAssertTrue(result.output.contains(name), result.output)
        XCTAssertTrue(try instance.read("trace").contains("tracing_mark_write: second"))
        XCTAssertNotEqual(try ringside(["mark", "--instance", name, "bad\u{7}"]).status, 0)

        result = try ringside(["probes", "disable", "--instance", name, "sched:*"])
        XCTAssertEqual(result.status, 0, result.output)
        XCTAssertTrue(try instance.enabledEvents().isEmpty)

        // Errors: unknown events change nothing; foreign instances are refused.
        result = try ringside(["probes", "enable", "--instance", name, "sched:sched_switch", "nosuch:event"])
        XCTAssertNotEqual(result.status, 0)
        XCTAssertTrue(result.output.contains("no event matches"), result.output)
        XCTAssertFalse(try instance.isEnabled(EventName(system: "sched", name: "sched_switch")))
        let foreign = instanceName()
        try tracefs.instance(named: foreign).create()
        result = try ringside(["probes", "enable", "--instance", foreign, "sched:sched_switch"])
        XCTAssertNotEqual(result.status, 0)
        XCTAssertTrue(result.output.contains("did not create"), result.output)
        XCTAssertFalse(try tracefs.instance(named: foreign).isEnabled(EventName(system: "sched", name: "sched_switch")))
        XCTAssertNotEqual(try ringside(["probes", "enable", "--instance", "other", "sched:sched_switch"]).status, 0)

        result = try ringside(["live", "--cleanup"])
        XCTAssertEqual(result.status, 0, result.output)
        XCTAssertTrue(result.output.contains("removed instance \(name)"), result.output)
        XCTAssertFalse(instance.exists)
        XCTAssertTrue(tracefs.instance(named: foreign).exists, "cleanup leaves instances ringside did not create")
    }

    func testAddListEnableAndRemoveUprobes() throws {
        guard tracefs.capabilities.uprobes else { throw XCTSkip("kernel without uprobes") }
        let directory = try LiveTestSupport.temporaryDirectory("cli-probes")
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let binary = try LiveTestSupport.compile("probe-target.c", into: directory, output: "probe-target")
        let entry = probeName("cli_entry"), exit = probeName("cli_exit")
        let name = instanceName()
        var result = try ringside(["probes", "add", "--name", entry, binary + ":probe_target", "value=$arg1:s64", "text=+0($arg2):string"])
        XCTAssertEqual(result.status, 0, result.output)
        XCTAssertTrue(result.output.contains("value=%di:s64"), result.output)
        result = try ringside(["probes", "add", "--return", "--name", exit, binary + ":probe_target", "r=$retval:s64"])
        XCTAssertEqual(result.status, 0, result.output)
        result = try ringside(["probes", "add", "--name", entry, binary + ":probe_target"])
        XCTAssertNotEqual(result.status, 0, "duplicate name")
        result = try ringside(["probes", "add", binary + ":probe_target", "x=%di\nr:ringside/evil /bin/sh:0"])
        XCTAssertNotEqual(result.status, 0, "injection refused")
        XCTAssertNil(DynamicEvents(tracefs: tracefs).entry(for: EventName(system: "ringside", name: "evil")))
        result = try ringside(["probes", "add", "vfs_read"])
        XCTAssertNotEqual(result.status, 0)
        if !tracefs.capabilities.kprobes { XCTAssertTrue(result.output.contains("CONFIG_KPROBES"), result.output) }

        result = try ringside(["probes", "list", "--dynamic", "ringside:*"])
        XCTAssertTrue(result.output.contains("ringside:\(entry)") && result.output.contains("ringside:\(exit)"), result.output)

        XCTAssertEqual(try ringside(["probes", "enable", "--instance", name, "ringside:\(entry)", "ringside:\(exit)"]).status, 0)
        XCTAssertEqual(try LiveTestSupport.run(binary, ["2"]).status, 0)
        let trace = try tracefs.instance(named: name).read("trace")
        XCTAssertTrue(trace.contains("value=41 text=\"hello\""), trace)
        XCTAssertTrue(trace.contains("r=186"), trace)

        // Removing a probe still enabled in ringside's instance disables it there first.
        result = try ringside(["probes", "remove", "ringside:\(entry)", "ringside:\(exit)"])
        XCTAssertEqual(result.status, 0, result.output)
        XCTAssertNil(DynamicEvents(tracefs: tracefs).entry(for: EventName(system: "ringside", name: entry)))
        XCTAssertNotEqual(try ringside(["probes", "remove", "uprobes:whatever"]).status, 0)
        XCTAssertEqual(try ringside(["live", "--cleanup"]).status, 0)
        assertNothingLeft([name], probes: [EventName(system: "ringside", name: entry), EventName(system: "ringside", name: exit)])
    }
}
