import XCTest
@testable import TraceKit

/// `PartPool`: each stream's chunks reach the merge complete and in order, whatever the number of
/// workers, the chunk limit and the cuts; a stream that ends early (a bound, an error) ends there.
final class PartPoolTests: XCTestCase {
    /// Units of a synthetic stream (their numbers are the records).
    final class Chunk: PoolChunk {
        var values: [Int] = []
        var endsStream = false
        var endsPart = false
        var error: Error?
        var isEmpty: Bool { values.isEmpty && error == nil }
        var lastTime: Int64? { values.last.map { Int64($0) } }
        func fail(_ error: Error) {
            values = []
            self.error = error
            endsStream = true
            endsPart = false
        }
    }

    struct Failure: Error, Equatable { let stream: Int }

    /// Stream `s` holds units 0..<lengths[s]; it stops before `stops[s]` (a bound) if set; its
    /// part starting at `failing[s]` cannot be opened.
    private func run(lengths: [Int], cuts: [[Int]], stops: [Int?], failing: [Int?], workers: Int,
                     chunkLimit: Int, chunkSize: Int) -> [(values: [Int], error: Failure?)] {
        var streams: [[PartRange]] = []
        for (s, starts) in cuts.enumerated() {
            var ranges: [PartRange] = []
            for (i, first) in starts.enumerated() {
                let end = i + 1 < starts.count ? starts[i + 1] : .max
                ranges.append(PartRange(first: first, end: end, time: Int64(first)))
            }
            streams.append(ranges)
        }
        let pool = PartPool<Chunk>(streams: streams, chunkLimit: chunkLimit, makeChunk: { Chunk() }) { s, _, range in
            if failing[s] == range.first { throw Failure(stream: s) }
            var next = range.first
            return { chunk in
                chunk.values = []
                chunk.endsStream = false
                chunk.endsPart = false
                chunk.error = nil
                while chunk.values.count < chunkSize {
                    if let stop = stops[s], next >= stop {
                        chunk.endsStream = true
                        return
                    }
                    if next >= range.end {
                        chunk.endsPart = true
                        return
                    }
                    if next >= lengths[s] {
                        chunk.endsStream = true
                        return
                    }
                    chunk.values.append(next)
                    next += 1
                }
            }
        }
        pool.start(workers: workers)
        defer { pool.stop() }
        var results: [(values: [Int], error: Failure?)] = Array(repeating: ([], nil), count: lengths.count)
        // Interleaved like a merge: one chunk of each stream in turn.
        var open = Set(lengths.indices)
        while !open.isEmpty {
            for s in open.sorted() {
                if pool.advance(s) {
                    let chunk = pool.current(s)
                    results[s].values += chunk.values
                    if let error = chunk.error as? Failure { results[s].error = error }
                } else {
                    open.remove(s)
                }
            }
        }
        return results
    }

    func testEveryStreamArrivesWholeAndInOrder() {
        let lengths = [1000, 37, 0, 5000]
        let cuts = [[0, 100, 101, 500, 999], [0], [0], Array(stride(from: 0, to: 5000, by: 250))]
        for workers in [0, 1, 2, 5] {
            for (limit, size) in [(1, 7), (3, 64), (64, 1000)] {
                let results = run(lengths: lengths, cuts: cuts, stops: [nil, nil, nil, nil], failing: [nil, nil, nil, nil],
                                  workers: workers, chunkLimit: limit, chunkSize: size)
                for (s, result) in results.enumerated() {
                    XCTAssertEqual(result.values, Array(0..<lengths[s]), "stream \(s), \(workers) workers, limit \(limit)")
                    XCTAssertNil(result.error)
                }
            }
        }
    }

    func testAStreamEndingInAPartDropsItsLaterParts() {
        let cuts = [Array(stride(from: 0, to: 3000, by: 100)), [0, 10, 20]]
        for workers in [0, 2, 4] {
            let results = run(lengths: [3000, 30], cuts: cuts, stops: [1234, nil], failing: [nil, nil],
                              workers: workers, chunkLimit: 8, chunkSize: 50)
            XCTAssertEqual(results[0].values, Array(0..<1234), "\(workers) workers")
            XCTAssertEqual(results[1].values, Array(0..<30))
        }
    }

    func testAPartThatCannotStartEndsItsStreamThere() {
        let cuts = [[0, 200, 400, 600], [0, 50]]
        for workers in [0, 2, 3] {
            let results = run(lengths: [800, 100], cuts: cuts, stops: [nil, nil], failing: [400, nil],
                              workers: workers, chunkLimit: 4, chunkSize: 30)
            XCTAssertEqual(results[0].values, Array(0..<400), "records before the failing part, \(workers) workers")
            XCTAssertEqual(results[0].error, Failure(stream: 0))
            XCTAssertEqual(results[1].values, Array(0..<100))
        }
    }
}
