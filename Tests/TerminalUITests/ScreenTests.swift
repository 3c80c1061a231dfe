import XCTest
import TraceKit
@testable import TerminalUI

/// Scripted key sequences through the reducer, with screen snapshots rendered into a `CellBuffer`.
final class ScreenTests: XCTestCase {
    private func makeController(width: Int = 100, height: Int = 30) throws -> ViewerController {
        let model = try TestTraces.model(TestTraces.scheduler())
        let themes = ThemeCatalog(directories: [ThemeTests.themesDirectory])
        return ViewerController(model: model, width: width, height: height, themes: themes)
    }

    /// Sends keys: single characters, or names in angle brackets (`<Enter>`, `<Esc>`, `<Down>`).
    private func press(_ keys: String, _ controller: ViewerController) {
        var i = keys.startIndex
        while i < keys.endIndex {
            let c = keys[i]
            if c == "<", let close = keys[i...].firstIndex(of: ">"), close > keys.index(after: i) {
                let name = String(keys[keys.index(after: i)..<close])
                let named: [String: Key] = ["Enter": .enter, "Esc": .escape, "Down": .down, "Up": .up, "Tab": .tab,
                                            "Left": .left, "Right": .right, "PgDn": .pageDown, "BS": .backspace]
                if let key = named[name] {
                    controller.handle(.key(key))
                    i = keys.index(after: close)
                    continue
                }
            }
            controller.handle(.key(.char(c)))
            i = keys.index(after: i)
        }
        controller.model.finishBackgroundWork()
        controller.follow(BackgroundProgress(indexed: false, filtered: true, searched: true, counted: true))
    }

    private func screen(_ controller: ViewerController) -> [String] {
        ScreenComposer.render(controller, options: RenderOptions(unicode: false, colorMode: .none)).lines
    }

    func testFirstScreen() throws {
        let c = try makeController()
        XCTAssertEqual(screen(c), [
            " ringside | sched-test  | view 5.000000000 - 5.001000000 (1 ms)  | cursor 5.000000000 (+0 ns)",
            "time    |0.0 ms  +0.1 ms  +0.2 ms  +0.3 ms  +0.4 ms   +0.5 ms  +0.6 ms  +0.7 ms  +0.8 ms  +0.9 ms",
            "CPU 0   |bash#########################################",
            "CPU 1   |make##########################################cc1##############xxxxxxxxxx##################",
            "          Time CPU Task        Event             Fields <",
            "   5.000000000   0 swapper/0-0 sched_switch      prev_comm=\"swapper/0\" prev_pid=0 prev_state=S(1) n~",
            "   5.000000000   1 swapper/1-0 sched_switch      prev_comm=\"swapper/1\" prev_pid=0 prev_state=S(1) n~",
            "   5.000050000   1 make-200    irq_handler_entry irq=17 name=\"eth0\" flags=0x81",
            "   5.000100000   0 bash-100    irq_handler_entry irq=18 name=\"eth0\" flags=0x82",
            "   5.000150000   1 make-200    irq_handler_entry irq=19 name=\"eth0\" flags=0x83",
            "   5.000200000   0 bash-100    irq_handler_entry irq=20 name=\"eth0\" flags=0x84",
            "   5.000250000   1 make-200    irq_handler_entry irq=21 name=\"eth0\" flags=0x85",
            "   5.000300000   0 bash-100    irq_handler_entry irq=22 name=\"eth0\" flags=0x86",
            "   5.000350000   1 make-200    irq_handler_entry irq=23 name=\"eth0\" flags=0x87",
            "   5.000400000   0 bash-100    irq_handler_entry irq=24 name=\"eth0\" flags=0x88",
            "   5.000450000   1 make-200    irq_handler_entry irq=25 name=\"eth0\" flags=0x89",
            "   5.000500000   0 bash-100    sched_switch      prev_comm=\"bash\" prev_pid=100 prev_state=S(1) next~",
            "   5.000500000   1 make-200    sched_switch      prev_comm=\"make\" prev_pid=200 prev_state=S(1) next~",
            "   5.000800000   1             (lost events)     LOST 42 events since 5.000700000",
            "   5.001000000   0 swapper/0-0 irq_handler_entry irq=30 name=\"timer\" flags=0x0",
            "",
            "-- Details ---------------------------------------------------------------------------- 1-7 of 12 --",
            " Event       : sched:sched_switch",
            " Number      : #1",
            " Time        : 5.000000000  (+0 ns from start)",
            " CPU         : 0",
            " Task        : swapper/0 (pid 0)",
            " Trace       : sched-test, stream cpu0",
            " Payload",
            " sched-test | view +0 ns to +1 ms (1 ms) | event 1 of 15                             ? help  q quit",
        ])
    }

