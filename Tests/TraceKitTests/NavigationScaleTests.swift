import Foundation
import XCTest
@testable import TraceKit

/// The scalable index: batched (and parallel) merging gives exactly `EventMerger`'s sequence, the
/// index stays within its memory bounds, and the background indexer agrees with the inline one.
final class NavigationScaleTests: XCTestCase {
    /// `streams` streams on `cpus` CPUs with bursts, gaps, equal timestamps across streams and
    /// scheduler switches; deterministic.
    private func makeTrace(streams: Int, records: Int, cpus: Int = 4, seed: UInt64 = 7) -> MemoryTrace {
        let trace = MemoryTrace(name: "scale")
        for s in 0..<streams { trace.addStream(StreamInfo(name: "s\(s)", cpu: Int32(s % cpus), file: "")) }
        let tick = trace.classIndex(named: "tick")
        let sw = trace.classIndex(named: "sched_switch", system: "sched")
        var state = seed
        func random(_ n: Int) -> Int {
            state = state &* 6364136223846793005 &+ 1442695040888963407
            return Int((state >> 33) % UInt64(n))
        }
        var times = [Int64](repeating: 0, count: streams)
        var running = [Int64](repeating: 0, count: streams)
        for _ in 0..<records {
            let s = random(streams)
            // Bursts of equal timestamps, small steps, and rare long gaps.
            let r = random(100)
            times[s] += r < 20 ? 0 : (r < 98 ? Int64(random(50) * 10) : 5_000_000)
            if random(9) == 0 {
                let next: Int64 = random(3) == 0 ? 0 : Int64(100 + random(40))
                trace.append(stream: s, timestamp: times[s], classIndex: sw, payload: [
                    Field("prev_pid", .integer(.signed(running[s]), base: .decimal)),
                    Field("prev_comm", .string("t\(running[s])")),
                    Field("next_pid", .integer(.signed(next), base: .decimal)),
                    Field("next_comm", .string("t\(next)")),
                ])
                running[s] = next
            } else {
                trace.append(stream: s, timestamp: times[s], classIndex: tick)
            }
            if random(2000) == 0 {
                trace.append(stream: s, timestamp: times[s], classIndex: 0, kind: .lostEvents(count: 3, since: times[s] - 5))
            }
        }
        return trace
    }

    private func fullMerge(_ set: TraceSet) throws -> [EventRecord] {
        let merger = try set.makeMerger()
        var out: [EventRecord] = []
        while let r = try merger.next() { out.append(r) }
        return out
    }

    private func indexAll(_ set: TraceSet, parallel: Bool, interval: Int? = nil, budget: Int? = nil,
                          slice: Int = 5_000) throws -> TraceIndex {
        let indexer = try TraceIndexer(set: set, checkpointInterval: interval, parallel: parallel, checkpointBudget: budget)
        while !indexer.step(maxRecords: slice) {}
        return indexer.index
    }

    func testBatchedAndParallelIndexesReadBackLikeAFullMerge() throws {
        let trace = makeTrace(streams: 7, records: 60_000)
        let tieBreak: EventMerger.TieBreak = { a, b in a.classIndex > b.classIndex }
        let set = TraceSet(traces: [trace], tieBreak: tieBreak)
        let expected = try fullMerge(set)
        for parallel in [false, true] {
            let index = try indexAll(set, parallel: parallel, interval: 256)
            XCTAssertEqual(index.recordCount, expected.count)
            XCTAssertTrue(index.isComplete)
            let cursor = try MergedCursor(set: set, index: index)
            var all: [EventRecord] = []
            cursor.forEach(from: 0, count: expected.count) { _, r in all.append(r); return true }
            XCTAssertEqual(all, expected, "parallel \(parallel)")
            for o in [0, 255, 256, 257, 40_000, 17, 59_999, expected.count - 1, 1_000] {
                XCTAssertEqual(cursor.record(at: o), expected[o], "ordinal \(o)")
            }
        }
    }

    func testParallelIndexIsIdenticalToSerial() throws {
        let set = TraceSet(traces: [makeTrace(streams: 5, records: 40_000)])
        let serial = try indexAll(set, parallel: false, slice: 333).data
        let parallel = try indexAll(set, parallel: true, slice: 100_000).data
        XCTAssertEqual(serial.checkpointTimes, parallel.checkpointTimes)
        XCTAssertEqual(serial.checkpointPositions, parallel.checkpointPositions)
        XCTAssertEqual(serial.activity.buckets, parallel.activity.buckets)
        XCTAssertEqual(serial.activity.width, parallel.activity.width)
        XCTAssertEqual(serial.totals.rows(.events, in: set, sortedBy: .name), parallel.totals.rows(.events, in: set, sortedBy: .name))
        XCTAssertEqual(serial.totals.rows(.cpus, in: set, sortedBy: .name), parallel.totals.rows(.cpus, in: set, sortedBy: .name))
        XCTAssertEqual(serial.totals.eventTotal + serial.totals.lostRecords, serial.recordCount)
    }

