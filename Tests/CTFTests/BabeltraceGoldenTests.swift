import Foundation
import Glibc
import XCTest
@testable import CTF
import TraceKit

/// `dump --format babeltrace` against what babeltrace2 2.0.4 printed for the same traces
/// (golden files written by Tests/Fixtures/ctf/make-fixtures.sh).
final class BabeltraceGoldenTests: XCTestCase {
    override class func setUp() {
        super.setUp()
        // The golden files were made with TZ=UTC.
        setenv("TZ", "UTC", 1)
        tzset()
    }

    /// Dumps the traces found under `path` like `ringside dump --format babeltrace PATH`.
    /// With `parallel: .parts`, streams are cut at every packet where reading can start afresh and
    /// formatted by more threads than there are cores.
    static func dump(_ path: String, parallel: Mode = .streams, begin: Int64? = nil, end: Int64? = nil) throws
        -> (out: [UInt8], err: String) {
        let traces = try CTFTraceDiscovery.open(path: path, isDirectory: true)
        let set = TraceSet(traces: traces, tieBreak: CTFTieBreak.make(for: traces))
        let dumper = try BabeltraceDumper(set: set)
        dumper.parallel = parallel != .serial
        if parallel == .parts {
            dumper.partBytes = 1
            dumper.workerCount = 3
        }
        var out: [UInt8] = []
        var err: [UInt8] = []
        let errors = OutputBuffer { err += $0 }
        defer { try? errors.flush() }
        do {
            try dumper.dump(sink: { out += $0 }, errors: errors, begin: begin, end: end)
        } catch {
            try? errors.flush()
            throw error
        }
        try errors.flush()
        return (out, String(decoding: err, as: UTF8.self))
    }

    /// How a dump is made: on this thread, on worker threads (streams in large parts), or in
    /// parts of one packet each on three workers.
    enum Mode: CaseIterable { case streams, serial, parts }

    private func check(_ name: String, file: StaticString = #filePath, line: UInt = #line) throws {
        let trace = FixturePaths.path("traces/" + name)
        // The output holds bytes that are not UTF-8 (strings are printed as written): compare bytes.
        let expectedOut = [UInt8](try Data(contentsOf: URL(fileURLWithPath: FixturePaths.path("golden/\(name).babeltrace.txt"))))
        let expectedErr = try String(contentsOfFile: FixturePaths.path("golden/\(name).babeltrace.err"), encoding: .utf8)
            .replacingOccurrences(of: "@FIXTURES@", with: BabeltraceWarnings.absolutePath(FixturePaths.path("traces")))
        for parallel in Mode.allCases {
            let (out, err) = try Self.dump(trace, parallel: parallel)
            XCTAssertEqual(out.count, expectedOut.count, "\(name): output size (parallel: \(parallel))", file: file, line: line)
            if out != expectedOut {
                let a = out.split(separator: 10, omittingEmptySubsequences: false).map { String(decoding: $0, as: UTF8.self) }
                let b = expectedOut.split(separator: 10, omittingEmptySubsequences: false).map { String(decoding: $0, as: UTF8.self) }
                let first = Array(zip(a, b)).firstIndex { $0.0 != $0.1 } ?? min(a.count, b.count)
                XCTFail("\(name): first difference at line \(first + 1):\n got: \(first < a.count ? String(a[first]) : "<end>")\nwant: \(first < b.count ? String(b[first]) : "<end>")",
                        file: file, line: line)
            }
            XCTAssertEqual(err, expectedErr, "\(name): standard error (parallel: \(parallel))", file: file, line: line)
        }
    }

    func testLTTngLibcTrace() throws { try check("ust-libc") }
    func testBabeltraceWrittenLibcTrace() throws { try check("ust-libc-bt2") }
    func testEveryFieldTypePerUIDBuffers() throws { try check("ust-all-uid") }
    func testEveryFieldTypePerPIDBuffers() throws { try check("ust-all-pid") }
    func testDiscardModeLostEvents() throws { try check("ust-discard") }
    func testOverwriteModeLostPackets() throws { try check("ust-overwrite") }
    func testConvertedByBabeltrace() throws { try check("ust-all-bt2") }

