import Foundation
import XCTest
@testable import Live

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
