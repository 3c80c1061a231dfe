import XCTest
@testable import TraceKit

final class EventMergerTests: XCTestCase {
    private func makeTrace(_ streams: [[Int64]]) -> MemoryTrace {
        let trace = MemoryTrace(name: "t")
        let cls = trace.classIndex(named: "e")
        for (s, times) in streams.enumerated() {
            trace.addStream(StreamInfo(name: "s\(s)", cpu: Int32(s), file: ""))
            for t in times { trace.append(stream: s, timestamp: t, classIndex: cls) }
        }
        return trace
    }

    func testMergesInTimeOrderWithStableTies() throws {
        let trace = makeTrace([[1, 5, 5, 9], [2, 5, 8], [], [0, 5]])
        let merger = try TraceSet(traces: [trace]).makeMerger()
        var out: [(Int64, Int32)] = []
        while let r = try merger.next() { out.append((r.timestamp, r.stream)) }
        XCTAssertEqual(out.map(\.0), [0, 1, 2, 5, 5, 5, 5, 8, 9])
        // Equal timestamps: lower source first, and a stream's own order is kept.
        XCTAssertEqual(out.filter { $0.0 == 5 }.map(\.1), [0, 0, 1, 3])
    }

    func testTieBreakDecidesEqualTimestamps() throws {
        let trace = makeTrace([[5], [5], [5]])
        let set = TraceSet(traces: [trace], tieBreak: { a, b in a.stream > b.stream })
        let merger = try set.makeMerger()
        var streams: [Int32] = []
        while let r = try merger.next() { streams.append(r.stream) }
        XCTAssertEqual(streams, [2, 1, 0])
    }

    func testSeekToTimestamp() throws {
        let trace = makeTrace([[1, 3, 5, 7], [2, 4, 6, 8]])
        let merger = try TraceSet(traces: [trace]).makeMerger()
        try merger.seek(toTimestamp: 5)
        XCTAssertEqual(merger.current?.timestamp, 5)
        _ = try merger.next()
        XCTAssertEqual(merger.current?.timestamp, 6)
    }

    func testMergesManyStreams() throws {
        var streams: [[Int64]] = []
        for s in 0..<300 { streams.append(stride(from: Int64(s), to: 3000, by: 300).map { $0 }) }
        let merger = try TraceSet(traces: [makeTrace(streams)]).makeMerger()
        var previous: Int64 = -1
        var count = 0
        while let r = try merger.next() {
            XCTAssertGreaterThan(r.timestamp, previous)
            previous = r.timestamp
            count += 1
        }
        XCTAssertEqual(count, 3000)
    }

    func testTagsRecordsWithTheirTrace() throws {
        let a = makeTrace([[1, 3]]), b = makeTrace([[2]])
        let merger = try TraceSet(traces: [a, b]).makeMerger()
        var traces: [Int32] = []
        while let r = try merger.next() { traces.append(r.trace) }
        XCTAssertEqual(traces, [0, 1, 0])
    }
}
