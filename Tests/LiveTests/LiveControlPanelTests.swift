import Foundation
import XCTest
@testable import Live
import TraceKit

/// The control panel's logic on the real kernel (the viewer only draws it).
final class LiveControlPanelTests: TracefsTestCase {
    func testSearchToggleFilterProbesAndMarkers() throws {
        let session = try TracingSession(tracefs: tracefs, choice: .named(instanceName()), journal: try sessionJournal())
        defer { session.close() }
        let panel = try LiveControlPanel(session: session)
        // Closed subsystems first.
        XCTAssertTrue(panel.rows.allSatisfy { if case .subsystem = $0 { return true } else { return false } })
        XCTAssertTrue(panel.rows.contains { $0.label == "sched" })

        panel.search = "sched_switch"
        XCTAssertEqual(panel.rows.map(\.label), ["sched", "sched:sched_switch"])
        panel.selection = 1
        panel.toggleSelected()
        XCTAssertTrue(try session.instance.isEnabled(EventName(system: "sched", name: "sched_switch")))
        XCTAssertEqual(panel.rows[1], .event(EventName(system: "sched", name: "sched_switch"), enabled: true, filter: nil, dynamic: false))
        if case .subsystem(_, let on, let total, _) = panel.rows[0] {
            XCTAssertEqual(on, 1)
            XCTAssertGreaterThan(total, 1)
        }

        // A refused filter shows the kernel's explanation; the event keeps working.
        XCTAssertFalse(panel.setFilter("no_field == 3"))
        guard case .error(_, let detail)? = panel.message else { return XCTFail("\(String(describing: panel.message))") }
        XCTAssertTrue(detail?.contains("Field not found") ?? false, detail ?? "")
        XCTAssertTrue(panel.setFilter("prev_pid > 0"))
        XCTAssertEqual(panel.rows[1], .event(EventName(system: "sched", name: "sched_switch"), enabled: true,
                                             filter: "prev_pid > 0", dynamic: false))
        XCTAssertTrue(panel.setFilter(""))
        XCTAssertNil(try session.instance.filter(of: EventName(system: "sched", name: "sched_switch")))

        // The whole subsystem: on, then off.
        panel.selection = 0
        panel.toggleSelected()
        let sched = try AvailableEvents(tracefs: tracefs).resolve("sched:*")
        XCTAssertEqual(try session.instance.enabledEvents(), Set(sched))
        panel.toggleSelected()
        XCTAssertTrue(try session.instance.enabledEvents().isEmpty)

        // The viewer's filter pushed down onto the enabled events that have its fields.
        panel.search = "sched_switch"
        panel.selection = 1
        panel.toggleSelected()
        XCTAssertTrue(panel.pushDown(viewerFilter: "event == \"sched_switch\" && prev_pid > 0"), "\(String(describing: panel.message))")
        XCTAssertEqual(try session.instance.filter(of: EventName(system: "sched", name: "sched_switch")), "prev_pid > 0")
        XCTAssertFalse(panel.pushDown(viewerFilter: "time > 1s"))
        XCTAssertFalse(panel.pushDown(viewerFilter: nil))

        XCTAssertTrue(panel.writeMarker("from the panel"))
        XCTAssertTrue(try session.instance.read("trace").contains("tracing_mark_write: from the panel"))
        XCTAssertFalse(panel.writeMarker("two\nlines"))
    }