    private func status(_ c: ViewerController) -> String { screen(c).last ?? "" }

    private func selectedEvent(_ c: ViewerController) -> EventRecord? {
        c.model.ordinal(ofRow: c.state.selectedRow).flatMap { c.model.record(atOrdinal: $0) }
    }

    func testMovingAndPaging() throws {
        let c = try makeController()
        press("jj", c)
        XCTAssertEqual(c.state.selectedRow, 2)
        XCTAssertTrue(status(c).contains("| event 3 of 15 "), status(c))
        XCTAssertEqual(c.state.cursorTime, 5_000_050_000, "the time cursor follows the selection")
        press("G", c)
        XCTAssertEqual(c.state.selectedRow, 14)
        press("g<Down><Down><Up>", c)
        XCTAssertEqual(c.state.selectedRow, 1)
        press("<PgDn>", c)
        XCTAssertGreaterThan(c.state.selectedRow, 10)
        XCTAssertTrue(c.state.listTop >= 0)
    }

    func testFilterAppliedAndErrorsPointAtTheColumn() throws {
        let c = try makeController()
        press("fcpu = 1", c)
        XCTAssertEqual(c.state.prompt?.errorColumn, 5)
        let lines = screen(c)
        XCTAssertEqual(lines[28], "            ^ column 5: '=' is not an operator; use '==' to compare")
        XCTAssertEqual(lines[29], "filter: cpu = 1")
        press("<Enter>", c)
        XCTAssertNotNil(c.state.prompt, "a bad filter keeps the prompt open")
        press("<BS><BS><BS>== 1 && event =~ \"irq*\"<Enter>", c)
        XCTAssertNil(c.state.prompt)
        XCTAssertEqual(c.model.rowCount, 5)
        let shown = screen(c)
        XCTAssertEqual(shown[5], "   5.000050000   1 make-200 irq_handler_entry irq=17 name=\"eth0\" flags=0x81")
        XCTAssertTrue(status(c).contains("match 1 of 5 (15 events) | filter: cpu =="), status(c))
        XCTAssertEqual(c.state.filterText, "cpu == 1 && event =~ \"irq*\"")
        press("F", c)
        XCTAssertNil(c.state.filterText)
        XCTAssertEqual(c.model.rowCount, 15)
        XCTAssertEqual(selectedEvent(c)?.timestamp, 5_000_050_000, "removing the filter keeps the selected event")
    }

    func testHelpIsShownAndClosed() throws {
        let c = try makeController()
        press("?", c)
        let lines = screen(c)
        XCTAssertTrue(lines[1].contains("Help"))
        XCTAssertTrue(lines.contains { $0.contains("q                        Quit ringside") }, lines.joined(separator: "\n"))
        press("<Esc>", c)
        XCTAssertNil(c.state.overlay)
        XCTAssertFalse(screen(c)[1].contains("Help"))
    }

    func testMarkersShowTheirDelta() throws {
        let c = try makeController()
        press("jjmjjM", c)
        XCTAssertTrue(status(c).contains("B-A: 100 us"), status(c))
        XCTAssertTrue(screen(c)[1].contains("A"))
        press("c", c)
        XCTAssertFalse(status(c).contains("B-A"))
    }