    func testThousandsOfStreams() throws {
        let trace = makeTrace(streams: 3_000, records: 30_000, cpus: 8)
        let set = TraceSet(traces: [trace])
        let expected = try fullMerge(set)
        let index = try indexAll(set, parallel: true)
        XCTAssertEqual(index.recordCount, expected.count)
        let cursor = try MergedCursor(set: set, index: index)
        for o in [0, 1, 29_999, 15_000, 7, expected.count - 1] {
            XCTAssertEqual(cursor.record(at: o), expected[o], "ordinal \(o)")
        }
        // Lanes are per CPU, so thousands of streams make 8 lanes.
        XCTAssertEqual(index.activity.laneCount, 8)
    }

    func testCheckpointsStayWithinTheirBudget() throws {
        let set = TraceSet(traces: [makeTrace(streams: 3, records: 50_000)])
        let expected = try fullMerge(set)
        let budget = 4_096
        let index = try indexAll(set, parallel: false, interval: 64, budget: budget)
        XCTAssertLessThanOrEqual(index.checkpointBytes, budget)
        XCTAssertGreaterThan(index.checkpointInterval, 64)
        let cursor = try MergedCursor(set: set, index: index)
        for o in [0, 64, 12_345, 49_000, expected.count - 1, 3] {
            XCTAssertEqual(cursor.record(at: o), expected[o], "ordinal \(o)")
        }
        XCTAssertEqual(cursor.ordinal(atOrAfter: expected[31_000].timestamp),
                       expected.firstIndex { $0.timestamp >= expected[31_000].timestamp })
    }

    func testActivityAggregatesAreBoundedAndAgreeWithTheRecords() throws {
        let trace = makeTrace(streams: 4, records: 100_000)
        let set = TraceSet(traces: [trace])
        let index = try indexAll(set, parallel: true)
        let activity = index.activity
        let data = activity.data
        XCTAssertLessThanOrEqual(data.buckets.map(\.count).max() ?? 0, ActivityData.maxBucketsPerLane)
        XCTAssertLessThan(activity.memoryBytes, 1 << 20)
        let expected = try fullMerge(set)
        let start = expected.first?.timestamp ?? 0, end = (expected.last?.timestamp ?? 0) + 1
        // Whole-trace counts per lane are exact; coarse slices add up to them.
        for lane in activity.lanes {
            let cpu = activity.key(ofLane: lane)?.cpu ?? -1
            let events = expected.filter { !$0.isLostEvents && $0.cpu == cpu }.count
            XCTAssertEqual(activity.eventCount(lane: lane), events)
            let bounds = (0...100).map { start + (end - start) * Int64($0) / 100 }
            let counts = activity.eventCounts(lane: lane, bounds: bounds)
            XCTAssertEqual(Double(counts.reduce(0, +)), Double(events), accuracy: Double(events) * 0.01)
            // Zoomed in, answers come from the records and are exact.
            let t0 = expected[expected.count / 2].timestamp
            let exact = expected.filter { !$0.isLostEvents && $0.cpu == cpu && $0.timestamp >= t0 && $0.timestamp < t0 + 2_000 }.count
            XCTAssertEqual(activity.eventCount(lane: lane, from: t0, to: t0 + 2_000), exact)
        }
        // The running task of any record is exact: the last switch before it on its CPU.
        var running: [Int32: Int64] = [:]
        var checked = 0
        for (i, r) in expected.enumerated() {
            if i % 97 == 0, let pid = running[r.cpu], let lane = activity.lane(of: r), r.timestamp > start {
                let id = activity.runningTask(lane: lane, at: r.timestamp - 1)
                // Switches at the same timestamp as the record are after `timestamp - 1`.
                if !expected[max(0, i - 40)..<i].contains(where: { $0.timestamp == r.timestamp && $0.cpu == r.cpu && $0.classIndex == 1 }) {
                    XCTAssertEqual(id.flatMap { activity.tasks.task($0)?.pid }, pid, "record \(i)")
                    checked += 1
                }
            }
            if r.classIndex == 1, !r.isLostEvents, let f = try? trace.fields(of: r),
               case .integer(let v, _)? = f.first(where: { $0.name == "next_pid" })?.value {
                running[r.cpu] = v.int64
            }
        }
        XCTAssertGreaterThan(checked, 100)
    }

    func testBackgroundIndexerMatchesTheInlineIndex() throws {
        let trace = makeTrace(streams: 6, records: 80_000)
        let set = TraceSet(traces: [trace])
        let inline = try indexAll(set, parallel: false).data
        let background = try BackgroundIndexer(open: { set })
        var data: IndexData?
        let deadline = Date().addingTimeInterval(30)
        while Date() < deadline {
            if let d = background.take() { data = d }
            if data?.isComplete == true { break }
            Thread.sleep(forTimeInterval: 0.005)
        }
        XCTAssertEqual(data?.isComplete, true)
        XCTAssertEqual(data?.recordCount, inline.recordCount)
        XCTAssertEqual(data?.checkpointPositions, inline.checkpointPositions)
        XCTAssertEqual(data?.activity.buckets, inline.activity.buckets)
    }

