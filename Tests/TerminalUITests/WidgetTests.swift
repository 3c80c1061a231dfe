import XCTest
import TraceKit
@testable import TerminalUI

final class WidgetTests: XCTestCase {
    func testSchedulerLanesShowTasksNamesIdleAndLostBands() throws {
        let model = try TestTraces.scheduler()
        let m = try TestTraces.model(model)
        var buffer = CellBuffer(width: 48, height: 3)
        TimelineWidget(activity: m.activity, laneCount: 2, labelWidth: 8, viewStart: m.traceStart,
                       viewEnd: m.traceStart + 1_000_000, traceStart: m.traceStart, cursorTime: nil,
                       glyphs: .ascii, taskColors: false)
            .render(into: &buffer, area: buffer.bounds)
        XCTAssertEqual(buffer.lines, [
            "time    +0.0 ms             +0.5 ms",
            "CPU 0   #bash###############",
            "CPU 1   #make################cc1####xxxxx#######",
        ])
    }

    func testTaskColoursUseHalfBlocksAndTaskRoles() throws {
        let m = try TestTraces.model(TestTraces.scheduler())
        var buffer = CellBuffer(width: 48, height: 3)
        TimelineWidget(activity: m.activity, laneCount: 2, labelWidth: 8, viewStart: m.traceStart,
                       viewEnd: m.traceStart + 1_000_000, traceStart: m.traceStart, cursorTime: m.traceStart + 500_000,
                       markerA: m.traceStart + 100_000, glyphs: .unicode, taskColors: true)
            .render(into: &buffer, area: buffer.bounds)
        let bash = StyleRole.task(pid: 100)
        // A task's cells have the task's background; names are written over them.
        XCTAssertEqual(buffer[9, 1].background, bash)
        XCTAssertEqual(buffer[10, 1].role, .laneText)
        XCTAssertEqual(buffer[12, 0].scalar, "A")
        XCTAssertEqual(buffer[12, 1].role, .markerA)
        XCTAssertEqual(buffer[28, 0].role, .cursor)
        XCTAssertEqual(buffer[28, 2].scalar, "│")
        XCTAssertEqual(buffer[40, 2].role, .lostBand)
        XCTAssertEqual(buffer[40, 2].scalar, "░")
    }

    func testDensityLanesUseBraille() throws {
        let m = try TestTraces.model(TestTraces.density())
        var buffer = CellBuffer(width: 18, height: 2)
        TimelineWidget(activity: m.activity, laneCount: 1, labelWidth: 8, viewStart: 0, viewEnd: 1000,
                       traceStart: 0, cursorTime: nil, glyphs: .unicode, taskColors: true)
            .render(into: &buffer, area: buffer.bounds)
        XCTAssertEqual(buffer.line(1), "CPU 0   ⣿⠀⠀⠀⠀⠀⠀⠀⠀⢀")
        var ascii = CellBuffer(width: 18, height: 2)
        TimelineWidget(activity: m.activity, laneCount: 1, labelWidth: 8, viewStart: 0, viewEnd: 1000,
                       traceStart: 0, cursorTime: nil, glyphs: .ascii, taskColors: false)
            .render(into: &ascii, area: ascii.bounds)
        XCTAssertEqual(ascii.line(1), "CPU 0   #        .")
    }

