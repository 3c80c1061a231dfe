import Foundation
import XCTest
import TraceKit
@testable import Live

/// The viewer's merged-record index over a live trace that grows while it is indexed: reading any
/// record through the index must give what a full merge of the final trace gives.
final class LiveIndexTests: XCTestCase {
    func testIndexOfAGrowingTraceMatchesAFullMerge() throws {
        let directory = LiveTestSupport.fixtures.appendingPathComponent("lossy").path
        let (layout, catalog) = try LiveCatalogSource.recorded(directory).load()
        let trace = LiveTrace(name: "grow", path: directory, cpus: [0, 1], layout: layout, catalog: catalog)
        let set = TraceSet(traces: [trace])
        let indexer = try TraceIndexer(set: set, checkpointInterval: 64)
        var pages: [[UInt8]] = []
        for cpu in 0..<2 { pages.append(try ControlFile.readBytes("\(directory)/cpu\(cpu).pages")) }
        // Pages arrive CPU by CPU, one at a time, with the frontier at the next unread page.
        var next = [0, 0]
        func frontier() -> Int64 {
            var times: [Int64] = []
            for cpu in 0..<2 where next[cpu] < pages[cpu].count {
                let header = pages[cpu][next[cpu]..<(next[cpu] + 8)]
                times.append(Int64(bitPattern: header.enumerated().reduce(UInt64(0)) { $0 | UInt64($1.element) << (8 * $1.offset) }) - 1)
            }
            return times.min() ?? .max
        }
        // CPU 1's pages first: while they are indexed, CPU 0 has nothing yet, so checkpoints hold
        // it as exhausted; its pages (later in time) arrive afterwards.
        for step in 0..<6 {
            let cpu = step < 3 ? 1 : 0
            if next[cpu] < pages[cpu].count {
                Array(pages[cpu][next[cpu]..<(next[cpu] + 4096)]).withUnsafeBytes { trace.append(page: $0, cpu: cpu) }
                next[cpu] += 4096
            }
            trace.advanceVisibility(to: frontier())
            indexer.refresh()
            indexer.step(maxRecords: .max)
        }
        trace.advanceVisibility(to: nil)
        indexer.refresh()
        indexer.step(maxRecords: .max)

        let reference = try set.makeMerger()
        var expected: [EventRecord] = []
        while let r = reference.current { expected.append(r); try reference.advance() }
        XCTAssertEqual(indexer.index.recordCount, expected.count)
        let cursor = try MergedCursor(set: set, index: indexer.index)
        // Backwards and in jumps: every read restores a checkpoint.
        for ordinal in stride(from: expected.count - 1, through: 0, by: -7) {
            XCTAssertEqual(cursor.record(at: ordinal), expected[ordinal], "ordinal \(ordinal)")
        }
    }
}
