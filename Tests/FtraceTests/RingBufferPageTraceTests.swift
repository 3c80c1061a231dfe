import TraceKit
import XCTest
@testable import Ftrace

/// Pages fed one at a time (as the live view reads `trace_pipe_raw`) give the same records and
/// the same trace-cmd text as the trace.dat file they came from.
final class RingBufferPageTraceTests: XCTestCase {
    /// The pages of `name`'s buffers, fed into a page trace.
    private func replay(_ name: String) throws -> (RingBufferPageTrace, TraceDatFile) {
        let file = try TraceDatFile(path: Fixtures.path(name))
        let cpus = file.buffers.flatMap(\.cpus)
        let trace = RingBufferPageTrace(name: "replay", catalog: file.catalog, layout: file.layout, cpus: cpus.map(\.cpu))
        for (stream, cpu) in cpus.enumerated() {
            let source = CPUPageSource(file: file, cpu: cpu, pageSize: file.pageSize, label: "cpu\(cpu.cpu)")
            for i in 0..<source.pageCount {
                try trace.append(page: try source.page(i), stream: stream)
            }
        }
        return (trace, file)
    }

    func testReplayedPagesPrintLikeTraceCmd() throws {
        let (trace, _) = try replay("uprobes-v7.dat")
        let set = TraceSet(traces: [trace])
        let merger = try set.makeMerger()
        var line = LineBuffer()
        defer { line.deallocate() }
        while let r = try merger.next() { trace.writeTraceCmdLine(r, to: &line) }
        let got = String(decoding: line.bytes, as: UTF8.self).split(separator: "\n")
        // The golden lines carry the instance prefix, which a single live buffer does not print.
        let golden = try String(contentsOfFile: Fixtures.path("uprobes.tc.txt"), encoding: .utf8)
            .split(separator: "\n").dropFirst().map { $0.split(separator: ":", maxSplits: 1)[1].dropFirst() }
        XCTAssertEqual(got.count, golden.count)
        XCTAssertEqual(got.map(String.init), golden.map(String.init))
        XCTAssertTrue(trace.eventClasses.contains { $0.name == "target_ret" })
    }

    func testDroppingOldPagesKeepsPositionsOfTheRest() throws {
        let (trace, _) = try replay("lossy-v7.dat")
        let store = trace.stores[0]
        let total = store.pageCount
        XCTAssertGreaterThan(total, 2)
        let stream = try trace.openStream(0)
        var last: EventRecord?
        while let r = stream.current { last = r; try stream.advance() }
        XCTAssertEqual(store.dropOldest(keeping: 1), total - 1)
        let kept = try trace.openStream(0)
        XCTAssertEqual(kept.current?.position.unit, total - 1)
        let lastRecord = try XCTUnwrap(last)
        try kept.seek(to: lastRecord.position)
        XCTAssertEqual(kept.current?.timestamp, lastRecord.timestamp)
        XCTAssertNotNil(try trace.fields(of: lastRecord).first)
    }

    func testCountingClocksPrintRawTimestamps() throws {
        let (trace, _) = try replay("uprobes-v7.dat")
        trace.timestampsInNanoseconds = false
        let merger = try TraceSet(traces: [trace]).makeMerger()
        let record = try XCTUnwrap(try merger.next())
        var line = LineBuffer()
        defer { line.deallocate() }
        trace.writeTraceCmdLine(record, to: &line)
        let text = String(decoding: line.bytes, as: UTF8.self)
        let field = String(UInt64(bitPattern: record.timestamp))
        // "%12llu:" straight after "[%03d]".
        XCTAssertTrue(text.contains("]" + String(repeating: " ", count: max(0, 12 - field.count)) + field + ": "), text)
        XCTAssertFalse(TraceCmdLine.clockCountsNanoseconds("counter"))
        XCTAssertFalse(TraceCmdLine.clockCountsNanoseconds("x86-tsc"))
        XCTAssertTrue(TraceCmdLine.clockCountsNanoseconds("mono_raw"))
        XCTAssertTrue(TraceCmdLine.clockCountsNanoseconds(nil))
    }

    func testBadPagesAreRefused() {
        let trace = RingBufferPageTrace(name: "t", catalog: EventCatalog(), layout: RingBufferLayout(longSize: 8, pageSize: 4096), cpus: [0])
        var page = [UInt8](repeating: 0, count: 4096)
        page[8] = 0xFF; page[9] = 0xFF  // commit of 65535 bytes
        XCTAssertThrowsError(try page.withUnsafeBytes { try trace.append(page: $0, stream: 0) })
        XCTAssertEqual(trace.stores[0].pageCount, 0)
    }
}
