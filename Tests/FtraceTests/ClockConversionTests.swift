import XCTest
@testable import Ftrace

/// Timestamp conversions recorded in trace.dat options.
final class ClockConversionTests: XCTestCase {
    func testOffsetAndTSCMultiplier() {
        var c = TraceDatClockConversion()
        XCTAssertEqual(c.apply(1234), 1234)
        c.offset = -34
        XCTAssertEqual(c.apply(1234), 1200)
        c.offset = 0
        c.tscMultiplier = 3 << 20  // x3 with shift 20
        c.tscShift = 20
        XCTAssertEqual(c.apply(1_000), 3_000)
        XCTAssertEqual(c.apply(1 << 40), 3 << 40, "the high word is scaled too")
    }

    func testHostTimeShift() {
        let samples = [TimeShift.Sample(time: 1000, offset: 100, scaling: 1, fraction: 0),
                       TimeShift.Sample(time: 2000, offset: 300, scaling: 1, fraction: 0),
                       TimeShift.Sample(time: 3000, offset: 500, scaling: 1, fraction: 0)]
        var shift = TimeShift(peerTraceID: 1, flags: 0, samples: [samples])
        XCTAssertEqual(shift.correct(1500, cpu: 0), 1600, "the offset of the sample before")
        XCTAssertEqual(shift.correct(99, cpu: 3), 99, "a CPU without samples")
        shift.flags = 1  // interpolate
        XCTAssertEqual(shift.correct(1500, cpu: 0), 1700)
        XCTAssertEqual(shift.correct(3500, cpu: 0), 4100, "extrapolated from the last two samples")
        var c = TraceDatClockConversion()
        c.hostSync = shift
        XCTAssertEqual(c.apply(2500, cpu: 0), 2900)
    }

    func testSelectedTraceClock() {
        XCTAssertEqual(TraceDatFile.selectedClock("[local] global counter uptime\n"), "local")
        XCTAssertEqual(TraceDatFile.selectedClock("local global [counter] uptime\n"), "counter")
        XCTAssertNil(TraceDatFile.selectedClock("local global"))
    }
}
