import XCTest
@testable import TraceKit

final class TimeTests: XCTestCase {
    func testDurations() {
        XCTAssertEqual(DurationParser.nanoseconds("1.5ms"), 1_500_000)
        XCTAssertEqual(DurationParser.nanoseconds("+250us"), 250_000)
        XCTAssertEqual(DurationParser.nanoseconds("-3s"), -3_000_000_000)
        XCTAssertEqual(DurationParser.nanoseconds("42ns"), 42)
        XCTAssertEqual(DurationParser.nanoseconds("2"), 2_000_000_000)
        XCTAssertEqual(DurationParser.nanoseconds("173.829677955"), 173_829_677_955)
        XCTAssertEqual(DurationParser.nanoseconds("1 h"), 3_600_000_000_000)
        XCTAssertNil(DurationParser.nanoseconds("1.2.3s"))
        XCTAssertNil(DurationParser.nanoseconds("abc"))
        XCTAssertNil(DurationParser.nanoseconds("5 parsecs"))
    }

    func testCivilTime() {
        // 2026-11-27 22:50:11.698268088 UTC
        let c = TimeFormatting.civilTime(fromEpochNanoseconds: 1_795_819_811_698_268_088)
        XCTAssertEqual([c.year, c.month, c.day, c.hour, c.minute, c.second], [2026, 11, 27, 22, 50, 11])
        XCTAssertEqual(c.nanosecond, 698_268_088)
        let before = TimeFormatting.civilTime(fromEpochNanoseconds: -1)
        XCTAssertEqual([before.year, before.month, before.day, before.hour, before.minute, before.second],
                       [1969, 12, 31, 23, 59, 59])
        XCTAssertEqual(before.nanosecond, 999_999_999)
    }

    func testFormatting() {
        XCTAssertEqual(TimeFormatting.seconds(173_829_677_955), "173.829677955")
        XCTAssertEqual(TimeFormatting.clock(1_795_819_811_698_268_088, domain: .unixEpoch), "22:50:11.698268088")
        XCTAssertEqual(TimeFormatting.duration(1_500_000), "1.5 ms")
        XCTAssertEqual(TimeFormatting.duration(999), "999 ns")
        XCTAssertEqual(TimeFormatting.duration(3_000_000_000), "3 s")
    }
}
