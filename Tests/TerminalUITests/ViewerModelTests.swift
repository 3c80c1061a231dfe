import XCTest
import TraceKit
@testable import TerminalUI

final class ViewerModelTests: XCTestCase {
    func testRowsAndFilterMatchAFullScan() throws {
        let trace = SyntheticTrace(events: 20_000, cpus: 3, seed: 9)
        let set = TraceSet(traces: [trace])
        let model = try ViewerModel(set: set)
        // Rows are readable while indexing is still going on.
        model.doBackgroundWork(until: 0)
        XCTAssertGreaterThan(model.rowCount, 0)
        model.finishBackgroundWork()
        let merger = try set.makeMerger()
        var all: [EventRecord] = []
        while let r = try merger.next() { all.append(r) }
        XCTAssertEqual(model.rowCount, all.count)
        for row in [0, 1, 4095, 4096, all.count - 1, 7_777, 12] {
            XCTAssertEqual(model.rows(from: row, count: 1).first?.record, all[row], "row \(row)")
        }

        let text = #"event == "sched_switch" && cpu == 1 && next_comm =~ "c*""#
        let filter = try EventFilter(text)
        try model.apply(filter: filter)
        model.finishBackgroundWork()
        let check = try EventFilter(text)
        let context = FilterContext(set: set, traceStart: all[0].timestamp)
        let expected = all.enumerated().filter { check.matches($0.element, in: context) }.map(\.offset)
        XCTAssertGreaterThan(expected.count, 10)
        XCTAssertEqual(model.rowCount, expected.count)
        XCTAssertEqual(model.rows(from: 0, count: expected.count).map(\.ordinal), expected)
        XCTAssertEqual(model.row(nearestOrdinal: expected[5] - 1), 5)
    }

    func testTasksComeFromSchedulerLanesWhenTheTraceHasNone() throws {
        // A trace whose records carry no task: the running task comes from sched_switch.
        let trace = MemoryTrace(name: "no-tasks")
        trace.addStream(StreamInfo(name: "cpu0", cpu: 0, file: ""))
        let sw = trace.classIndex(named: "sched_switch")
        let e = trace.classIndex(named: "work")
        trace.append(stream: 0, timestamp: 10, classIndex: sw, payload: [
            Field("prev_comm", .string("swapper")), Field("prev_tid", .integer(.signed(0), base: .decimal)),
            Field("next_comm", .string("worker")), Field("next_tid", .integer(.signed(77), base: .decimal)),
        ])
        trace.append(stream: 0, timestamp: 20, classIndex: e)
        let model = try TestTraces.model(trace)
        XCTAssertEqual(model.rows(from: 1, count: 1).first?.task, "worker-77")
        XCTAssertEqual(model.task(of: model.record(atOrdinal: 1)!), TaskRef(pid: 77, comm: "worker"))
    }

    func testAGrowingTraceIsIndexedFurtherAfterTraceGrew() throws {
        // Live traces: records appended after the index completed are indexed once told.
        let trace = MemoryTrace(name: "growing")
        trace.addStream(StreamInfo(name: "cpu0", cpu: 0, file: ""))
        let e = trace.classIndex(named: "work")
        for t in 1...3 { trace.append(stream: 0, timestamp: Int64(t * 10), classIndex: e) }
        let model = try ViewerModel(set: TraceSet(traces: [trace]))
        model.finishBackgroundWork()
        XCTAssertEqual(model.rowCount, 3)
        for t in 4...9 { trace.append(stream: 0, timestamp: Int64(t * 10), classIndex: e) }
        model.traceGrew()
        XCTAssertTrue(model.hasBackgroundWork)
        model.finishBackgroundWork()
        XCTAssertEqual(model.rowCount, 9)
        XCTAssertEqual(model.traceEnd, 90)
        XCTAssertEqual(model.rows(from: 8, count: 1).first?.record.timestamp, 90)
    }