    // Hand-written traces (make-handwritten.py).
    func testHandWrittenLittleEndianTrace() throws { try check("tsdl-le") }
    func testHandWrittenBigEndianTraceWithPacketizedMetadata() throws { try check("tsdl-be") }
    func testTraceWithoutClock() throws { try check("tsdl-noclock") }
    func testTimesBeforeTheEpoch() throws { try check("tsdl-negative") }

    /// `--begin`/`--end` against `babeltrace2 --begin/--end` (golden/ranges.tsv): events outside
    /// dropped, discarded-events ranges cut at the bounds and their counts dropped.
    func testTimeRanges() throws {
        let table = String(decoding: try FixturePaths.contents("golden/ranges.tsv"), as: UTF8.self)
        for line in table.split(separator: "\n") {
            let columns = line.split(separator: "\t").map(String.init)
            let (name, trace) = (columns[0], FixturePaths.path("traces/" + columns[1]))
            let traces = try CTFTraceDiscovery.open(path: trace, isDirectory: true)
            let set = TraceSet(traces: traces, tieBreak: CTFTieBreak.make(for: traces))
            let first = { try set.makeMerger().current?.timestamp }
            let begin = columns[2] == "-" ? nil : try BabeltraceTimeBound.nanoseconds(columns[2], firstTime: first)
            let end = columns[3] == "-" ? nil : try BabeltraceTimeBound.nanoseconds(columns[3], firstTime: first)
            let expectedOut = [UInt8](try Data(contentsOf: URL(fileURLWithPath: FixturePaths.path("golden/\(name).babeltrace.txt"))))
            let expectedErr = try String(contentsOfFile: FixturePaths.path("golden/\(name).babeltrace.err"), encoding: .utf8)
                .replacingOccurrences(of: "@FIXTURES@", with: BabeltraceWarnings.absolutePath(FixturePaths.path("traces")))
            for parallel in Mode.allCases {
                let (out, err) = try Self.dump(trace, parallel: parallel, begin: begin, end: end)
                XCTAssertTrue(out == expectedOut, "\(name): standard output (parallel: \(parallel))")
                XCTAssertEqual(err, expectedErr, "\(name): standard error (parallel: \(parallel))")
            }
        }
    }

    /// The `.parts` mode above really cuts streams: LTTng packets all end with a clock value, so
    /// every packet starts a part; a stream without a clock is read in one piece.
    func testStreamsAreCutWherePacketsEndWithAClockValue() throws {
        for name in ["ust-discard", "ust-overwrite"] {
            let traces = try CTFTraceDiscovery.open(path: FixturePaths.path("traces/" + name), isDirectory: true)
            var cut = 0
            for trace in traces {
                for stream in trace.dataStreams {
                    let ranges = stream.partRanges(begin: nil, partBytes: 1)
                    XCTAssertEqual(ranges.count, stream.packets.count, name)
                    XCTAssertEqual(ranges.first?.first, 0)
                    XCTAssertEqual(ranges.last?.end, Int.max)
                    for (a, b) in zip(ranges, ranges.dropFirst()) { XCTAssertEqual(a.end, b.first) }
                    cut += ranges.count - 1
                }
            }
            XCTAssertGreaterThan(cut, 2, name)
            // With --begin, the first part starts where the seek starts; cuts come after.
            if let stream = traces.first?.dataStreams.first, stream.packets.count > 2,
               let begin = stream.packets[1].endNanoseconds {
                let ranges = stream.partRanges(begin: begin, partBytes: 1)
                XCTAssertEqual(ranges.first?.first, CTFEventStream.firstPacket(reaching: begin, in: stream.packets))
                XCTAssertEqual(ranges.first?.first, 1, name)
            }
        }
        let noClock = try CTFTraceDiscovery.open(path: FixturePaths.path("traces/tsdl-noclock"), isDirectory: true)
        for stream in noClock.flatMap(\.dataStreams) {
            XCTAssertEqual(stream.partRanges(begin: nil, partBytes: 1).count, 1)
        }
    }

