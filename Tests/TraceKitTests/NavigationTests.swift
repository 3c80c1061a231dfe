import XCTest
@testable import TraceKit

final class NavigationTests: XCTestCase {
    /// Three streams with interleaved and equal timestamps, sched_switch on two CPUs, a lost range.
    private func makeTrace() -> MemoryTrace {
        let trace = MemoryTrace(name: "nav")
        for c in 0..<3 { trace.addStream(StreamInfo(name: "cpu\(c)", cpu: Int32(c), file: "")) }
        let tick = trace.classIndex(named: "tick")
        let sw = trace.classIndex(named: "sched_switch", system: "sched")
        func i(_ v: Int64) -> FieldValue { .integer(.signed(v), base: .decimal) }
        for n in 0..<3000 {
            let s = n % 3
            let t = Int64(n / 2) * 10  // pairs of equal timestamps across streams
            if s < 2 && n % 150 == s {
                // Every 150 records a CPU alternates between task k (pid 1000 + k) and idle.
                let k = Int64(n / 150)
                let running = k % 2 == 0
                trace.append(stream: s, timestamp: t, classIndex: sw, payload: [
                    Field("prev_comm", .string(running ? "swapper" : "task\(k - 1)")),
                    Field("prev_pid", i(running ? 0 : 1000 + k - 1)),
                    Field("next_comm", .string(running ? "task\(k)" : "swapper")),
                    Field("next_pid", i(running ? 1000 + k : 0)),
                ])
            } else {
                trace.append(stream: s, timestamp: t, classIndex: tick)
            }
        }
        trace.append(stream: 2, timestamp: 20_000, classIndex: 0, kind: .lostEvents(count: 9, since: 15_000))
        return trace
    }

    private func fullMerge(_ set: TraceSet) -> [EventRecord] {
        let merger = try! set.makeMerger()
        var out: [EventRecord] = []
        while let r = try! merger.next() { out.append(r) }
        return out
    }

    func testRandomAccessMatchesFullMerge() throws {
        let set = TraceSet(traces: [makeTrace()])
        let expected = fullMerge(set)
        let indexer = try TraceIndexer(set: set, checkpointInterval: 64)
        while !indexer.step(maxRecords: 100) {}
        let index = indexer.index
        XCTAssertEqual(index.recordCount, expected.count)
        XCTAssertTrue(index.isComplete)
        let cursor = try MergedCursor(set: set, index: index)
        // Jumps backwards and forwards, across checkpoints.
        for o in [0, 1, 63, 64, 65, 2999, 1500, 7, 3000, 640, 639, 1200, 1201] {
            XCTAssertEqual(cursor.record(at: o), expected[o], "ordinal \(o)")
        }
        XCTAssertNil(cursor.record(at: expected.count))
        var seen: [EventRecord] = []
        cursor.forEach(from: 100, count: 200) { _, r in seen.append(r); return true }
        XCTAssertEqual(seen, Array(expected[100..<300]))
    }

    func testOrdinalAtTime() throws {
        let set = TraceSet(traces: [makeTrace()])
        let expected = fullMerge(set)
        let indexer = try TraceIndexer(set: set, checkpointInterval: 64)
        indexer.step(maxRecords: .max)
        let cursor = try MergedCursor(set: set, index: indexer.index)
        for t: Int64 in [-5, 0, 5, 10, 4990, 5000, 14_990, 20_000, 20_001] {
            let want = expected.firstIndex(where: { $0.timestamp >= t }) ?? expected.count
            XCTAssertEqual(cursor.ordinal(atOrAfter: t), want, "time \(t)")
        }
        XCTAssertEqual(expected[cursor.ordinal(nearest: 12)].timestamp, 10)
    }

    func testSchedulerLanes() throws {
        let set = TraceSet(traces: [makeTrace()])
        let indexer = try TraceIndexer(set: set)
        indexer.step(maxRecords: .max)
        let activity = indexer.index.activity
        XCTAssertTrue(activity.hasScheduler)
        XCTAssertEqual(activity.laneCount, 3)
        XCTAssertEqual(activity.lanes.compactMap { activity.key(ofLane: $0)?.cpu }, [0, 1, 2])
        // CPU 0: task0 runs from t=0 to the switch at n=150 (t=750), then idle until t=1500.
        let task = activity.runningTask(lane: activity.lane(cpu: 0) ?? -1, at: 100).flatMap { activity.tasks.task($0) }
        XCTAssertEqual(task, TaskRef(pid: 1000, comm: "task0"))
        XCTAssertEqual(activity.runningTask(lane: activity.lane(cpu: 0) ?? -1, at: 800), TaskTable.idle)
        let s = activity.sample(lane: activity.lane(cpu: 0) ?? -1, from: 0, to: 1500)
        XCTAssertEqual(s.busyFraction, 0.5, accuracy: 0.01)
        XCTAssertEqual(s.task.flatMap { activity.tasks.task($0) }?.comm, "task0")
        XCTAssertEqual(activity.sample(lane: activity.lane(cpu: 0) ?? -1, from: 800, to: 900).task, TaskTable.idle)
        XCTAssertEqual(activity.sample(lane: activity.lane(cpu: 2) ?? -1, from: 0, to: 1000).busyFraction, 0)
        XCTAssertEqual(activity.eventCount(lane: activity.lane(cpu: 2) ?? -1, from: 0, to: 15), 1)
        XCTAssertEqual(activity.lostRanges(lane: activity.lane(cpu: 2) ?? -1, from: 0, to: 100_000),
                       [LostRange(cpu: 2, since: 15_000, until: 20_000, count: 9)])
    }

