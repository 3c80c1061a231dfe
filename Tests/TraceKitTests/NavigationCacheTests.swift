import XCTest
@testable import TraceKit

/// Saved indexes: a finished index reads back identical, and damaged, truncated, foreign or stale
/// bytes are refused (never trusted), without crashing.
final class NavigationCacheTests: XCTestCase {
    private func makeTrace(shift: Int64 = 0) -> MemoryTrace {
        let trace = MemoryTrace(name: "cache")
        for c in 0..<3 { trace.addStream(StreamInfo(name: "cpu\(c)", cpu: Int32(c), file: "")) }
        let tick = trace.classIndex(named: "tick")
        let sw = trace.classIndex(named: "sched_switch")
        for n in 0..<6_000 {
            let s = n % 3
            let t = Int64(n) * 7 + shift
            if n % 11 == 0 {
                trace.append(stream: s, timestamp: t, classIndex: sw, payload: [
                    Field("prev_pid", .integer(.signed(Int64(n % 5)), base: .decimal)),
                    Field("next_pid", .integer(.signed(Int64((n + 1) % 5)), base: .decimal)),
                    Field("next_comm", .string("task\((n + 1) % 5)")),
                ])
            } else {
                trace.append(stream: s, timestamp: t, classIndex: tick)
            }
        }
        trace.append(stream: 1, timestamp: 50_000, classIndex: 0, kind: .lostEvents(count: 4, since: 49_000))
        return trace
    }

    private func index(_ set: TraceSet) throws -> IndexData {
        let indexer = try TraceIndexer(set: set, checkpointInterval: 100)
        indexer.step(maxRecords: .max)
        return indexer.index.data
    }

    func testRoundTrip() throws {
        let set = TraceSet(traces: [makeTrace()])
        let data = try index(set)
        let bytes = data.encoded(fingerprint: 42)
        let back = try IndexData(decoding: bytes, fingerprint: 42)
        XCTAssertEqual(back.recordCount, data.recordCount)
        XCTAssertEqual(back.checkpointTimes, data.checkpointTimes)
        XCTAssertEqual(back.checkpointPositions, data.checkpointPositions)
        XCTAssertEqual(back.activity.buckets, data.activity.buckets)
        XCTAssertEqual(back.activity.keys, data.activity.keys)
        XCTAssertEqual(back.activity.tasks.tasks, data.activity.tasks.tasks)
        XCTAssertEqual(back.activity.lost.map(\.range), data.activity.lost.map(\.range))
        XCTAssertEqual(back.totals.rows(.events, in: set, sortedBy: .name), data.totals.rows(.events, in: set, sortedBy: .name))
        XCTAssertEqual(back.totals.rows(.cpus, in: set, sortedBy: .name), data.totals.rows(.cpus, in: set, sortedBy: .name))
        XCTAssertTrue(back.isComplete)
        // It reads records back, and the lanes answer as before.
        let restored = TraceIndex(data: back)
        XCTAssertTrue(restored.checkpointsHold(in: set))
        let cursor = try MergedCursor(set: set, index: restored)
        let original = try MergedCursor(set: set, index: TraceIndex(data: data))
        for o in [0, 99, 100, 3_333, 6_000] { XCTAssertEqual(cursor.record(at: o), original.record(at: o)) }
        restored.activity.windowReader = try MergedWindowReader(set: set, index: restored)
        XCTAssertEqual(restored.activity.runningTask(lane: 0, at: 30_000).flatMap { restored.activity.tasks.task($0) }?.pid,
                       { () -> Int64? in
                           let i = TraceIndex(data: data)
                           i.activity.windowReader = try? MergedWindowReader(set: set, index: i)
                           return i.activity.runningTask(lane: 0, at: 30_000).flatMap { i.activity.tasks.task($0) }?.pid
                       }())
    }

    func testDamagedBytesAreRefused() throws {
        let bytes = try index(TraceSet(traces: [makeTrace()])).encoded(fingerprint: 7)
        XCTAssertThrowsError(try IndexData(decoding: bytes, fingerprint: 8), "other files")
        XCTAssertThrowsError(try IndexData(decoding: Array(bytes.prefix(bytes.count - 1)), fingerprint: 7), "truncated")
        XCTAssertThrowsError(try IndexData(decoding: bytes + [0], fingerprint: 7), "trailing")
        XCTAssertThrowsError(try IndexData(decoding: [], fingerprint: 7), "empty")
        var generator = SystemRandomNumberGenerator()
        for _ in 0..<60 {
            var damaged = bytes
            let i = Int.random(in: 0..<damaged.count, using: &generator)
            damaged[i] ^= UInt8.random(in: 1...255, using: &generator)
            XCTAssertThrowsError(try IndexData(decoding: damaged, fingerprint: 7), "byte \(i)")
        }
        for _ in 0..<50 {
            let noise = (0..<Int.random(in: 0..<4_096, using: &generator)).map { _ in UInt8.random(in: 0...255, using: &generator) }
            XCTAssertThrowsError(try IndexData(decoding: Array(bytes.prefix(24)) + noise, fingerprint: 7))
        }
    }

    func testAnIndexOfOtherRecordsDoesNotHold() throws {
        let data = try index(TraceSet(traces: [makeTrace()]))
        let other = TraceSet(traces: [makeTrace(shift: 3)])
        XCTAssertFalse(TraceIndex(data: data).checkpointsHold(in: other))
        let fewerStreams = MemoryTrace(name: "one")
        fewerStreams.addStream(StreamInfo(name: "cpu0", cpu: 0, file: ""))
        XCTAssertFalse(TraceIndex(data: data).checkpointsHold(in: TraceSet(traces: [fewerStreams])))
    }
}
