import XCTest
@testable import TraceKit

/// The timeline's aggregates count each event in the bucket of its time, whatever the order the
/// events come in and however often the grid is coarsened or a copy is taken meanwhile.
final class ActivityDataTests: XCTestCase {
    private struct Generator {
        var state: UInt64
        mutating func next() -> UInt64 {
            state = state &* 6364136223846793005 &+ 1442695040888963407
            return state >> 33
        }
    }

    func testEventCountsPerBucketMatchARecountAtEveryCopy() {
        var random = Generator(state: 7)
        var data = ActivityData()
        var records: [EventRecord] = []
        var time: Int64 = 1_000
        for i in 0..<120_000 {
            // Bursts and gaps, three CPUs and a lane without CPU.
            time += Int64(random.next() % (i % 5_000 < 100 ? 1_000_000 : 300))
            let cpu = Int32(random.next() % 4) - 1
            let record = EventRecord(timestamp: time, cpu: cpu, classIndex: 0, stream: 3,
                                     position: StreamPosition(unit: 0, offset: i, clock: 0))
            records.append(record)
            data.addEvent(record)
            if i % 17_001 == 0 || i == 119_999 {
                var copy = data
                copy.settle()
                check(copy, against: records)
            }
        }
    }

    private func check(_ data: ActivityData, against records: [EventRecord], file: StaticString = #filePath, line: UInt = #line) {
        var expected = Array(repeating: [UInt32](), count: data.laneCount)
        for r in records {
            guard let lane = data.lane(of: r) else { return XCTFail("no lane", file: file, line: line) }
            let b = data.bucket(of: r.timestamp)
            while expected[lane].count <= b { expected[lane].append(0) }
            expected[lane][b] += 1
        }
        let counted = data.buckets.map { lane in lane.map(\.events) }
        for lane in 0..<data.laneCount {
            let trimmed = Array(counted[lane].prefix(expected[lane].count))
            XCTAssertEqual(trimmed, expected[lane], "lane \(lane)", file: file, line: line)
            XCTAssertTrue(counted[lane].dropFirst(expected[lane].count).allSatisfy { $0 == 0 }, file: file, line: line)
            XCTAssertEqual(data.laneEvents[lane], Int(expected[lane].reduce(0, +)), file: file, line: line)
        }
        XCTAssertEqual(data.recordsNoted, records.count, file: file, line: line)
    }
}