    func testGotoTargets() {
        XCTAssertEqual(GotoTarget.parse("#42", cursor: 0, traceStart: 0, domain: .monotonic), .event(42))
        XCTAssertEqual(GotoTarget.parse("1,500", cursor: 0, traceStart: 0, domain: .monotonic), .event(1500))
        XCTAssertEqual(GotoTarget.parse("+1.5ms", cursor: 1_000, traceStart: 0, domain: .monotonic), .time(1_501_000))
        XCTAssertEqual(GotoTarget.parse("-2us", cursor: 10_000, traceStart: 0, domain: .monotonic), .time(8_000))
        XCTAssertEqual(GotoTarget.parse("173.8", cursor: 0, traceStart: 0, domain: .monotonic), .time(173_800_000_000))
        // Epoch clocks: a time of day on the trace's day (UTC), or an offset from its start.
        let start: Int64 = 1_795_819_811_698_268_088  // 2026-11-27 22:50:11.698 UTC
        let day = start - start % 86_400_000_000_000
        XCTAssertEqual(GotoTarget.parse("22:50:12.5", cursor: 0, traceStart: start, domain: .unixEpoch),
                       .time(day + (22 * 3600 + 50 * 60 + 12) * 1_000_000_000 + 500_000_000))
        XCTAssertEqual(GotoTarget.parse("1.5", cursor: 0, traceStart: start, domain: .unixEpoch), .time(start + 1_500_000_000))
        XCTAssertNil(GotoTarget.parse("soon", cursor: 0, traceStart: 0, domain: .monotonic))
        XCTAssertNil(GotoTarget.parse("1:2:3:4", cursor: 0, traceStart: 0, domain: .monotonic))
    }

    func testWildTimestampsNeverTrap() throws {
        // Damaged traces can hold any timestamp: the viewer clamps instead of overflowing.
        let trace = MemoryTrace(name: "wild")
        trace.addStream(StreamInfo(name: "cpu0", cpu: 0, file: ""))
        trace.addStream(StreamInfo(name: "cpu1", cpu: 1, file: ""))
        let sw = trace.classIndex(named: "sched_switch")
        let int = { (v: Int64) in FieldValue.integer(.signed(v), base: .decimal) }
        trace.append(stream: 0, timestamp: Int64.min + 1, classIndex: sw,
                     payload: [Field("prev_pid", int(0)), Field("next_pid", int(5)), Field("next_comm", .string("x"))])
        trace.append(stream: 0, timestamp: 0, classIndex: sw,
                     payload: [Field("prev_pid", int(5)), Field("next_pid", int(0))])
        trace.append(stream: 1, timestamp: Int64.max, classIndex: 0,
                     kind: .lostEvents(count: 1, since: Int64.min))
        let model = try TestTraces.model(trace)
        let c = ViewerController(model: model, width: 80, height: 24)
        for key in ["G", "g", "+", "+", "-", "-", "-", "0", "l", "h", "m", "G", "M", "j", "s", "r", "\u{1B}"] {
            c.handle(.key(key == "\u{1B}" ? .escape : .char(Character(key))))
            model.finishBackgroundWork()
            c.follow(BackgroundProgress(indexed: true, filtered: true, searched: true, counted: true))
            _ = ScreenComposer.render(c, options: RenderOptions(unicode: true, colorMode: .indexed256))
        }
        c.handle(.key(.char("t")))
        for ch in "+9000000000h" { c.handle(.key(.char(ch))) }
        c.handle(.key(.enter))
        c.handle(.key(.char("f")))
        for ch in "elapsed > 1s" { c.handle(.key(.char(ch))) }
        c.handle(.key(.enter))
        model.finishBackgroundWork()
        _ = ScreenComposer.render(c, options: RenderOptions(unicode: false, colorMode: .none))
        XCTAssertEqual(model.rowCount, 2)
    }

    /// With an indexing thread, the first screen's records are there as soon as the model is made
    /// (read with the viewer's readers), and the thread's index takes over and completes.
    func testFirstRecordsBeforeTheIndexingThreadAndSameIndexAfter() throws {
        let trace = TestTraces.scheduler()
        let set = TraceSet(traces: [trace])
        let model = try ViewerModel(set: set, reopen: { set })
        XCTAssertGreaterThan(model.index.recordCount, 0)
        let first = model.rows(from: 0, count: 5).map(\.ordinal)
        model.finishBackgroundWork()
        model.stopBackgroundWork()
        let inline = try TestTraces.model(TestTraces.scheduler())
        XCTAssertTrue(model.index.isComplete)
        XCTAssertEqual(model.index.recordCount, inline.index.recordCount)
        XCTAssertEqual(model.rows(from: 0, count: 5).map(\.ordinal), first)
        XCTAssertEqual(model.knownTimeRange, inline.knownTimeRange)
    }
}