    func testTheCursorGivesWayToRulerLabelsButShowsInTheLanes() throws {
        let m = try TestTraces.model(TestTraces.density())
        var free = CellBuffer(width: 40, height: 2)
        TimelineWidget(activity: m.activity, laneCount: 1, labelWidth: 8, viewStart: 0, viewEnd: 1000,
                       traceStart: 0, cursorTime: nil, glyphs: .ascii, taskColors: false)
            .render(into: &free, area: free.bounds)
        // A cursor on the first label's digit leaves the label whole; the lane shows the line.
        let labelColumn = try XCTUnwrap(free.line(0).firstIndex(of: "0").map { free.line(0).distance(from: free.line(0).startIndex, to: $0) })
        let time = Int64((labelColumn - 8) * 1000 / 32 + 16)  // the middle of that column
        var buffer = CellBuffer(width: 40, height: 2)
        TimelineWidget(activity: m.activity, laneCount: 1, labelWidth: 8, viewStart: 0, viewEnd: 1000,
                       traceStart: 0, cursorTime: time, glyphs: .ascii, taskColors: false)
            .render(into: &buffer, area: buffer.bounds)
        XCTAssertEqual(buffer.line(0), free.line(0), "cursor at \(time) column \(labelColumn)\n\(buffer.line(0))\n\(buffer.line(1))")
        XCTAssertEqual(buffer[labelColumn, 1].role, .cursor)
    }

    func testRulerScaleAndLabels() {
        let s = TimelineWidget.rulerScale(span: 1_000_000, width: 100, maxOffset: 1_000_000)
        XCTAssertEqual(s.step, 100_000)
        XCTAssertEqual(s.unitName, "ms")
        XCTAssertEqual(s.decimals, 1)
        XCTAssertEqual(TimelineWidget.label(1_500_000, unit: 1_000_000, unitName: "ms", decimals: 1), "1.5 ms")
        XCTAssertEqual(TimelineWidget.label(5_123_456_700, unit: 1_000_000_000, unitName: "s", decimals: 7), "5.1234567 s")
        XCTAssertEqual(TimelineWidget.label(2_000_000_000, unit: 1_000_000_000, unitName: "s", decimals: 0), "2 s")
    }

    func testEventListColumnsSelectionAndBookmarks() throws {
        let m = try TestTraces.model(TestTraces.scheduler())
        let rows = m.rows(from: 0, count: 3)
        var buffer = CellBuffer(width: 90, height: 4)
        EventListWidget(rows: rows, top: 0, selectedRow: 1, focused: true, bookmarks: [rows[2].ordinal], glyphs: .ascii)
            .render(into: &buffer, area: buffer.bounds)
        XCTAssertEqual(buffer.lines, [
            "          Time CPU Task        Event             Fields <",
            "   5.000000000   0 swapper/0-0 sched_switch      prev_comm=\"swapper/0\" prev_pid=0 prev_st~",
            "   5.000000000   1 swapper/1-0 sched_switch      prev_comm=\"swapper/1\" prev_pid=0 prev_st~",
            "*  5.000050000   1 make-200    irq_handler_entry irq=17 name=\"eth0\" flags=0x81",
        ])
        XCTAssertEqual(buffer[5, 2].role, .selectedRow)
        XCTAssertEqual(buffer[5, 1].role, .listTime)
        XCTAssertEqual(buffer[0, 3].role, .bookmark)
    }

    func testSearchTextIsHighlighted() throws {
        let m = try TestTraces.model(TestTraces.scheduler())
        var buffer = CellBuffer(width: 90, height: 4)
        var list = EventListWidget(rows: m.rows(from: 2, count: 3), top: 2, selectedRow: 0, focused: true, glyphs: .ascii)
        list.highlight = "ETH0"
        list.render(into: &buffer, area: buffer.bounds)
        let line = buffer.line(1)
        let start = line.range(of: "eth0").map { line.distance(from: line.startIndex, to: $0.lowerBound) } ?? -1
        XCTAssertEqual(buffer.roles(1)[start..<(start + 4)], [.match, .match, .match, .match])
        XCTAssertEqual(buffer[start + 4, 1].role, .fieldValue)
    }