    func testBookmarksAndGoto() throws {
        let c = try makeController()
        press("jjjbG'", c)
        XCTAssertEqual(c.state.selectedRow, 3)
        XCTAssertTrue(screen(c)[8].hasPrefix("*"))
        press("t#10<Enter>", c)
        XCTAssertEqual(c.state.selectedRow, 9)
        press("t+0.3ms<Enter>", c)
        XCTAssertEqual(selectedEvent(c)?.timestamp, 5_000_800_000, "+0.3ms from 5.00045 is nearest the lost record at 5.0008")
        press("t5.0001<Enter>", c)
        XCTAssertEqual(selectedEvent(c)?.timestamp, 5_000_100_000)
        XCTAssertEqual(c.state.cursorTime, 5_000_100_000)
        press("tnonsense<Enter>", c)
        XCTAssertTrue(c.state.messageIsError)
    }

    func testSearchForwardAndBackward() throws {
        let c = try makeController()
        press("/timer<Enter>", c)
        XCTAssertEqual(c.state.selectedRow, 14)
        press("/cc1<Enter>", c)
        XCTAssertEqual(c.state.selectedRow, 12, "from the last row the search wraps to make's switch to cc1")
        XCTAssertEqual(c.state.message, "search wrapped around")
        XCTAssertEqual(selectedEvent(c).map { c.model.set.eventName(of: $0) }, "sched_switch")
        press("g/eth0<Enter>", c)
        XCTAssertEqual(c.state.selectedRow, 2)
        press("n", c)
        XCTAssertEqual(c.state.selectedRow, 3)
        press("N", c)
        XCTAssertEqual(c.state.selectedRow, 2)
        press("/irq == 25<Enter>", c)
        XCTAssertEqual(selectedEvent(c)?.timestamp, 5_000_450_000)
        press("/nothing-like-this<Enter>", c)
        XCTAssertEqual(c.state.message, "not found: nothing-like-this")
    }

    func testStatisticsCoverTheVisibleRange() throws {
        let c = try makeController()
        press("s", c)
        let lines = screen(c)
        XCTAssertTrue(lines[2].contains("5.000000000 - 5.001000000 (1 ms, visible range)  14 events, 42 lost in 1 records"), lines[2])
        XCTAssertTrue(lines[4].contains("Events (3)"), lines[4])
        XCTAssertTrue(lines[5].contains("irq:irq_handler~       10   71.4  CPU 0           7   50.0  make-200                6   42.9"), lines[5])
        press("r", c)
        XCTAssertTrue(screen(c)[2].contains("whole trace"))
        press("o", c)
        XCTAssertEqual(c.state.statisticsSort, .name)
        press("<Esc>", c)
        XCTAssertNil(c.state.overlay)
    }

    func testZoomPanAndFit() throws {
        let c = try makeController()
        press("jjj", c)
        press("+", c)
        XCTAssertEqual(c.state.viewEnd - c.state.viewStart, 500_000)
        XCTAssertTrue(c.state.viewStart <= c.state.cursorTime && c.state.cursorTime < c.state.viewEnd)
        press("llllll", c)
        XCTAssertEqual(c.state.viewEnd, c.model.traceEnd, "panning stops at the end of the trace")
        press("h-", c)
        XCTAssertEqual(c.state.viewEnd - c.state.viewStart, 1_000_000)
        press("+++0", c)
        XCTAssertEqual(c.state.viewStart, c.model.traceStart)
        XCTAssertTrue(c.state.fitted)
    }

    func testTimelineFocusMovesTheCursorAndTheListFollows() throws {
        let c = try makeController()
        press("<Tab>", c)
        XCTAssertEqual(c.state.focus, .timeline)
        for _ in 0..<9 { c.handle(.key(.right)) }
        // One column is 1 ms / 92 columns; 9 columns later the nearest event is the one at 100 us.
        XCTAssertEqual(selectedEvent(c)?.timestamp, 5_000_100_000)
    }