    func testTimeBoundForms() throws {
        let first: () throws -> Int64? = { 1_600_000_002_634_217_488 }  // 2020-09-13 12:26:42.634217488 UTC
        XCTAssertEqual(try BabeltraceTimeBound.nanoseconds("12", firstTime: first), 12_000_000_000)
        XCTAssertEqual(try BabeltraceTimeBound.nanoseconds("-8.3", firstTime: first), -8_300_000_000)
        XCTAssertEqual(try BabeltraceTimeBound.nanoseconds("1.000000001", firstTime: first), 1_000_000_001)
        XCTAssertEqual(try BabeltraceTimeBound.nanoseconds("2020-09-13 12:26:43", firstTime: first), 1_600_000_003_000_000_000)
        XCTAssertEqual(try BabeltraceTimeBound.nanoseconds("2020-09-13 12:26", firstTime: first), 1_599_999_960_000_000_000)
        XCTAssertEqual(try BabeltraceTimeBound.nanoseconds("2020-09-13", firstTime: first), 1_599_955_200_000_000_000)
        XCTAssertEqual(try BabeltraceTimeBound.nanoseconds("12:26:43.5", firstTime: first), 1_600_000_003_500_000_000)
        XCTAssertThrowsError(try BabeltraceTimeBound.nanoseconds("12:26:43.5", firstTime: { nil }))
        XCTAssertThrowsError(try BabeltraceTimeBound.nanoseconds("yesterday", firstTime: first))
        XCTAssertThrowsError(try BabeltraceTimeBound.nanoseconds("1.0000000001", firstTime: first))
    }

    /// Variant tags in other scopes (babeltrace2 cannot read this trace; expectations by hand).
    func testVariantTagsInOtherScopes() throws {
        let (out, err) = try Self.dump(FixturePaths.path("traces/tsdl-scopes"))
        XCTAssertEqual(err, "")
        let expected = """
            scoped: { sel = ( "PI" : container = 0 ) }, { stag = ( "CA" : container = 0 ) }, \
            { ectag = ( "EA" : container = 0 ), ctxvar = { 11 } }, { by_header = { 1 }, by_packet = { -2 }, \
            by_stream_ctx = { 3 }, by_event_ctx = { 4 }, tag = ( "X" : container = 0 ), \
            inner = { by_abs = { 5 }, by_rel = { "rel X" } } }
            scoped: { sel = ( "PI" : container = 0 ) }, { stag = ( "CB" : container = 1 ) }, \
            { ectag = ( "EB" : container = 1 ), ctxvar = { -11 } }, { by_header = { 1 }, by_packet = { -2 }, \
            by_stream_ctx = { 3000 }, by_event_ctx = { "event tag EB" }, tag = ( "Y" : container = 1 ), \
            inner = { by_abs = { -5 }, by_rel = { 6 } } }
            scoped: { sel = ( "PS" : container = 1 ) }, { stag = ( "CA" : container = 0 ) }, \
            { ectag = ( "EA" : container = 0 ), ctxvar = { 11 } }, { by_header = { "header tag H1" }, \
            by_packet = { "packet tag PS" }, by_stream_ctx = { 3 }, by_event_ctx = { 4 }, \
            tag = ( "X" : container = 0 ), inner = { by_abs = { 5 }, by_rel = { "rel X" } } }
            scoped: { sel = ( "PS" : container = 1 ) }, { stag = ( "CB" : container = 1 ) }, \
            { ectag = ( "EB" : container = 1 ), ctxvar = { -11 } }, { by_header = { "header tag H1" }, \
            by_packet = { "packet tag PS" }, by_stream_ctx = { 3000 }, by_event_ctx = { "event tag EB" }, \
            tag = ( "Y" : container = 1 ), inner = { by_abs = { -5 }, by_rel = { 6 } } }

            """
        XCTAssertEqual(String(decoding: out, as: UTF8.self), expected)
    }
}