    func testDetailsShowEveryFieldWithEnumsAndHex() throws {
        let m = try TestTraces.model(TestTraces.scheduler())
        let lines = m.details(ofOrdinal: 2)
        var buffer = CellBuffer(width: 60, height: 12)
        DetailsWidget(lines: lines, scroll: 0, focused: false, glyphs: .ascii).render(into: &buffer, area: buffer.bounds)
        XCTAssertEqual(buffer.lines, [
            "-- Details -------------------------------------------------",
            " Event  : irq:irq_handler_entry",
            " Number : #3",
            " Time   : 5.000050000  (+50 us from start)",
            " CPU    : 1",
            " Task   : make (pid 200)",
            " Trace  : sched-test, stream cpu1",
            " Payload",
            "   irq  : 17",
            "   name : \"eth0\"",
            "   flags: 0x81 (129)",
            "",
        ])
        let switchLines = m.details(ofOrdinal: 0)
        XCTAssertTrue(switchLines.contains(DetailLine(indent: 1, key: "prev_state", value: "S (1)")))
    }

    func testNestedFieldsAreIndented() {
        var lines: [DetailLine] = []
        DetailsFormatter.append("outer", .structure([
            Field("a", TestTraces.int(1)),
            Field("list", .array([.string("x"), .string("y")])),
            Field("v", .variant(option: "opt", value: TestTraces.int(5))),
        ]), indent: 1, into: &lines)
        XCTAssertEqual(lines, [
            DetailLine(indent: 1, key: "outer", value: "{3 fields}"),
            DetailLine(indent: 2, key: "a", value: "1"),
            DetailLine(indent: 2, key: "list", value: "[2 elements]"),
            DetailLine(indent: 3, key: "[0]", value: "\"x\""),
            DetailLine(indent: 3, key: "[1]", value: "\"y\""),
            DetailLine(indent: 2, key: "v", value: "<opt> 5"),
        ])
    }

    func testPromptPointsAtTheErrorColumn() {
        var prompt = AppState.Prompt(kind: .filter, text: "cpu = 1", cursor: 7)
        prompt.error = "'=' is not an operator; use '==' to compare"
        prompt.errorColumn = 5
        var buffer = CellBuffer(width: 70, height: 2)
        PromptWidget(prompt: prompt, glyphs: .ascii).render(into: &buffer, area: buffer.bounds)
        XCTAssertEqual(buffer.lines, [
            "            ^ column 5: '=' is not an operator; use '==' to compare",
            "filter: cpu = 1",
        ])
        XCTAssertEqual(buffer[12, 0].role, .error)
    }

    func testStatusBar() {
        var buffer = CellBuffer(width: 70, height: 1)
        StatusBarWidget(segments: ["event 3 of 10", "B-A: 1.5 ms"], message: "theme: light", glyphs: .ascii)
            .render(into: &buffer, area: buffer.bounds)
        XCTAssertEqual(buffer.line(0), "  theme: light  | event 3 of 10 | B-A: 1.5 ms          ? help  q quit")
    }

    func testHelpListsEveryAction() {
        let help = HelpWidget(keymap: .standard, scroll: 0, glyphs: .ascii)
        let texts = help.lines().map(\.text)
        for action in Action.allCases {
            XCTAssertTrue(texts.contains(action.help), "\(action) missing from help")
        }
        let keys = help.lines().compactMap(\.keys)
        XCTAssertTrue(keys.contains("q"))
        XCTAssertTrue(keys.contains("j, Down"))
        XCTAssertTrue(keys.contains("'"))
    }

    func testHelpShowsTheKeysOfTheProgramAroundTheViewerFirst() {
        let live = HelpSection(title: "Live", lines: [("Space", "Pause following")])
        let help = HelpWidget(keymap: .standard, scroll: 0, glyphs: .ascii, extra: [live])
        let lines = help.lines()
        XCTAssertEqual(lines.first?.keys, nil)
        XCTAssertEqual(lines.first?.text, "Live")
        XCTAssertEqual(lines[1].keys, "Space")
        XCTAssertEqual(lines[1].text, "Pause following")
        var buffer = CellBuffer(width: 60, height: 8)
        help.render(into: &buffer, area: buffer.bounds)
        XCTAssertTrue(buffer.line(2).contains("Space"), buffer.line(2))
        XCTAssertTrue(buffer.line(2).contains("Pause following"), buffer.line(2))
    }
}