    func testMouseSelectsAndZooms() throws {
        let c = try makeController()
        c.handle(.mouse(MouseEvent(.press(button: 1), x: 10, y: 9)))
        XCTAssertEqual(c.state.selectedRow, 4)
        XCTAssertEqual(c.state.focus, .list)
        let layout = c.layout
        c.handle(.mouse(MouseEvent(.press(button: 1), x: layout.timeArea.x + 46, y: 2)))
        XCTAssertEqual(c.state.focus, .timeline)
        XCTAssertEqual(selectedEvent(c)?.timestamp, 5_000_500_000)
        c.handle(.mouse(MouseEvent(.wheelUp, x: layout.timeArea.x + 46, y: 2)))
        XCTAssertEqual(c.state.viewEnd - c.state.viewStart, 500_000)
        let before = c.state.selectedRow
        c.handle(.mouse(MouseEvent(.wheelDown, x: 5, y: 12)))
        XCTAssertEqual(c.state.selectedRow, before + 3)
    }

    func testResizeAndThemes() throws {
        let c = try makeController()
        c.handle(.resize(width: 60, height: 12))
        let lines = screen(c)
        XCTAssertEqual(lines.count, 12)
        XCTAssertTrue(lines.allSatisfy { CharacterWidth.of($0) <= 60 })
        XCTAssertEqual(c.layout.details.height, 0, "too small for details")
        let first = c.theme.name
        press("T", c)
        XCTAssertNotEqual(c.theme.name, first)
        XCTAssertEqual(c.state.message, "theme: \(c.theme.name)")
        for _ in 0..<10 { press("T", c) }
        c.handle(.resize(width: 1, height: 1))
        XCTAssertEqual(screen(c).count, 1)
    }

    func testLanesScrollWhenTheyDoNotFit() throws {
        let trace = MemoryTrace(name: "many")
        for cpu in 0..<12 {
            trace.addStream(StreamInfo(name: "cpu\(cpu)", cpu: Int32(cpu), file: ""))
            trace.append(stream: cpu, timestamp: Int64(cpu), classIndex: trace.classIndex(named: "e"))
        }
        let c = ViewerController(model: try TestTraces.model(trace), width: 60, height: 20)
        XCTAssertEqual(c.layout.laneCount, 4)
        XCTAssertTrue(screen(c)[2].hasPrefix("CPU 0"))
        XCTAssertTrue(screen(c)[5].hasPrefix("CPU 3+8"), screen(c)[5])
        press("JJ", c)
        XCTAssertTrue(screen(c)[2].hasPrefix("CPU 2-2"), screen(c)[2])
        press("JJJJJJJJJJ", c)
        XCTAssertEqual(c.state.laneTop, 8)
        XCTAssertTrue(screen(c)[5].hasPrefix("CPU 11"))
        press("K", c)
        XCTAssertEqual(c.state.laneTop, 7)
    }

    func testEscapeClosesPromptThenMessageThenDetails() throws {
        let c = try makeController()
        press("f", c)
        XCTAssertNotNil(c.state.prompt)
        press("<Esc>", c)
        XCTAssertNil(c.state.prompt)
        XCTAssertTrue(c.state.showDetails)
        press("x", c)
        XCTAssertNotNil(c.state.message, "an unbound key says so")
        press("<Esc>", c)
        XCTAssertNil(c.state.message)
        XCTAssertTrue(c.state.showDetails)
        press("<Esc>", c)
        XCTAssertFalse(c.state.showDetails)
        XCTAssertEqual(c.layout.details.height, 0)
        press("d", c)
        XCTAssertTrue(c.state.showDetails)
    }

    func testQuit() throws {
        let c = try makeController()
        press("q", c)
        XCTAssertTrue(c.state.shouldQuit)
    }
}