    func testProbesFromThePanel() throws {
        guard tracefs.capabilities.uprobes else { throw XCTSkip("kernel without uprobes") }
        let directory = try LiveTestSupport.temporaryDirectory("panel")
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let binary = try LiveTestSupport.compile("probe-target.c", into: directory, output: "probe-target")
        let session = try TracingSession(tracefs: tracefs, choice: .named(instanceName()), journal: try sessionJournal())
        defer { session.close() }
        let panel = try LiveControlPanel(session: session)
        var changes = 0
        panel.onEventsChanged = { changes += 1 }
        let name = probeName("panel")
        XCTAssertTrue(panel.addProbe("--name \(name) \(binary):probe_target v=$arg1:s64"), "\(String(describing: panel.message))")
        XCTAssertEqual(panel.selectedEvent, EventName(system: "ringside", name: name))
        XCTAssertTrue(try session.instance.isEnabled(EventName(system: "ringside", name: name)))
        XCTAssertEqual(changes, 1)
        XCTAssertFalse(panel.addProbe("\(binary):nope"))
        XCTAssertFalse(panel.addProbe("--bogus x"))
        XCTAssertTrue(panel.removeSelectedProbe(), "\(String(describing: panel.message))")
        XCTAssertNil(DynamicEvents(tracefs: tracefs).entry(for: EventName(system: "ringside", name: name)))
        XCTAssertEqual(changes, 2)
        session.close()
        assertNothingLeft([session.instance.name!], probes: [EventName(system: "ringside", name: name)])
    }
}

/// Viewer filters turned into kernel filters.
final class KernelFilterPushDownTests: XCTestCase {
    let switchEvent = EventName(system: "sched", name: "sched_switch")
    let wakeup = EventName(system: "sched", name: "sched_wakeup")
    let exec = EventName(system: "sched", name: "sched_process_exec")

    func fields(_ event: EventName) -> [KernelFilterPushDown.FieldInfo]? {
        let common: [KernelFilterPushDown.FieldInfo] = [.init(name: "common_pid", isString: false)]
        switch event.name {
        case "sched_switch":
            return common + [.init(name: "prev_comm", isString: true), .init(name: "prev_pid", isString: false),
                             .init(name: "next_pid", isString: false)]
        case "sched_wakeup": return common + [.init(name: "comm", isString: true), .init(name: "pid", isString: false)]
        case "sched_process_exec": return common + [.init(name: "filename", isString: true)]
        default: return nil
        }
    }

    func plan(_ text: String) throws -> KernelFilterPushDown.Plan {
        try KernelFilterPushDown.plan(FilterParser.parse(text), events: [switchEvent, wakeup, exec], fields: fields)
    }

    func testExpressibleFiltersBecomeKernelFilters() throws {
        XCTAssertEqual(try plan("event == \"sched_switch\" && prev_pid == 42").filters, [switchEvent: "prev_pid == 42"])
        XCTAssertEqual(try plan("event == \"sched:sched_switch\" && (prev_pid > 1 || next_pid != 0) && !(prev_comm =~ \"ksoft*\")").filters,
                       [switchEvent: "(prev_pid > 1 || next_pid != 0) && !(prev_comm ~ \"ksoft*\")"])
        XCTAssertEqual(try plan("event =~ /wake/ && pid >= 100").filters, [wakeup: "common_pid >= 100"])
        XCTAssertEqual(try plan("event =~ \"sched_*\" && comm == \"bash\"").filters,
                       [switchEvent: "comm == \"bash\"", wakeup: "comm == \"bash\"", exec: "comm == \"bash\""])
        // An event without the field is left out, not the whole push-down.
        let partial = try plan("prev_pid == 7")
        XCTAssertEqual(partial.filters, [switchEvent: "prev_pid == 7"])
        XCTAssertEqual(Set(partial.skipped.keys), [wakeup, exec])
        XCTAssertEqual(try plan("cpu == 1 && event == \"sched_wakeup\"").filters, [wakeup: "CPU == 1"])
    }

    func testWhatTheKernelCannotSayStaysInTheViewer() {
        for text in ["event == \"sched_switch\"", "time > 5s && event == \"sched_switch\"", "prev_comm =~ /ba.h/",
                     "event == \"sched_switch\" || prev_pid == 1", "prev_pid == \"x\"", "prev_comm < \"b\"",
                     "event == \"nothing\" && prev_pid == 1", "nosuchfield == 3", "prev_comm == \"a\\\"b\""] {
            XCTAssertThrowsError(try plan(text), text)
        }
    }
}