    func testLaneSweepsAgreeWithSingleQueries() throws {
        let set = TraceSet(traces: [makeTrace()])
        let indexer = try TraceIndexer(set: set)
        indexer.step(maxRecords: .max)
        let activity = indexer.index.activity
        for lane in activity.lanes {
            for (start, step) in [(Int64(-100), Int64(7)), (0, 1), (3, 250), (10, 1000), (14_000, 3)] {
                let bounds = (0...40).map { start + Int64($0) * step }
                let sweep = activity.samples(lane: lane, bounds: bounds)
                let counts = activity.eventCounts(lane: lane, bounds: bounds)
                for k in 0..<40 {
                    let single = activity.sample(lane: lane, from: bounds[k], to: bounds[k + 1])
                    XCTAssertEqual(sweep[k].busyFraction, single.busyFraction, accuracy: 1e-9, "lane \(lane) slice \(k)")
                    if single.busyFraction > 0 { XCTAssertEqual(sweep[k].task, single.task, "lane \(lane) slice \(k)") }
                    XCTAssertEqual(counts[k], activity.eventCount(lane: lane, from: bounds[k], to: bounds[k + 1]))
                }
            }
        }
    }

    func testMatchSetRankAndSelect() {
        var set = MatchSet()
        var expected: [Int] = []
        for i in 0..<5000 {
            let m = i % 7 == 0 || (i > 3000 && i < 3100)
            set.append(m)
            if m { expected.append(i) }
        }
        XCTAssertEqual(set.matchCount, expected.count)
        for (j, o) in expected.enumerated() {
            XCTAssertEqual(set.select(j), o)
            XCTAssertEqual(set.rank(o), j)
            XCTAssertTrue(set.contains(o))
        }
        XCTAssertNil(set.select(expected.count))
        XCTAssertEqual(set.nextMatch(atOrAfter: 8), 14)
        XCTAssertEqual(set.previousMatch(before: 14), 7)
        XCTAssertNil(set.previousMatch(before: 0))
        XCTAssertEqual(set.rank(5000), expected.count)
    }

    func testFilterScannerAndStatistics() throws {
        let set = TraceSet(traces: [makeTrace()])
        let indexer = try TraceIndexer(set: set, checkpointInterval: 128)
        indexer.step(maxRecords: .max)
        let scanner = try FilterScanner(set: set, filter: try EventFilter(#"event == "sched_switch""#),
                                        context: FilterContext(set: set))
        while !scanner.step(maxRecords: 333) {}
        XCTAssertEqual(scanner.matches.count, indexer.index.recordCount)
        XCTAssertEqual(scanner.matches.matchCount, 40)

        let cursor = try MergedCursor(set: set, index: indexer.index)
        let collector = StatisticsCollector(cursor: cursor, range: 0..<indexer.index.recordCount,
                                            matches: nil, taskOf: { _ in nil })
        while !collector.step(maxRecords: 500) {}
        let stats = collector.statistics
        XCTAssertEqual(stats.eventTotal, 3000)
        XCTAssertEqual(stats.lostRecords, 1)
        XCTAssertEqual(stats.lostEvents, 9)
        XCTAssertEqual(stats.rows(.events, in: set, sortedBy: .countDescending).map(\.label),
                       ["tick", "sched:sched_switch", "(lost events)"])
        XCTAssertEqual(stats.rows(.cpus, in: set, sortedBy: .name).map(\.count), [1000, 1000, 1000])
        XCTAssertEqual(stats.firstTime, 0)
        XCTAssertEqual(stats.lastTime, 20_000)

        let filtered = StatisticsCollector(cursor: cursor, range: 0..<indexer.index.recordCount,
                                           matches: scanner.matches, taskOf: { _ in TaskRef(pid: 1, comm: "x") })
        filtered.step(maxRecords: .max)
        XCTAssertEqual(filtered.statistics.eventTotal, 40)
        XCTAssertEqual(filtered.statistics.rows(.tasks, in: set, sortedBy: .countDescending),
                       [TraceStatistics.Row(label: "x-1", count: 40, numericKey: 1)])
    }

    func testIndexGrowsWithTheTrace() throws {
        let trace = makeTrace()
        let set = TraceSet(traces: [trace])
        let indexer = try TraceIndexer(set: set, checkpointInterval: 64)
        indexer.step(maxRecords: .max)
        let before = indexer.index.recordCount
        trace.append(stream: 0, timestamp: 50_000, classIndex: 0)
        indexer.refresh()
        XCTAssertFalse(indexer.index.isComplete)
        indexer.step(maxRecords: .max)
        XCTAssertEqual(indexer.index.recordCount, before + 1)
    }
}