    func testHeadIsThePrefixOfTheFullIndex() throws {
        let trace = makeTrace(streams: 5, records: 40_000)
        let set = TraceSet(traces: [trace])
        let head = try TraceIndexer.head(of: set, records: 1_024)
        let stepped = try TraceIndexer(set: TraceSet(traces: [trace]))
        stepped.step(maxRecords: 1_024)
        let partial = stepped.index.data
        XCTAssertEqual(head.recordCount, 1_024)
        XCTAssertFalse(head.isComplete)
        XCTAssertEqual(head.recordCount, partial.recordCount)
        XCTAssertEqual(head.checkpointTimes, partial.checkpointTimes)
        XCTAssertEqual(head.checkpointPositions, partial.checkpointPositions)
        XCTAssertEqual(head.lastTimestamp, partial.lastTimestamp)
        // Its records read back through its checkpoints are the merge's first ones.
        let merger = try set.makeMerger()
        var expected: [EventRecord] = []
        while expected.count < 1_024, let r = merger.current { expected.append(r); try merger.advance() }
        let cursor = try MergedCursor(set: set, index: TraceIndex(data: head))
        var read: [EventRecord] = []
        cursor.forEach(from: 0, count: 1_024) { _, r in read.append(r); return true }
        XCTAssertEqual(read, expected)
        // A short trace: the head is the whole index.
        let small = makeTrace(streams: 2, records: 300)
        let whole = try TraceIndexer.head(of: TraceSet(traces: [small]), records: 1_024)
        XCTAssertTrue(whole.isComplete)
        XCTAssertEqual(whole.recordCount, 300)
    }

    func testStreamErrorsLeaveTheMergeLikeEventMerger() throws {
        // Failing at once, in the middle, and just before the end.
        for after in [1, 1_234, 8_999] {
            try checkStreamError(after: after)
        }
    }

    private func checkStreamError(after: Int) throws {
        let inner = makeTrace(streams: 3, records: 9_000)
        let damaged = FailingTrace(inner, failingStream: 1, after: after)
        let set = TraceSet(traces: [damaged])
        var expected: [EventRecord] = []
        var errors = 0
        let merger = try set.makeMerger()
        while merger.current != nil {
            expected.append(merger.current!)
            do { try merger.advance() } catch { errors += 1 }
        }
        for parallel in [false, true] {
            let index = try indexAll(set, parallel: parallel, interval: 128)
            XCTAssertEqual(index.recordCount, expected.count)
            XCTAssertEqual(index.errors.count, errors)
            let cursor = try MergedCursor(set: set, index: index)
            var all: [EventRecord] = []
            cursor.forEach(from: 0, count: expected.count) { _, r in all.append(r); return true }
            XCTAssertEqual(all, expected)
        }
    }
}

/// A trace whose stream `failingStream` throws after `after` records (a damaged file).
private final class FailingTrace: Trace {
    let inner: MemoryTrace
    let failingStream: Int
    let after: Int
    init(_ inner: MemoryTrace, failingStream: Int, after: Int) {
        self.inner = inner
        self.failingStream = failingStream
        self.after = after
    }
    var name: String { inner.name }
    var path: String { inner.path }
    var timeDomain: TimeDomain { inner.timeDomain }
    var eventClasses: [EventClass] { inner.eventClasses }
    var streams: [StreamInfo] { inner.streams }
    var cpuCount: Int { inner.cpuCount }
    var environment: [(String, String)] { [] }
    func openStream(_ index: Int) throws -> EventStream {
        let stream = try inner.openStream(index)
        return index == failingStream ? FailingStream(stream, after: after) : stream
    }
    func decodeFields<V: FieldVisitor>(of record: EventRecord, scope: FieldScope, into visitor: inout V) throws {
        try inner.decodeFields(of: record, scope: scope, into: &visitor)
    }
    func task(of record: EventRecord) -> TaskRef? { inner.task(of: record) }
}

private final class FailingStream: EventStream {
    let inner: EventStream
    let after: Int
    private var failed = false
    init(_ inner: EventStream, after: Int) {
        self.inner = inner
        self.after = after
    }
    var current: EventRecord? { failed ? nil : inner.current }
    func advance() throws {
        try inner.advance()
        if let r = inner.current, r.position.offset >= after {
            failed = true
            throw TraceError(file: "damaged", "record \(r.position.offset) is damaged")
        }
    }
    func seek(to position: StreamPosition) throws {
        failed = false
        try inner.seek(to: position)
        if position.offset >= after { failed = true; throw TraceError(file: "damaged", "damaged") }
    }
    func seek(toTimestamp timestamp: Int64) throws {
        failed = false
        try inner.seek(toTimestamp: timestamp)
        if let r = inner.current, r.position.offset >= after { failed = true; throw TraceError(file: "damaged", "damaged") }
    }
}
